"""ape run proofs deploy|publish|audit|verify: private proofs of membership (issue 19)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from memberledger.bulk.progress import row_progress
from memberledger.chain.accounts import operator_account
from memberledger.chain.reads import revert_reason
from memberledger.chain.rpc import NodeClient, node_url
from memberledger.cli.boundary import reports_errors
from memberledger.errors import ChainRejected
from memberledger.proofs.audit import audit
from memberledger.proofs.deployment import attach_proofs, deploy_proofs, save_proofs_manifest
from memberledger.proofs.groups import group_name
from memberledger.proofs.proof_file import read_proof_file
from memberledger.proofs.publish import publish, read_publication
from memberledger.proofs.settings import proof_settings
from memberledger.proofs.verify import verify_proof_file
from memberledger.tiers import parse_tier

ACCOUNT_HELP = "Ape account that signs (default locally: test account 0)."


@click.group(short_help="Private proofs of membership: deploy, publish, audit, verify")
def cli() -> None:
    """Private proofs of membership (Semaphore v4): members prove "an active member, tier T
    or higher, for campaign C" without saying who they are.

    \b
    ape run proofs deploy                 MembershipProofs + verifier beside the programme
    ape run proofs publish                bring the groups' roots on chain up to date
    ape run proofs audit                  recompute every published root from the chain
    ape run proofs verify proof.json --campaign cinema-2026-12   (free, by eth_call)
    ape run proofs status | set-window SECONDS
    """


@cli.command(cls=ConnectedProviderCommand, short_help="Deploy MembershipProofs")
@click.option("--account", "alias", help=ACCOUNT_HELP)
@click.option("--publisher", help="Also give PROOF_PUBLISHER_ROLE to this address.")
@reports_errors
def deploy(alias: str | None, publisher: str | None) -> None:
    """Deploy Semaphore's verifier and MembershipProofs for this chain's programme, with the
    root validity window of MEMBERLEDGER_PROOF_ROOT_VALIDITY (seconds, default 3600), and
    write deployments/<chain id>.proofs.json."""
    console = Console()
    sender = operator_account(accounts, chain.chain_id, alias)
    settings = proof_settings()
    deployed = deploy_proofs(
        project, chain, sender, root_validity=settings.root_validity, publisher=publisher
    )
    path = save_proofs_manifest(deployed)
    console.print(f"MembershipProofs at {deployed.proofs} (verifier {deployed.verifier}); {path}")


@cli.command("publish", cls=ConnectedProviderCommand, short_help="Publish the groups' roots")
@click.option("--account", "alias", help=ACCOUNT_HELP)
@click.option(
    "--confirmations", default=0, show_default=True, help="Leave out the newest N blocks."
)
@reports_errors
def publish_(alias: str | None, confirmations: int) -> None:
    """Rebuild the four groups (active; silver, gold, platinum or higher) from the chain's
    events and publish their roots, unless the roots on chain are already these. Run it as
    often as removals must take effect (e.g. every 10 minutes from cron): a removed member can
    prove the old fact until the next publication plus the root validity window."""
    console = Console()
    deployment, proofs = attach_proofs(project, chain)
    sender = operator_account(accounts, chain.chain_id, alias)
    node = NodeClient(node_url(chain.provider))
    total = max(1, node.block_number() - confirmations - deployment.registry_block + 1)
    with row_progress(console, "reading events (blocks)", total) as advance:
        result = publish(
            node, deployment, proofs, sender, confirmations=confirmations, on_blocks=advance
        )
    table = _groups_table(
        f"Groups through block {result.through_block}", result.roots, result.sizes
    )
    console.print(table)
    if result.sent:
        console.print(
            f"published in {result.tx_hash}: {result.gas_used:,} gas, groups changed "
            f"{list(result.changed_groups)}, members joined or left {result.members_changed}"
        )
    else:
        console.print("up to date: nothing was sent")


@cli.command("audit", cls=ConnectedProviderCommand, short_help="Recompute every published root")
@reports_errors
def audit_() -> None:
    """Rebuild the groups at each publication's block from the registry's and MembershipProofs'
    events alone and compare every published root and size. Exits with status 1 on any
    difference."""
    console = Console()
    deployment, _ = attach_proofs(project, chain)
    node = NodeClient(node_url(chain.provider))
    total = node.block_number() - deployment.registry_block + 1
    with row_progress(console, "reading events (blocks)", total) as advance:
        result = audit(node, deployment, advance)
    table = Table(title=f"Publications audited through block {result.head}")
    for column in ("through block", "published in", "groups", "sizes", "result"):
        table.add_column(column)
    for publication in result.publications:
        table.add_row(
            str(publication.through_block),
            str(publication.published_in_block),
            "0-3",
            " / ".join(str(s) for s in publication.published_sizes),
            "[green]recomputed: equal[/]"
            if publication.ok
            else f"[red]DIFFERENT in groups {list(publication.mismatched_groups)}[/]",
        )
    console.print(table)
    console.print(f"{len(result.publications)} publications, all equal: {result.ok}")
    if not result.ok:
        sys.exit(1)


@cli.command(cls=ConnectedProviderCommand, short_help="Check a member's proof (free)")
@click.argument("proof_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--campaign", required=True, help="The campaign id the proof must be for.")
@click.option("--tier", "tier", help="Require this tier or higher (name or number).")
@click.option("--partner", help="Also say whether this partner address used the nullifier.")
@reports_errors
def verify(proof_path: Path, campaign: str, tier: str | None, partner: str | None) -> None:
    """Check a proof file by eth_call (no transaction, no gas). Prints the verdict, the group
    and the nullifier (the same for every proof this member makes in this campaign: record
    it to refuse a second use). Exits with status 1 if the proof is not valid."""
    console = Console()
    _, proofs = attach_proofs(project, chain)
    proof_file = read_proof_file(proof_path)
    at_least = None if tier is None else parse_tier(tier)
    verdict = verify_proof_file(
        NodeClient(node_url(chain.provider)),
        proofs,
        int(chain.chain_id),
        proof_file,
        campaign,
        partner=partner,
        at_least=at_least,
    )
    table = Table(title=f"Proof {proof_path}", show_header=False)
    table.add_row("verdict", "[green]valid[/]" if verdict.valid else "[red]NOT valid[/]")
    table.add_row("why", verdict.reason)
    table.add_row("group", verdict.group_words)
    table.add_row("campaign", verdict.campaign)
    table.add_row("nullifier", str(verdict.nullifier))
    if verdict.used_by_partner is not None:
        table.add_row("used with this partner", "yes" if verdict.used_by_partner else "no")
    console.print(table)
    if not verdict.valid:
        sys.exit(1)


@cli.command(cls=ConnectedProviderCommand, short_help="Show the published groups")
@reports_errors
def status() -> None:
    """The roots and sizes on chain, the block they include, and the validity window."""
    _, proofs = attach_proofs(project, chain)
    publication = read_publication(proofs)
    console = Console()
    console.print(
        _groups_table(
            f"Published through block {publication.through_block}",
            publication.roots,
            publication.sizes,
        )
    )
    console.print(f"replaced roots stay accepted for {publication.root_validity} s")


@cli.command("set-window", cls=ConnectedProviderCommand, short_help="Set the root validity window")
@click.argument("seconds", type=click.IntRange(0, 2**32 - 1))
@click.option("--account", "alias", help=ACCOUNT_HELP)
@reports_errors
def set_window(seconds: int, alias: str | None) -> None:
    """Set how many SECONDS a replaced group root stays accepted (admin only). Shorter: a
    removed member stops proving sooner, but a proof made just before a publication expires
    sooner too."""
    _, proofs = attach_proofs(project, chain)
    sender = operator_account(accounts, chain.chain_id, alias)
    try:
        proofs.setRootValidity(seconds, sender=sender)
    except Exception as exc:
        raise ChainRejected(f"the chain refused: {revert_reason(exc)}") from exc
    Console().print(f"replaced roots now stay accepted for {seconds} s")


def _groups_table(title: str, roots: tuple[int, ...], sizes: tuple[int, ...]) -> Table:
    table = Table(title=title)
    for column in ("group", "who", "members", "root"):
        table.add_column(column)
    for group, (root, size) in enumerate(zip(roots, sizes, strict=True)):
        table.add_row(str(group), group_name(group), f"{size:,}", f"{root:#066x}"[:18] + "…")
    return table
