"""Results as rich tables, the same for the scripts and the demo."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from memberledger.bulk.courier import Delivery
from memberledger.bulk.enrollment import EnrollmentResult
from memberledger.bulk.rewards import RewardsResult
from memberledger.bulk.run import BulkResult, Estimate, RunFigures
from memberledger.consent import describe
from memberledger.ops.erasure import ErasureReceipt
from memberledger.ops.history import HistoryEvent
from memberledger.ops.members import MemberView
from memberledger.ops.report import ProgrammeReport
from memberledger.ops.upkeep import Compaction
from memberledger.ops.verification import VerificationResult
from memberledger.store.retention import RetentionOutcome
from memberledger.tiers import TIERS


def enrollment_summary(result: EnrollmentResult) -> Table:
    return _bulk_summary(result, f"Enrollment of {result.path.name}", "members", "enrolled")


def rewards_summary(result: RewardsResult) -> Table:
    extra = ("base points of the new events (before tier multipliers)", str(result.new_points))
    return _bulk_summary(
        result, f"Rewards of {result.path.name}", "reward events", "credited", extra
    )


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
