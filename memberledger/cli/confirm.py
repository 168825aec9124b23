"""Asking an operator to confirm an action that cannot be undone by typing the member id.

A yes/no prompt is answered by habit; typing the id makes the operator read whom the action
is about. `--yes` skips the question (scripts, tests). Without a terminal to ask on, the
command refuses rather than assume an answer.
"""

from __future__ import annotations

import click
from rich.console import Console

from memberledger.errors import NotConfirmed
from memberledger.ops.members import locate
from memberledger.programme import Programme


def confirm_by_typing(programme: Programme, member: str, verb: str, console: Console) -> None:
    """Ask the operator to type the id of the member `verb` is about; `NotConfirmed` if they
    type anything else (or nothing can be asked)."""
    stored, wallet = locate(programme, member)
    expected = stored.member_id if stored is not None else wallet
    console.print(
        f"[bold yellow]{verb}[/] {expected} ({wallet}) cannot be undone. "
        f"Type the member id ({expected}) to confirm:",
        highlight=False,
    )
    try:
        typed = click.prompt("", default="", show_default=False, prompt_suffix="> ")
    except (click.Abort, EOFError):
        raise NotConfirmed(
            f"nothing was done: no answer to confirm with (pass --yes to {verb})"
        ) from None
    if typed.strip() != expected:
        raise NotConfirmed(
            f"nothing was done: {typed.strip()!r} is not {expected!r} (pass --yes to skip the "
            "question)"
        )
