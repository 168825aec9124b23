"""ape run export WALLET_OR_ID: a member's data package (subject access request), JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.logging import LogLevel, logger
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.ops.subject_access import subject_access_package, write_package
from memberledger.programme import open_programme

# The JSON goes to stdout, where Ape also prints its INFO lines: keep those out of it.
logger.set_level(LogLevel.WARNING)


@click.command(cls=OperatorCommand, short_help="Export a member's data as JSON")
@click.argument("wallet_or_id")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON to this file and a readable HTML page beside it (same name, .html), "
    "both readable by you only, instead of the JSON to stdout.",
)
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(wallet_or_id: str, output: Path | None, alias: str | None) -> None:
    """Everything the programme holds about the member with this wallet address or member id,
    for a subject access request: the vault's record with the decrypted personal data and the
    salt (so the member can recompute their commitment), the on-chain record and points
    balance, and the history of events; times in ISO 8601 (UTC). With --output, also a
    readable HTML page for the member. It contains personal data: hand it to the member
    only."""
    with open_programme(project, chain, accounts, alias, console=Console(stderr=True)) as programme:
        package = subject_access_package(programme, wallet_or_id)
    if output is None:
        click.echo(json.dumps(package, indent=2, ensure_ascii=False))
        return
    written = write_package(package, output)
    Console(stderr=True).print(f"wrote {' and '.join(str(path) for path in written)}")
