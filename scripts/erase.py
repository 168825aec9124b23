"""ape run erase WALLET_OR_ID: GDPR erasure in the vault and on chain, points forfeited."""

from __future__ import annotations

import sys

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.confirm import confirm_by_typing
from memberledger.cli.render import erasure_table
from memberledger.ops.erasure import erase_member
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Erase a member (GDPR)")
@click.argument("wallet_or_id")
@click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)
@click.option("--yes", is_flag=True, help="Do not ask to type the member id to confirm.")
@reports_errors
def cli(wallet_or_id: str, alias: str | None, yes: bool) -> None:
    """Erase the member with this wallet address or member id: delete their personal data and
    salt from the vault (crypto-shredding), erase their record on chain (the wallet can never
    be enrolled again), and forfeit their remaining points. Prints a receipt. Safe to run
    again: steps already done are skipped. Erasure cannot be undone: you are asked to type
    the member id to confirm, unless --yes."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        if not yes:
            confirm_by_typing(programme, wallet_or_id, "erase", console)
        receipt = erase_member(programme, wallet_or_id)
    console.print(erasure_table(receipt))
    if not receipt.shredded:
        sys.exit(1)
