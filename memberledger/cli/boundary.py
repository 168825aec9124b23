"""The script boundary: an error a user can act on becomes one red line and exit code 2.

Every `ape run` script is an `OperatorCommand` and wraps its command in `reports_errors`.

- A `MemberLedgerError` (see `memberledger.errors` for the tree) is printed as one line on
  stderr; an `InvalidFile` first lists each of its problems, one line each
  (`line 3, field 'email': ...`).
- A node that does not answer, before the command starts (Ape connects first) or while it
  runs, is one line naming the node and the fix, not Ape's forty-line traceback.
- A mistyped option or argument (a wrong `--network` among them) is one line and the hint to
  `--help`, not click's usage block.

Only with `MEMBERLEDGER_VERBOSE=1` does the traceback show.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
from ape.cli import ConnectedProviderCommand
from ape.exceptions import ApeException, ProviderError
from requests.exceptions import ConnectionError as RequestsConnectionError
from rich.console import Console
from rich.markup import escape

from memberledger.errors import InvalidFile, MemberLedgerError, NodeUnavailable
from memberledger.settings import settings

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code of every refused command (click's own usage errors use it too).
REFUSED = 2


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MemberLedgerError raised by `command` into one red line and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MemberLedgerError as exc:
            if settings().verbose:
                raise
            refuse(exc)
        except (ProviderError, RequestsConnectionError, ConnectionError) as exc:
            if settings().verbose:
                raise
            refuse(node_unavailable(exc))

    return wrapper


def refuse(exc: MemberLedgerError) -> NoReturn:
    """Print `exc` as one red line (an `InvalidFile`'s problems first) and exit with 2."""
    console = Console(stderr=True, soft_wrap=True)
    if isinstance(exc, InvalidFile):
        for problem in exc.errors:
            console.print(f"  {problem}", highlight=False, markup=False)
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    sys.exit(REFUSED)


def node_unavailable(exc: BaseException, network: str | None = None) -> NodeUnavailable:
    """What to tell an operator whose node does not answer."""
    where = f" at {network}" if network else ""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return NodeUnavailable(
        f"no node answers{where} ({detail}): start it (`make node`, or your provider's URL) "
        "or pass the right --network"
    )


def _command_name(parent: click.Context | None, name: str | None) -> str:
    """`members tier` for `ape run members tier`: what to put after `ape run`."""
    full = f"{parent.command_path} {name or ''}" if parent else (name or "")
    words = full.split()
    if words[:2] == ["ape", "run"]:
        words = words[2:]
    return " ".join(words) or "the command"


def _usage_refused(exc: click.UsageError, name: str) -> NoReturn:
    message = " ".join(exc.format_message().split())
    refuse(MemberLedgerError(f"{message} (see `ape run {name} --help`)"))


class _UsageBoundary:
    """Options mistyped before the command body runs: one red line, not click's usage text
    (mixed into every kind of operator command below)."""

    name: str | None

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc, no-any-return]
        except click.UsageError as exc:
            if settings().verbose:
                raise
            _usage_refused(exc, _command_name(parent, info_name or self.name))


class UnconnectedCommand(_UsageBoundary, click.Command):
    """A command that connects to no node before its body runs (`ape run demo` starts its
    own node, or connects to the one named), with the same boundary around its options."""


class OperatorGroup(_UsageBoundary, click.Group):
    """A script of several commands (`ape run members tier|suspend|...`): a mistyped command
    name is one red line too."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if settings().verbose:
                raise
            _usage_refused(exc, _command_name(ctx.parent, ctx.info_name))


class OperatorCommand(_UsageBoundary, ConnectedProviderCommand):
    """Ape's connected command with MemberLedger's boundary around what happens before the
    command body runs: parsing the options and connecting to the node."""

    def invoke(self, ctx: click.Context) -> Any:
        network = _network_text(ctx.params.get("network"))
        try:
            return super().invoke(ctx)
        except (ProviderError, RequestsConnectionError, ConnectionError) as exc:
            if settings().verbose:
                raise
            refuse(node_unavailable(exc, network))
        except ApeException as exc:
            if settings().verbose:
                raise
            detail = str(exc).strip().splitlines()
            refuse(
                MemberLedgerError(
                    f"{type(exc).__name__}: {detail[0] if detail else 'no message'} "
                    "(set MEMBERLEDGER_VERBOSE=1 for the details)"
                )
            )


def _network_text(value: Any) -> str | None:
    """The node an operator named with --network, as text for a message."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    for attribute in ("uri", "http_uri", "network_choice"):
        try:
            found = getattr(value, attribute, None)
        except Exception:  # a provider not connected may refuse to say
            found = None
        if isinstance(found, str) and found:
            return found
    return None
