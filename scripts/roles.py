"""ape run roles: list role holders; grant, revoke, hand over the admin role; pause."""

from __future__ import annotations

import click
from ape import accounts, chain, project
from rich.console import Console
from rich.table import Table

from memberledger.chain.accounts import operator_account
from memberledger.chain.deployment import attach
from memberledger.chain.rpc import NodeClient, node_url
from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.index.chain_index import open_deployment_index
from memberledger.index.schema import index_path
from memberledger.ops.roles import concentration_warning, list_holders, pending_admin, plan
from memberledger.settings import settings

ACTIONS = ("list", "grant", "revoke", "transfer-admin", "accept-admin", "pause", "unpause")


@click.command(cls=OperatorCommand, short_help="List and change who holds which role")
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("role_or_address", required=False)
@click.argument("address", required=False)
@click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reports_errors
def cli(
    action: str, role_or_address: str | None, address: str | None, alias: str | None, yes: bool
) -> None:
    """Role administration of the deployed contracts.

    \b
    ape run roles list
    ape run roles grant registrar 0xADDRESS      (also: pauser, issuer)
    ape run roles revoke issuer 0xADDRESS
    ape run roles transfer-admin 0xMULTISIG      (step 1, by the current admin)
    ape run roles accept-admin --account NEW     (step 2, by the new admin, after the delay)
    ape run roles pause | unpause

    Every change prints what it will do and asks first, unless --yes.
    """
    console = Console()
    deployment, registry, points = attach(project, chain)
    contracts = {"registry": registry, "points": points}
    if action == "list":
        table = Table(title=f"Roles on chain {deployment.chain_id}")
        for column in ("role", "contract", "holder"):
            table.add_column(column)
        node = NodeClient(node_url(chain.provider))
        path = index_path(settings().vault_path)
        with open_deployment_index(node, deployment, registry, points, path) as index:
            index.catch_up()
            holders = list_holders(index)
        for holder in holders:
            table.add_row(holder.role, holder.contract, holder.account)
        console.print(table)
        warning = concentration_warning(holders)
        if warning:
            console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
        for name, (new_admin, schedule) in pending_admin(contracts).items():
            if schedule:
                console.print(
                    f"pending admin transfer of {name} to {new_admin}, acceptable from {schedule}"
                )
        console.print(f"paused: {'yes' if registry.paused() else 'no'}")
        return
    role, target = (
        (role_or_address, address) if action in ("grant", "revoke") else (None, role_or_address)
    )
    sender = operator_account(accounts, chain.chain_id, alias)
    now = int(chain.blocks.head.timestamp)
    planned = plan(action, contracts, role, target, str(sender.address), now)
    for sentence in planned.unchanged:
        console.print(f"• {sentence}", highlight=False)
    if not planned.calls:
        console.print("Nothing to send.")
        return
    for call in planned.calls:
        console.print(f"• {call.description} (signed by {sender.address})")
    if not yes and not click.confirm("Send?", default=False):
        console.print("Nothing sent.")
        return
    for call in planned.calls:
        receipt = call.send(sender)
        console.print(
            f"[green]done[/]: {call.description}: "
            f"tx {receipt.txn_hash}, block {receipt.block_number}"
        )
