"""ape run member WALLET_OR_ID: one member as the vault and the chain see them."""

from __future__ import annotations

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.render import history_table, member_table
from memberledger.ops.members import member_view
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Show one member, vault and chain")
@click.argument("wallet_or_id")
@click.option("--history", "limit", default=10, show_default=True, help="Latest events shown.")
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(wallet_or_id: str, limit: int, alias: str | None) -> None:
    """Show the member with this wallet address or member id: the vault's record (with the
    decrypted personal data) next to the registry's record, consent in words, the points
    balance and the latest events from the chain."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        view = member_view(programme, wallet_or_id)
    console.print(member_table(view), history_table(view.history, limit))
