"""ape run erase WALLET_OR_ID: GDPR erasure in the vault and on chain, points forfeited."""

from __future__ import annotations

import sys

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.cli.boundary import reports_errors
from memberledger.cli.render import erasure_table
from memberledger.ops.erasure import erase_member
from memberledger.programme import open_programme


@click.command(cls=ConnectedProviderCommand, short_help="Erase a member (GDPR)")
@click.argument("wallet_or_id")
@click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)
@reports_errors
def cli(wallet_or_id: str, alias: str | None) -> None:
    """Erase the member with this wallet address or member id: delete their personal data and
    salt from the vault (crypto-shredding), erase their record on chain (the wallet can never
    be enrolled again), and forfeit their remaining points. Prints a receipt. Safe to run
    again: steps already done are skipped."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        receipt = erase_member(programme, wallet_or_id)
    console.print(erasure_table(receipt))
    if not receipt.shredded:
        sys.exit(1)
