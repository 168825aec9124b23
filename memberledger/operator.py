"""Who signs an operator's transactions, and how their errors reach them.

On a local development chain the first funded test account signs, so `make demo` needs no
setup; anywhere else the operator must name an Ape account (`--account ALIAS`), so nothing
real is ever signed by a well-known test key. Errors MemberLedger raises on purpose become
one readable line and exit code 2; only `--verbose` shows the traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from dotenv import find_dotenv, load_dotenv
from rich.console import Console
from rich.markup import escape

from memberledger.errors import ConfigError, InvalidFile, MemberLedgerError

#: Chain ids of local development nodes (Anvil/Hardhat 31337, the in-process chain 1337).
DEVELOPMENT_CHAIN_IDS = frozenset({31337, 1337})

P = ParamSpec("P")
R = TypeVar("R")


def is_development_chain(chain_id: int) -> bool:
    return chain_id in DEVELOPMENT_CHAIN_IDS


def operator_account(accounts: Any, chain_id: int, alias: str | None) -> Any:
    """The account that signs: the named Ape account (`--account`, else `MEMBERLEDGER_ACCOUNT`
    from the environment or `.env`), or the first test account locally."""
    alias = alias or os.environ.get("MEMBERLEDGER_ACCOUNT") or None
    if alias:
        try:
            account = accounts.load(alias)
        except Exception as exc:  # ape's AccountsError and friends
            raise ConfigError(f"no Ape account named {alias!r}: {exc}") from exc
        passphrase = os.environ.get("MEMBERLEDGER_ACCOUNT_PASSPHRASE")
        if passphrase:  # unattended runs: unlock once, sign without prompts
            account.set_autosign(True, passphrase=passphrase)
        return account
    if is_development_chain(chain_id):
        return accounts.test_accounts[0]
    raise ConfigError(
        f"chain {chain_id} is not a local development chain: "
        "name the signing account with --account ALIAS"
    )


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MemberLedgerError into one red line on stderr and exit code 2.

    Settings in `.env` are loaded first (the environment wins), so `MEMBERLEDGER_VERBOSE`
    and the rest work from there too. An `InvalidFile` lists each of its problems, one line
    each (`line 3, field 'email': ...`), before the summary line.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        load_dotenv(find_dotenv(usecwd=True))
        try:
            return command(*args, **kwargs)
        except MemberLedgerError as exc:
            if os.environ.get("MEMBERLEDGER_VERBOSE"):
                raise
            console = Console(stderr=True, soft_wrap=True)
            if isinstance(exc, InvalidFile):
                for problem in exc.errors:
                    console.print(f"  {problem}", highlight=False, markup=False)
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(2)

    return wrapper
