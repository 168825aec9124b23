"""ape run deploy: deploy MembershipRegistry and LoyaltyPoints and write the manifest."""

from __future__ import annotations

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from memberledger.deployment import deploy, save_manifest
from memberledger.operator import operator_account, reports_errors


@click.command(cls=ConnectedProviderCommand, short_help="Deploy the contracts")
@click.option(
    "--account",
    "alias",
    help="Ape account that deploys (default on a local chain: test account 0).",
)
@click.option("--registrar", help="Address that also gets the registrar role.")
@click.option("--issuer", help="Address that also gets the issuer role.")
@click.option(
    "--admin-delay",
    default=0,
    show_default=True,
    help="Seconds an admin transfer waits before it can be accepted.",
)
@reports_errors
def cli(alias: str | None, registrar: str | None, issuer: str | None, admin_delay: int) -> None:
    """Deploy both contracts, publish docs/privacy-policy.md as policy version 1, set the
    default tier multipliers and rewards, and write deployments/<chain id>.json."""
    sender = operator_account(accounts, chain.chain_id, alias)
    deployment = deploy(
        project, chain, sender, admin_transfer_delay=admin_delay, registrar=registrar, issuer=issuer
    )
    path = save_manifest(deployment)
    table = Table(title=f"Deployed on chain {deployment.chain_id}")
    table.add_column("what")
    table.add_column("value")
    table.add_row("MembershipRegistry", deployment.registry)
    table.add_row("LoyaltyPoints", deployment.points)
    table.add_row("deploy block", str(deployment.deploy_block))
    table.add_row("policy version", f"{deployment.policy_version} ({deployment.policy_hash[:18]}…)")
    table.add_row("manifest", str(path))
    Console().print(table)
