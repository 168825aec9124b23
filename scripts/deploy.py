"""ape run deploy: deploy MembershipRegistry and LoyaltyPoints and write the manifest."""

from __future__ import annotations

import click
from ape import accounts, chain, compilers, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from memberledger.chain.accounts import operator_account
from memberledger.chain.deployment import (
    deploy,
    estimate_deployment,
    save_manifest,
    save_verification_input,
)
from memberledger.cli.boundary import reports_errors


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
@click.option(
    "--confirmations",
    default=0,
    show_default=True,
    help="Blocks to wait on top of each transaction (0: the network's default).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the transactions and their cost; send nothing."
)
@reports_errors
def cli(
    alias: str | None,
    registrar: str | None,
    issuer: str | None,
    admin_delay: int,
    confirmations: int,
    dry_run: bool,
) -> None:
    """Deploy both contracts, publish docs/privacy-policy.md as policy version 1, set the
    default tier multipliers and rewards, and write deployments/<chain id>.json together with
    the compiler's standard-JSON input (for block-explorer verification)."""
    console = Console()
    sender = operator_account(accounts, chain.chain_id, alias)
    if dry_run:
        estimate = estimate_deployment(project, chain, sender, registrar=registrar, issuer=issuer)
        table = Table(title=f"Dry run on chain {chain.chain_id}: nothing sent")
        table.add_column("transaction")
        table.add_column("gas", justify="right")
        for what, gas in estimate.rows:
            table.add_row(what, f"{gas:,}")
        table.add_row("total", f"{estimate.total_gas:,}")
        console.print(table)
        gwei = estimate.gas_price_wei / 1e9
        console.print(
            f"cost at the current gas price ({gwei:.3f} gwei): "
            f"{estimate.total_cost_wei / 1e18:.6f} ETH, signed by {sender.address}"
        )
        return
    deployment = deploy(
        project,
        chain,
        sender,
        admin_transfer_delay=admin_delay,
        registrar=registrar,
        issuer=issuer,
        confirmations=confirmations,
    )
    deployment = save_verification_input(deployment, compilers, project)
    path = save_manifest(deployment)
    table = Table(title=f"Deployed on chain {deployment.chain_id}")
    table.add_column("what")
    table.add_column("value")
    table.add_row("MembershipRegistry", deployment.registry)
    table.add_row("LoyaltyPoints", deployment.points)
    table.add_row("deploy block", str(deployment.deploy_block))
    table.add_row("policy version", f"{deployment.policy_version} ({deployment.policy_hash[:18]}…)")
    table.add_row("compiler", f"solc {deployment.compiler_version}")
    table.add_row("manifest", str(path))
    table.add_row("verification input", deployment.standard_input)
    console.print(table)
