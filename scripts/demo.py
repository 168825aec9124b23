"""ape run demo: the whole story, on an Anvil of its own (or on the node named by --network)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from ape import accounts, chain, networks, project
from rich.console import Console

from memberledger.cli.boundary import UnconnectedCommand, reports_errors
from memberledger.cli.demo import DEMO_DIR, demo_chain, run_demo


@click.command(cls=UnconnectedCommand, short_help="Run the whole story on a local chain")
@click.option("--members", default=20, show_default=True, help="How many members to generate.")
@click.option("--account", "alias", help="Ape account of the operator (default: test account 0).")
@click.option(
    "--network",
    help="Run on this node (a URL such as http://127.0.0.1:8545, or an Ape network choice) "
    "instead of an Anvil of the demo's own on a free port. It must be a local development "
    "chain; the demo deploys new contracts into it.",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEMO_DIR,
    show_default=True,
    help="Where the demo keeps its vault and deployment manifest (emptied first).",
)
@reports_errors
def cli(members: int, alias: str | None, network: str | None, folder: Path) -> None:
    """Start an Anvil of its own on a free port (unless --network names a node), deploy the
    contracts, enroll generated members from a CSV file into a fresh vault under data/demo/,
    issue rewards (and run both files again to show nothing happens twice), let a member change
    their consent and another redeem points, erase a member, verify every commitment and print
    the report; then stop its Anvil. Local development chains only."""
    console = Console()
    with demo_chain(networks, network, console) as where:
        outcome = run_demo(
            project,
            chain,
            accounts,
            alias,
            members=members,
            console=console,
            folder=folder,
            own_node=where.own_node,
        )
    if not outcome.verified:
        sys.exit(1)
