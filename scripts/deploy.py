"""ape run deploy: deploy MembershipRegistry and LoyaltyPoints and write the manifest."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from ape import accounts, chain, compilers, project
from rich.console import Console

from memberledger.chain.accounts import operator_account
from memberledger.chain.deployment import (
    RewardRules,
    RoleHandover,
    archive_manifest,
    default_admin_delay,
    deploy,
    estimate_deployment,
    keep_policy_document,
    require_no_manifest,
    save_manifest,
    save_verification_input,
)
from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.render import deployment_estimate_table, deployment_table
from memberledger.errors import ConfigError
from memberledger.identifiers import parse_address
from memberledger.programme_file import ProgrammeFile, load_programme_file
from memberledger.settings import settings


@click.command(cls=OperatorCommand, short_help="Deploy the contracts")
@click.option(
    "--account",
    "alias",
    help="Ape account that deploys (default on a local chain: test account 0).",
)
@click.option(
    "--registrar", help="Account that takes the registrar role (the deployer renounces it)."
)
@click.option("--issuer", help="Account that takes the issuer role (the deployer renounces it).")
@click.option("--pauser", help="Account that takes the pauser role (the deployer renounces it).")
@click.option(
    "--admin-delay",
    type=click.IntRange(0, 2**48 - 1),
    help="Seconds an admin transfer waits before it can be accepted "
    "(default: 86400, a day; 0 on local development chains).",
)
@click.option(
    "--programme",
    "programme_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The programme file: privacy policy, reward catalogue, tier multipliers "
    "(default: MEMBERLEDGER_PROGRAMME, else programme.toml; see examples/programme.toml).",
)
@click.option(
    "--confirmations",
    default=0,
    show_default=True,
    help="Blocks to wait on top of each transaction (0: the network's default).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Deploy even if this chain has a manifest already; the old one is archived beside it.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the transactions and their cost; send nothing."
)
@reports_errors
def cli(
    alias: str | None,
    registrar: str | None,
    issuer: str | None,
    pauser: str | None,
    admin_delay: int | None,
    programme_path: Path | None,
    confirmations: int,
    force: bool,
    dry_run: bool,
) -> None:
    """Deploy both contracts, publish the programme file's privacy policy as version 1, set
    its reward catalogue ([rewards]) and tier multipliers ([multipliers]), and write
    deployments/<chain id>.json together with the compiler's standard-JSON input (for
    block-explorer verification) and the policy's text.

    --registrar, --issuer and --pauser hand those roles to other accounts (an enrollment
    service, a rewards service, an on-call key); the deployer then renounces each role it
    handed over and keeps the admin role. A chain that already has a manifest is refused
    unless --force."""
    console = Console()
    programme = load_programme_file(programme_path or settings().programme_file)
    rules = rules_of(programme)
    roles = RoleHandover(
        registrar=parse_address(registrar, "--registrar") if registrar else None,
        issuer=parse_address(issuer, "--issuer") if issuer else None,
        pauser=parse_address(pauser, "--pauser") if pauser else None,
    )
    sender = operator_account(accounts, chain.chain_id, alias)
    delay = default_admin_delay(chain.chain_id) if admin_delay is None else admin_delay
    if dry_run:
        estimate = estimate_deployment(project, chain, sender, roles=roles, rules=rules)
        console.print(deployment_estimate_table(estimate, chain.chain_id, str(sender.address)))
        return
    if not force:
        require_no_manifest(chain.chain_id)
    deployment = deploy(
        project,
        chain,
        sender,
        admin_transfer_delay=delay,
        roles=roles,
        rules=rules,
        policy_path=programme.privacy_policy,
        confirmations=confirmations,
    )
    archived = archive_manifest(chain.chain_id) if force else None
    if archived is not None:
        console.print(f"[yellow]archived the previous manifest as {archived}[/]")
    deployment = save_verification_input(deployment, compilers, project)
    kept = keep_policy_document(deployment.chain_id, 1, programme.privacy_policy)
    deployment = replace(deployment, policy_document=kept)
    path = save_manifest(deployment)
    console.print(deployment_table(deployment, path, roles, delay))


def rules_of(programme: ProgrammeFile) -> RewardRules:
    """The catalogue's costs and the multipliers the chain starts with."""
    if not programme.rewards or not programme.multipliers:
        missing = "[rewards]" if not programme.rewards else "[multipliers]"
        raise ConfigError(
            f"{programme.path} has no {missing}: deploy sets the reward catalogue and the tier "
            "multipliers from it (see examples/programme.toml)"
        )
    return RewardRules(
        reward_costs={r.reward_id: r.cost for r in programme.offered()},
        multipliers=programme.multipliers,
    )
