"""Results as rich tables, the same for the scripts and the demo."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from memberledger.bulk.chain_credits import Rebuilt
from memberledger.bulk.courier import Delivery
from memberledger.bulk.enrollment import EnrollmentResult
from memberledger.bulk.rewards import RetryResult, RewardsResult
from memberledger.bulk.run import BulkResult, Estimate, RunFigures
from memberledger.chain.accounts import is_development_chain
from memberledger.chain.deployment import (
    PUBLIC_CHAIN_ADMIN_DELAY,
    Deployment,
    DeploymentEstimate,
    RoleHandover,
)
from memberledger.consent import describe
from memberledger.index.audit import AuditResult
from memberledger.index.chain_index import IndexStatus
from memberledger.index.follower import CatchUp
from memberledger.ops.erasure import ErasureReceipt
from memberledger.ops.history import HistoryEvent
from memberledger.ops.lifecycle import ActionOutcome
from memberledger.ops.members import MemberView
from memberledger.ops.redemptions import Redemption
from memberledger.ops.report import ProgrammeReport
from memberledger.ops.upkeep import Compaction
from memberledger.ops.verification import VerificationResult
from memberledger.store.journal import ChainCredit, SkippedCredit
from memberledger.store.retention import RetentionOutcome
from memberledger.store.transfer import TableCopy
from memberledger.tiers import TIERS


def deployment_table(
    deployment: Deployment, manifest: Path, roles: RoleHandover, admin_delay: int
) -> Table:
    table = _table(f"Deployed on chain {deployment.chain_id}", "what", "value")
    table.add_row("MembershipRegistry", deployment.registry)
    table.add_row("LoyaltyPoints", deployment.points)
    table.add_row("deploy block", str(deployment.deploy_block))
    table.add_row("policy version", f"{deployment.policy_version} ({deployment.policy_hash[:18]}…)")
    table.add_row("admin", f"{deployment.deployer} (transfers wait {_duration(admin_delay)})")
    for role, holder in (
        ("registrar", roles.registrar),
        ("issuer", roles.issuer),
        ("pauser", roles.pauser),
    ):
        if holder and holder != deployment.deployer:
            table.add_row(role, f"{holder} (the deployer renounced it)")
        else:
            table.add_row(role, f"{deployment.deployer} (the deployer)")
    table.add_row("compiler", f"solc {deployment.compiler_version}")
    table.add_row("manifest", str(manifest))
    table.add_row("verification input", deployment.standard_input)
    if not is_development_chain(deployment.chain_id) and admin_delay < PUBLIC_CHAIN_ADMIN_DELAY:
        table.caption = (
            f"warning: an admin transfer waits only {_duration(admin_delay)}; a day or more "
            "gives the organisation time to notice and cancel one it did not intend"
        )
    elif not roles.count:
        table.caption = (
            "the deployer holds every role: hand registrar, issuer and pauser to other "
            "accounts with `ape run roles grant` (or deploy with --registrar/--issuer/--pauser)"
        )
    return table


def deployment_estimate_table(estimate: DeploymentEstimate, chain_id: int, sender: str) -> Table:
    table = _table(f"Dry run on chain {chain_id}: nothing sent", "transaction", "gas")
    for what, gas in estimate.rows:
        table.add_row(what, f"{gas:,}")
    table.add_row("total", f"{estimate.total_gas:,}")
    gwei = estimate.gas_price_wei / 1e9
    table.caption = (
        f"cost at the current gas price ({gwei:.3f} gwei): "
        f"{estimate.total_cost_wei / 1e18:.6f} ETH, signed by {sender}"
    )
    return table


def _duration(seconds: int) -> str:
    if seconds == 0:
        return "no time at all"
    if seconds % 86_400 == 0:
        days = seconds // 86_400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3_600 == 0:
        return f"{seconds // 3_600} h"
    return f"{seconds:,} s"


def enrollment_summary(result: EnrollmentResult) -> Table:
    return _bulk_summary(result, f"Enrollment of {result.path.name}", "members", "enrolled")


def rewards_summary(result: RewardsResult) -> Table:
    extra = [("base points of the new events (before tier multipliers)", f"{result.new_points:,}")]
    if result.deliveries:
        extra.append(("points credited (after tier multipliers)", f"{result.points_credited:,}"))
    skipped = result.skipped_now
    if skipped:
        extra.append(
            (
                "[yellow]skipped by the chain now (member not active)[/]",
                f"{len(skipped):,}: `ape run issue_rewards --retry-skipped` once reinstated",
            )
        )
    if result.skipped_before:
        extra.append(
            (
                "skipped earlier, waiting (member not active then)",
                f"{result.skipped_before:,}: `ape run issue_rewards --retry-skipped`",
            )
        )
    return _bulk_summary(
        result, f"Rewards of {result.path.name}", "reward events", "credited", *extra
    )


def skipped_credits_table(skipped: Sequence[ChainCredit | SkippedCredit], title: str) -> Table:
    """Credits the chain skipped: who, how many base points, why."""
    table = _table(title, "event", "wallet", "base points", "why")
    for credit in skipped[:LISTED_BATCHES]:
        if isinstance(credit, SkippedCredit):
            event, reason = credit.event_id, credit.reason
        else:
            event, reason = "tag 0x" + credit.tag.hex(), credit.skipped_reason or ""
        table.add_row(escape(event), credit.wallet, f"{credit.points:,}", escape(reason))
    if len(skipped) > LISTED_BATCHES:
        table.add_row(f"… {len(skipped) - LISTED_BATCHES:,} more", "", "", "")
    return table


def retry_summary(result: RetryResult) -> Table:
    table = _table("Skipped credits, sent again", "credits", "count")
    table.add_row("sent again (member active now)", f"{len(result.retried):,}")
    table.add_row("still waiting (member not active)", f"{len(result.waiting):,}")
    if result.deliveries:
        table.add_row("points credited (after tier multipliers)", f"{result.points_credited:,}")
        if result.skipped_again:
            table.add_row("[yellow]skipped again by the chain[/]", f"{len(result.skipped_again):,}")
    if not result.retried:
        table.caption = "nothing to send"
    return table


def rebuild_table(rebuilt: Rebuilt) -> Table:
    table = _table("Journal rebuilt from the chain", "", "count")
    table.add_row("credit batches learnt", f"{rebuilt.batches:,}")
    table.add_row("reward events they credited", f"{rebuilt.credits:,}")
    table.add_row("reward events they skipped (member not active)", f"{rebuilt.skipped:,}")
    table.add_row("open batches of this journal released (their events were paid)",
                  f"{len(rebuilt.released):,}")  # fmt: skip
    if not rebuilt.batches:
        table.caption = "the journal already knew every credit batch on chain"
    return table


def _bulk_summary(
    result: BulkResult, title: str, noun: str, verb: str, *extra: tuple[str, str]
) -> Table:
    table = _table(title, noun, "count")
    table.add_row("rows in the file", f"{result.figures.rows_read:,}")
    label = f"would be {verb}" if result.estimate else f"{verb} now"
    table.add_row(f"{label} (new in this file)", str(result.new))
    if result.resumed > 0:
        table.add_row(f"{verb} now (left over by an earlier run)", str(result.resumed))
    for name, value in extra:
        table.add_row(name, value)
    table.add_row(f"already {verb}", str(result.done))
    if result.rejects_path is not None:
        table.add_row(f"rejected, see {result.rejects_path}", str(result.rejected))
    _add_figures(table, result.figures, result.deliveries)
    if result.nothing_to_do:
        table.caption = "nothing to do"
    return table


def _add_figures(table: Table, figures: RunFigures, deliveries: Sequence[Delivery]) -> None:
    if not deliveries:
        return
    rows = sum(delivery.rows for delivery in deliveries)
    table.add_row("batches confirmed", f"{figures.batches:,}")
    table.add_row(
        "gas used", f"{figures.gas_used:,} ({figures.gas_used // max(rows, 1):,} per row)"
    )
    rate = rows / figures.seconds if figures.seconds else 0.0
    checked = figures.phases.get("checked", 0.0)
    split = f"checking {checked:,.1f} s, storing and sending {figures.seconds - checked:,.1f} s"
    table.add_row("time", f"{figures.seconds:,.1f} s ({rate:,.0f} rows/s; {split})")


def estimate_table(estimate: Estimate, what: str) -> Table:
    """What `--dry-run` would send."""
    table = _table(f"Dry run: nothing was sent ({what})", "", "estimate")
    table.add_row("rows to send", f"{estimate.rows:,}")
    table.add_row("batches (transactions)", f"{estimate.batches:,}")
    table.add_row("gas", f"{estimate.gas:,}")
    fee = estimate.base_fee + estimate.priority_fee
    table.add_row("fee per gas now (base + priority)", f"{fee / 1e9:,.3f} gwei")
    table.add_row("cost at that fee", f"{estimate.cost_wei / 1e18:,.6f} ETH")
    if estimate.refusal:
        table.add_row("[red]the chain would refuse the first batch[/]", escape(estimate.refusal))
    return table


#: More batches than this are summarised instead of listed.
LISTED_BATCHES = 20


def deliveries_table(deliveries: Sequence[Delivery]) -> Table:
    table = _table("Batches", "batch id", "rows", "how", "tx hash", "block", "gas used")
    for delivery in deliveries[:LISTED_BATCHES]:
        table.add_row(
            _short(delivery.batch_id),
            str(delivery.rows),
            delivery.how,
            delivery.tx_hash,
            str(delivery.block),
            f"{delivery.gas_used:,}",
        )
    if len(deliveries) > LISTED_BATCHES:
        hows = sorted({delivery.how for delivery in deliveries[LISTED_BATCHES:]})
        table.add_row(
            f"… {len(deliveries) - LISTED_BATCHES:,} more",
            f"{sum(d.rows for d in deliveries[LISTED_BATCHES:]):,}",
            ", ".join(hows),
            "",
            "",
            f"{sum(d.gas_used for d in deliveries[LISTED_BATCHES:]):,}",
        )
    return table


def member_table(view: MemberView) -> Table:
    table = _table(f"Member {view.wallet}", "", "vault", "chain")
    stored, chain, personal = view.stored, view.chain, view.personal
    table.add_row("member id", escape(stored.member_id) if stored else "-", "")
    table.add_row("status", stored.status.value if stored else "not in vault", chain.status.word)
    table.add_row(
        "commitment",
        stored.commitment.hex if stored else "-",
        chain.commitment.hex if chain.commitment else "-",
    )
    matches = view.commitment_matches
    table.add_row("commitments agree", "", "-" if matches is None else ("yes" if matches else "NO"))
    table.add_row(
        "tier",
        TIERS.get(stored.tier, str(stored.tier)) if stored else "-",
        TIERS.get(chain.tier, str(chain.tier)) if chain.status else "-",
    )
    table.add_row(
        "consent",
        _consent(stored.consent) + " (at enrollment)" if stored else "-",
        _consent(chain.consent) + f" (policy v{chain.policy_version})" if chain.status else "-",
    )
    table.add_row("points", "", str(view.balance))
    if stored is not None and stored.enroll_tx:
        table.add_row("enrolled by", f"{stored.enroll_tx} (block {stored.enroll_block})", "")
    if personal is not None:
        table.add_row("full name", escape(personal.full_name), "never on chain")
        table.add_row("e-mail", escape(personal.email), "never on chain")
        table.add_row("phone", personal.phone or "-", "never on chain")
        table.add_row("birth date", personal.birth_date or "-", "never on chain")
        if stored is not None and not stored.given_spelling:
            table.add_row("spelling", "lower-cased by MemberLedger 0.1 (original lost)", "")
        if stored is not None and stored.pending_commitment is not None:
            table.add_row(
                "update waiting",
                f"`ape run members update {escape(stored.member_id)}` finishes it",
                "",
            )
        for note in view.notes:
            table.add_row(f"{note.action} reason", escape(note.text), f"({note.created_at})")
    elif view.vault_problem:
        table.add_row("personal data", f"[red]{escape(view.vault_problem)}[/]", "")
    elif stored is not None:
        table.add_row("personal data", "erased", "")
    return table


def history_table(events: Sequence[HistoryEvent], limit: int | None = None) -> Table:
    shown = list(events)[-limit:] if limit else list(events)
    title = (
        "History" if len(shown) == len(events) else f"History (last {len(shown)} of {len(events)})"
    )
    table = _table(title, "block", "time (UTC)", "event", "what happened", "tx")
    for event in shown:
        table.add_row(
            str(event.block), event.when, event.name, event.summary, _short(event.tx_hash)
        )
    return table


def action_line(outcome: ActionOutcome) -> str:
    """One action's result, as one line of rich markup."""
    who = escape(outcome.member_id or "(not in vault)") + f" ({outcome.wallet})"
    if not outcome.changed:
        return f"{who}: {escape(outcome.outcome)}"
    sent = f"; tx {outcome.tx_hash}, block {outcome.block}" if outcome.tx_hash else ""
    return f"[green]{escape(outcome.action)}[/] {who}: {escape(outcome.outcome)}{sent}"


def actions_table(outcomes: Sequence[ActionOutcome], title: str) -> Table:
    table = _table(title, "member", "action", "outcome", "tx hash", "block")
    for outcome in outcomes:
        table.add_row(
            escape(outcome.member_id or outcome.wallet),
            outcome.action,
            escape(outcome.outcome),
            outcome.tx_hash or "-",
            str(outcome.block or "-"),
        )
    # A change batch carries out many rows in one transaction: count transactions, not rows.
    sent = len({outcome.tx_hash for outcome in outcomes if outcome.tx_hash})
    table.caption = f"{sent} transaction{'s' if sent != 1 else ''} sent" if sent else "nothing sent"
    return table


def redemptions_table(redemptions: Sequence[Redemption], title: str) -> Table:
    table = _table(title, "id", "member", "reward", "points", "redeemed at (UTC)", "handed out")
    for r in redemptions:
        table.add_row(
            r.redemption_id,
            escape(r.member_id or r.wallet),
            escape(f"{r.reward_id} {r.reward}"),
            f"{r.points:,}",
            r.when,
            r.fulfilled_at or "[bold]open[/]",
        )
    open_count = sum(1 for r in redemptions if r.is_open)
    table.caption = f"{len(redemptions)} redemptions, {open_count} not handed out yet"
    return table


def verification_tables(result: VerificationResult) -> list[Table]:
    """A summary and, when anything disagrees, the mismatches."""
    summary = _table("Verification: vault against chain", "members", "count")
    summary.add_row("enrolled, commitment recomputed and compared", str(result.checked))
    summary.add_row("pending (not on chain yet)", str(result.pending))
    summary.add_row("erased", str(result.erased))
    summary.add_row("mismatches", str(len(result.mismatches)))
    summary.caption = "all match" if result.ok else "MISMATCHES FOUND"
    if result.ok:
        return [summary]
    mismatches = _table("Mismatches", "member id", "wallet", "problem")
    for mismatch in result.mismatches:
        mismatches.add_row(escape(mismatch.member_id), mismatch.wallet, escape(mismatch.problem))
    return [summary, mismatches]


def erasure_table(receipt: ErasureReceipt) -> Table:
    who = receipt.member_id or "(not in vault)"
    table = _table(
        f"Erasure receipt: {who}, {receipt.wallet}", "step", "outcome", "tx hash", "block"
    )
    for step in receipt.steps:
        table.add_row(step.step, step.outcome, step.tx_hash or "-", str(step.block or "-"))
    if not receipt.changed_anything:
        table.caption = "nothing to do: already erased everywhere"
    return table


def report_tables(report: ProgrammeReport) -> list[Table]:
    status = _table("Members by status (chain)", "status", "members")
    status.caption = f"as of block {report.block:,}"
    for name, count in report.by_status.items():
        status.add_row(name, str(count))
    vault = _table("Members by status (vault)", "status", "members")
    for name, count in report.vault_by_status.items():
        vault.add_row(name, str(count))
    tier = _table("Current members by tier", "tier", "members")
    for name, count in report.by_tier.items():
        tier.add_row(name, str(count))
    consent = _table("Current members by consent", "purpose", "members consenting")
    for name, count in report.by_consent.items():
        consent.add_row(name, str(count))
    points = _table("Points", "", "points")
    points.add_row("issued", f"{report.points_issued:,}")
    points.add_row("redeemed", f"{report.points_redeemed:,}")
    points.add_row("forfeited", f"{report.points_forfeited:,}")
    points.add_row("outstanding (total supply)", f"{report.points_outstanding:,}")
    points.add_row("reward events credited (this vault's journal)", f"{report.reward_events:,}")
    points.add_row("credit batches (this vault's journal)", f"{report.credit_batches:,}")
    rewards = _table("Redemptions", "reward", "description", "times", "points")
    for line in report.rewards:
        rewards.add_row(
            str(line.reward_id), line.description, str(line.redemptions), f"{line.points:,}"
        )
    return [status, vault, tier, consent, points, rewards]


def catch_up_line(done: CatchUp, status: IndexStatus) -> str:
    """One line about a catch-up and where the index stands."""
    read = (
        f"read blocks {done.first_block:,} to {done.read_block:,}: {done.events:,} "
        f"event{'' if done.events == 1 else 's'} in {done.seconds:,.1f} s "
        f"({done.events_per_second:,.0f} events/s)"
        if done.read_block >= done.first_block
        else "up to date"
    )
    return (
        f"index {status.path}: {read}; {status.events:,} events, {status.wallets:,} wallets; "
        f"final up to block {status.final_block:,}, read up to {status.read_block:,} "
        f"(head {done.head:,})"
    )


def audit_tables(result: AuditResult) -> list[Table]:
    """The index against the contracts: a summary and, when they disagree, the differences."""
    summary = _table(f"Index against the contracts (block {result.block:,})", "", "count")
    summary.add_row("wallets in the index", f"{result.wallets_indexed:,}")
    summary.add_row("wallets compared", f"{result.wallets_checked:,}")
    summary.add_row("differences", f"{len(result.differences):,}")
    summary.caption = (
        "the index agrees with the contracts"
        if result.ok
        else "DIFFERENCES FOUND: rebuild the index (ape run index rebuild)"
    )
    if result.ok:
        return [summary]
    differences = _table("Differences", "what", "field", "index", "chain")
    for difference in result.differences[:LISTED_DIFFERENCES]:
        differences.add_row(
            difference.what, difference.field, escape(difference.index), escape(difference.chain)
        )
    if len(result.differences) > LISTED_DIFFERENCES:
        differences.caption = f"the first {LISTED_DIFFERENCES} of {len(result.differences):,}"
    return [summary, differences]


#: Differences listed by `audit_tables`.
LISTED_DIFFERENCES = 50


def retention_table(outcome: RetentionOutcome, title: str) -> Table:
    table = _table(title, "journal", "count")
    table.add_row("confirmed batches old and deep enough", f"{outcome.candidates:,}")
    if outcome.unconfirmed_by_chain:
        table.add_row(
            "kept: the chain does not show them as the journal recorded them",
            f"{len(outcome.unconfirmed_by_chain):,}",
        )
    table.add_row("batches removed", f"{outcome.removed.batches:,}")
    table.add_row("rows removed", f"{outcome.removed.rows:,}")
    if outcome.archive is not None:
        table.add_row(f"archived to {outcome.archive}", f"{outcome.archive_bytes:,} bytes")
    if outcome.removed.batches:
        table.caption = "the space is reused by new rows; `ape run vault compact` returns it"
    return table


def compaction_table(compaction: Compaction) -> Table:
    table = _table(f"Compaction of {compaction.path}", "size on disk", "bytes")
    table.add_row("before", f"{compaction.before:,}")
    table.add_row("after", f"{compaction.after:,}")
    table.add_row("reclaimed", f"{compaction.reclaimed:,}")
    return table


def vault_copy_table(path: Path, copies: Sequence[TableCopy]) -> Table:
    table = _table(f"{path} copied into PostgreSQL", "table", "rows")
    for copy in copies:
        table.add_row(copy.table, f"{copy.rows:,}")
    table.add_row("all", f"{sum(copy.rows for copy in copies):,}")
    return table


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", min_width=len(title))
    for column in columns:
        table.add_column(column)
    return table


def _consent(flags: int) -> str:
    try:
        words = describe(flags)
    except ValueError:
        return f"unknown flags {flags:#x}"
    return ", ".join(words) if words else "nothing"


def _short(hex_text: str) -> str:
    return hex_text[:10] + "…" + hex_text[-4:]
