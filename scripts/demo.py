"""ape run demo --network ethereum:local:foundry: the whole story on a local chain."""

from __future__ import annotations

import sys

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.demo import run_demo


@click.command(cls=OperatorCommand, short_help="Run the whole story on a local chain")
@click.option("--members", default=20, show_default=True, help="How many members to generate.")
@click.option("--account", "alias", help="Ape account of the operator (default: test account 0).")
@reports_errors
def cli(members: int, alias: str | None) -> None:
    """Deploy the contracts, enroll generated members from a CSV file into a fresh vault under
    data/demo/, issue rewards (and run both files again to show nothing happens twice), let a
    member change their consent and another redeem points, erase a member, verify every
    commitment and print the report. Local development chains only."""
    outcome = run_demo(project, chain, accounts, alias, members=members, console=Console())
    if not outcome.verified:
        sys.exit(1)
