"""ape run redemptions list|fulfil: what members redeemed, and what was handed out."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, OperatorGroup, reports_errors
from memberledger.cli.render import redemptions_table
from memberledger.ops.redemptions import fulfil, list_redemptions, write_redemptions_csv
from memberledger.programme import open_programme

account_option = click.option("--account", "alias", help="Ape account (unused: nothing is signed).")


@click.group(cls=OperatorGroup, short_help="Redemptions: list them, record them handed out")
def cli() -> None:
    """Members redeem rewards from their wallets; the chain burns the points. These commands
    list the redemptions and record in the vault which were handed out."""


@cli.command("list", cls=OperatorCommand, short_help="Every redemption from the chain")
@click.option("--open", "open_only", is_flag=True, help="Only those not handed out yet.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write them to this CSV file.",
)
@account_option
@reports_errors
def list_command(open_only: bool, csv_path: Path | None, alias: str | None) -> None:
    """Every redemption since the deployment: its id (block-index), the member id, the
    reward, the points it cost, when, and whether it was handed out."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        found = list_redemptions(programme, open_only=open_only)
    title = "Redemptions not handed out yet" if open_only else "Redemptions"
    console.print(redemptions_table(found, title))
    if csv_path is not None:
        console.print(f"wrote {write_redemptions_csv(csv_path, found)}", highlight=False)


@cli.command("fulfil", cls=OperatorCommand, short_help="Record redemptions as handed out")
@click.argument("ids", nargs=-1, required=True)
@account_option
@reports_errors
def fulfil_command(ids: tuple[str, ...], alias: str | None) -> None:
    """Record the redemptions IDS (as `redemptions list` shows them) as handed out, in the
    vault. All are checked first; an unknown id records nothing. One already handed out is
    said so and keeps its first record."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        outcome = fulfil(programme, list(ids))
    for r in outcome.fulfilled:
        console.print(
            f"[green]handed out[/] {r.redemption_id}: {r.reward} to {r.member_id or r.wallet}",
            highlight=False,
        )
    for r in outcome.already:
        console.print(
            f"{r.redemption_id}: already handed out at {r.fulfilled_at}: nothing recorded",
            highlight=False,
        )
