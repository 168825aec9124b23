"""ape run verify: recompute every commitment from the vault and compare it with the chain."""

from __future__ import annotations

import sys

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.render import verification_tables
from memberledger.ops.verification import verify_commitments
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Check vault and chain agree")
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(alias: str | None) -> None:
    """Open every member's sealed personal data and salt, hash them again, and compare the
    result with the vault's commitment and the registry's record; also check that enrolled
    and erased members are so on both sides. Prints the mismatches; exits with status 1 if
    there is any."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = verify_commitments(programme)
    console.print(*verification_tables(result))
    if not result.ok:
        sys.exit(1)
