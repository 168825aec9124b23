"""ape run issue_rewards FILE.csv: credit reward points, each event id exactly once, ever."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.bulk.rewards import issue_rewards
from memberledger.chain.gas import CREDIT_GAS
from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.options import bulk_options, run_options
from memberledger.cli.render import deliveries_table, estimate_table, rewards_summary
from memberledger.ops.credits import credited_points
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Credit reward points from a CSV file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@bulk_options(CREDIT_GAS, "Reward events")
@reports_errors
def cli(file: Path, alias: str | None, **options: object) -> None:
    """Credit the reward events listed in FILE.

    Columns: event_id,wallet,points. Points are whole base points; the chain multiplies them
    by the member's tier. Every event id is credited exactly once, ever: running the same
    file again credits nothing new, and an interrupted run (even killed) is finished without
    paying twice. Unknown or inactive members, bad points and repeated event ids are reported
    with their line and field, and then nothing is sent (unless --skip-invalid).
    """
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = issue_rewards(programme, file, run_options(**options))  # type: ignore[arg-type]
        batches = [(delivery.batch_id, delivery.block) for delivery in result.deliveries]
        credited = credited_points(programme, batches) if batches else None
    console.print(rewards_summary(result, credited))
    if result.estimate is not None:
        console.print(estimate_table(result.estimate, "credit"))
    if result.deliveries:
        console.print(deliveries_table(result.deliveries))
