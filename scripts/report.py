"""ape run report: the programme in numbers."""

from __future__ import annotations

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.render import report_tables
from memberledger.ops.report import programme_report
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Members and points, as tables")
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(alias: str | None) -> None:
    """Members by status, tier and consent (from the chain, and the vault's own counts), and
    points issued, redeemed, forfeited and outstanding, with redemptions per reward."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        report = programme_report(programme)
    console.print(*report_tables(report))
