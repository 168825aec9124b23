"""ape run programme policy|rewards|multipliers: the programme's rules after day one."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memberledger.cli.boundary import OperatorCommand, OperatorGroup, reports_errors
from memberledger.ops.catalogue import (
    CatalogueChange,
    catalogue,
    multipliers,
    retire_reward,
    set_multiplier,
    set_reward,
)
from memberledger.ops.policy import publish_policy
from memberledger.programme import open_programme
from memberledger.tiers import parse_tier

account_option = click.option(
    "--account", "alias", help="Ape account that signs (the admin; default locally: account 0)."
)


@click.group(cls=OperatorGroup, short_help="Privacy policy, reward catalogue, multipliers")
def cli() -> None:
    """The programme's rules: publish a new privacy policy, change the reward catalogue and
    the tier multipliers. Changes are signed by the admin account. Costs and multipliers go on
    chain; reward names are kept in the programme file (MEMBERLEDGER_PROGRAMME, else
    programme.toml), which these commands update too."""


@cli.group(cls=OperatorGroup, short_help="The privacy policy members consent to")
def policy() -> None:
    """The privacy policy: its SHA-256 goes on chain as a new version; its text is kept beside
    the deployment manifest and served by the member page."""


@policy.command("publish", cls=OperatorCommand, short_help="Publish a new policy version")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@account_option
@reports_errors
def policy_publish(file: Path, alias: str | None) -> None:
    """Publish FILE as the next privacy-policy version. Members' consent stays recorded
    against the version they gave it under; new consent is given against this one."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        outcome = publish_policy(programme, file)
    if outcome.sent:
        console.print(
            f"[green]published[/] policy version {outcome.version} "
            f"({outcome.document_hash[:18]}…); tx {outcome.tx_hash}, block {outcome.block}",
            highlight=False,
        )
    else:
        console.print(
            f"{file} is already policy version {outcome.version}: nothing sent", highlight=False
        )
    console.print(f"text kept in {outcome.kept}; the member page serves it", highlight=False)


@cli.group(cls=OperatorGroup, short_help="The reward catalogue")
def rewards() -> None:
    """The reward catalogue: costs on chain, names in the programme file."""


@rewards.command("list", cls=OperatorCommand, short_help="Every reward, chain and file")
@account_option
@reports_errors
def rewards_list(alias: str | None) -> None:
    """Every reward: its cost on chain beside the programme file's name and cost."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        lines = catalogue(programme)
    table = Table(title="Reward catalogue", title_justify="left")
    for column in ("id", "name", "cost on chain", "in the file", "offered"):
        table.add_column(column)
    for line in lines:
        file_cost = "-" if line.file_cost is None else f"{line.file_cost:,}"
        if not line.agrees:
            file_cost = f"[bold red]{file_cost}[/] (differs)"
        table.add_row(
            str(line.reward_id),
            escape(line.name),
            f"{line.chain_cost:,}",
            file_cost,
            "yes" if line.chain_cost else "no (retired)",
        )
    if any(not line.agrees for line in lines):
        table.caption = "the chain's cost counts: `programme rewards set` makes them agree"
    console.print(table)


@rewards.command("set", cls=OperatorCommand, short_help="Offer a reward at a cost")
@click.argument("reward_id", metavar="ID", type=int)
@click.argument("cost", type=int)
@click.argument("name")
@account_option
@reports_errors
def rewards_set(reward_id: int, cost: int, name: str, alias: str | None) -> None:
    """Offer reward ID for COST points under NAME: a new reward, a new cost or a new name
    (the cost goes on chain, the name into the programme file)."""
    with open_programme(project, chain, accounts, alias) as programme:
        change = set_reward(programme, reward_id, cost, name)
    _print_change(change, f"programme file: reward {reward_id} is {name!r}")


@rewards.command("retire", cls=OperatorCommand, short_help="Stop offering a reward")
@click.argument("reward_id", metavar="ID", type=int)
@account_option
@reports_errors
def rewards_retire(reward_id: int, alias: str | None) -> None:
    """Stop offering reward ID: redeeming it is refused from now on; its name stays in the
    programme file (marked retired) for past redemptions."""
    with open_programme(project, chain, accounts, alias) as programme:
        change = retire_reward(programme, reward_id)
    _print_change(change, f"programme file: reward {reward_id} marked retired")


@cli.group(cls=OperatorGroup, short_help="Tier multipliers")
def multipliers_group() -> None:
    """Tier multipliers in basis points (10,000 = 1.00x): a credit of N base points gives a
    member N x multiplier / 10,000."""


cli.add_command(multipliers_group, "multipliers")


@multipliers_group.command("list", cls=OperatorCommand, short_help="Each tier's multiplier")
@account_option
@reports_errors
def multipliers_list(alias: str | None) -> None:
    """Each tier's multiplier on chain beside the programme file's."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        rows = multipliers(programme)
    table = Table(title="Tier multipliers", title_justify="left")
    for column in ("tier", "on chain (bps)", "in the file (bps)", "factor"):
        table.add_column(column)
    for name, on_chain, in_file in rows:
        shown = "-" if in_file is None else f"{in_file:,}"
        if in_file is not None and in_file != on_chain:
            shown = f"[bold red]{shown}[/] (differs)"
        table.add_row(name, f"{on_chain:,}", shown, f"{on_chain / 10_000:.2f}x")
    console.print(table)


@multipliers_group.command("set", cls=OperatorCommand, short_help="Set a tier's multiplier")
@click.argument("tier")
@click.argument("bps", type=int)
@account_option
@reports_errors
def multipliers_set(tier: str, bps: int, alias: str | None) -> None:
    """Set TIER's multiplier to BPS basis points (on chain and in the programme file)."""
    number = parse_tier(tier)
    with open_programme(project, chain, accounts, alias) as programme:
        change = set_multiplier(programme, number, bps)
    _print_change(change, "programme file updated")


def _print_change(change: CatalogueChange, recorded: str) -> None:
    console = Console()
    if change.sent:
        console.print(
            f"[green]done[/]: {escape(change.what)}; tx {change.tx_hash}, block {change.block}",
            highlight=False,
        )
    else:
        console.print(f"{escape(change.what)}: nothing sent", highlight=False)
    console.print(escape(recorded), highlight=False)
