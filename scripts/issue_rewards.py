"""ape run issue_rewards FILE.csv: credit reward points, each event id exactly once, ever."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.journal import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from memberledger.operator import reports_errors
from memberledger.programme import open_programme
from memberledger.rewards import issue_rewards
from memberledger.tables import deliveries_table, rewards_summary


@click.command(cls=ConnectedProviderCommand, short_help="Credit reward points from a CSV file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Credit the valid rows and write the invalid ones' errors to the rejects file.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-invalid writes line,field,reason (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH_SIZE),
    help="Reward events per credit transaction.",
)
@click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)
@reports_errors
def cli(
    file: Path, skip_invalid: bool, rejects: Path | None, batch_size: int, alias: str | None
) -> None:
    """Credit the reward events listed in FILE.

    Columns: event_id,wallet,points. Points are whole base points; the chain multiplies them
    by the member's tier. Every event id is credited exactly once, ever: running the same
    file again credits nothing new, and an interrupted run is finished without paying twice.
    Unknown or inactive members, bad points and repeated event ids are reported with their
    line and field, and then nothing is sent (unless --skip-invalid).
    """
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = issue_rewards(
            programme, file, skip_invalid=skip_invalid, rejects_path=rejects, batch_size=batch_size
        )
    console.print(rewards_summary(result))
    if result.deliveries:
        console.print(deliveries_table(result.deliveries))
