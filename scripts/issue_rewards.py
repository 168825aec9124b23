"""ape run issue_rewards FILE.csv: credit reward points, each event id exactly once, ever."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.bulk.rewards import issue_rewards, retry_skipped_credits
from memberledger.chain.gas import CREDIT_GAS
from memberledger.cli.boundary import reports_errors
from memberledger.cli.options import bulk_options, run_options
from memberledger.cli.render import (
    deliveries_table,
    estimate_table,
    retry_summary,
    rewards_summary,
    skipped_credits_table,
)
from memberledger.errors import ConfigError
from memberledger.programme import open_programme


@click.command(cls=ConnectedProviderCommand, short_help="Credit reward points from a CSV file")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--retry-skipped",
    is_flag=True,
    help="Instead of a file: send again the credits the chain skipped because their member "
    "was not active then (suspended, say), for the members who are active now.",
)
@bulk_options(CREDIT_GAS, "Reward events")
@reports_errors
def cli(file: Path | None, retry_skipped: bool, alias: str | None, **options: object) -> None:
    """Credit the reward events listed in FILE.

    Columns: event_id,wallet,points. Points are whole base points; the chain multiplies them
    by the member's tier. Every event id is credited exactly once, ever: running the same
    file again credits nothing new, an interrupted run (even killed) is finished without
    paying twice, and a journal that was lost or restored from a backup is first rebuilt from
    the chain (`ape run journal rebuild`). Unknown or inactive members, bad points and
    repeated event ids are reported with their line and field, and then nothing is sent
    (unless --skip-invalid). A member who stops being active while their credit is on its
    way is skipped by the chain, not paid, and shown; --retry-skipped sends it again once
    they are active.
    """
    if (file is None) == (not retry_skipped):
        raise ConfigError("give either a FILE of reward events or --retry-skipped")
    console = Console()
    settings = run_options(**options)  # type: ignore[arg-type]
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        if file is None:
            retried = retry_skipped_credits(programme, settings)
            console.print(retry_summary(retried))
            if retried.waiting:
                console.print(skipped_credits_table(retried.waiting, "Still waiting"))
            if retried.deliveries:
                console.print(deliveries_table(retried.deliveries))
            return
        result = issue_rewards(programme, file, settings)
    console.print(rewards_summary(result))
    if result.estimate is not None:
        console.print(estimate_table(result.estimate, "credit"))
    if result.skipped_now:
        console.print(skipped_credits_table(result.skipped_now, "Skipped by the chain"))
    if result.deliveries:
        console.print(deliveries_table(result.deliveries))
