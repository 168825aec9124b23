"""The script boundary: an error a user can act on becomes one red line and exit code 2.

Every `ape run` script wraps its command in `reports_errors`. A `MemberLedgerError` (see
`memberledger.errors` for the tree) is printed as one line on stderr; an `InvalidFile` first
lists each of its problems, one line each (`line 3, field 'email': ...`). Only with
`MEMBERLEDGER_VERBOSE=1` does the traceback show.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from rich.console import Console
from rich.markup import escape

from memberledger.errors import InvalidFile, MemberLedgerError
from memberledger.settings import settings

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a MemberLedgerError raised by `command` into one red line and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MemberLedgerError as exc:
            if settings().verbose:
                raise
            console = Console(stderr=True, soft_wrap=True)
            if isinstance(exc, InvalidFile):
                for problem in exc.errors:
                    console.print(f"  {problem}", highlight=False, markup=False)
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(2)

    return wrapper
