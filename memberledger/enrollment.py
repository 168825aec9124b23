"""Enrolling the members of a CSV file: validate all of it, vault, journal, chain.

1. The whole file is validated first, streamed (in worker processes when it is large),
   against itself, the vault and the chain; valid rows are sealed into a staging area (see
   `memberledger.staging`). A member id or wallet the vault or the chain already knows is an
   error, except a row that repeats exactly what the vault holds for that member: that
   member is *already enrolled* (or *pending*, when an earlier run stopped before the chain
   confirmed), so running the same file again is safe and finishes the job.
2. Any error: every one is reported (line, field, reason) and nothing is stored or sent,
   unless `skip_invalid`, which writes the rejected rows' errors to a CSV file instead.
3. The new members (each with a fresh 32-byte salt and its commitment) and the batches that
   will enroll them are stored in one vault transaction.
4. The courier sends the batches (see `memberledger.courier`), several in flight, and each
   receipt marks its members enrolled, with the transaction hash and block.

Only one run works on a vault at a time (`memberledger.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from memberledger import calldata
from memberledger.bulk import (
    Estimate,
    RunFigures,
    RunOptions,
    batch_size,
    deliver_open_batches,
    estimate,
    settle_errors,
    worker_count,
)
from memberledger.commitment import Commitment
from memberledger.courier import Delivery
from memberledger.enrollment_csv import scan_enrollment_file
from memberledger.errors import JournalError
from memberledger.gas import ENROLL_GAS
from memberledger.journal import Batch, BatchKind, BatchStatus, EnrollmentEntry
from memberledger.lock import exclusive_run
from memberledger.onchain import ChainStatus, fetch_commitments, fetch_statuses
from memberledger.programme import Programme, phone_region
from memberledger.progress import count_lines, row_progress
from memberledger.staging import EnrollmentStaging, pending_enrollments


@dataclass
class EnrollmentResult:
    path: Path
    new: int = 0
    already_enrolled: int = 0
    already_pending: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    estimate: Estimate | None = None
    figures: RunFigures = field(default_factory=RunFigures)

    @property
    def enrolled_now(self) -> int:
        return sum(delivery.rows for delivery in self.deliveries)

    @property
    def resumed(self) -> int:
        """Members of earlier runs that this run finished enrolling."""
        return self.enrolled_now - self.new

    @property
    def nothing_to_do(self) -> bool:
        return not self.new and not self.deliveries and self.estimate is None


def enroll_file(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> EnrollmentResult:
    """Enroll the members of `path`; see the module docstring for the steps."""
    options = options or RunOptions()
    if options.dry_run:
        return _enroll(programme, path, options)
    with exclusive_run(programme.vault.path, "an enroll run"):
        return _enroll(programme, path, options)


def _enroll(programme: Programme, path: Path, options: RunOptions) -> EnrollmentResult:
    result = EnrollmentResult(path=path)
    vault, journal = programme.vault, programme.journal
    target = EnrollmentTarget(programme)
    size = batch_size(options, target)
    if not options.dry_run:
        programme.courier(target, options.send).reconcile()
    staging = EnrollmentStaging(vault)
    try:
        outcomes = scan_enrollment_file(
            path,
            staging.index,
            default_region=phone_region(),
            workers=worker_count(path, options),
            sealer=vault.sealer,
        )
        lines = max(0, count_lines(path) - 1)
        with row_progress(programme.console, "checking", lines) as advance:
            staging.stage(outcomes, advance)
        result.figures.rows_read = staging.rows()
        staging.check_vault()
        staging.check_chain(programme.node, target.contract)
        result.rejected, result.rejects_path = settle_errors(path, staging.errors, options)
        result.figures.phase("checked")
        tally = staging.tally()
        result.new, result.already_enrolled = tally.new, tally.done
        result.already_pending = tally.pending
        if options.dry_run:
            first = staging.first_new(size)
            probe = Batch("0x" + "00" * 32, BatchKind.ENROLL, BatchStatus.PLANNED, tuple(first))
            result.estimate = estimate(programme, target, probe if first else None, tally.new, size)
            return result
        with vault.transaction():
            staging.store_new()
            fresh = journal.plan(BatchKind.ENROLL, pending_enrollments(vault), size)
        result.figures.phase("stored")
    finally:
        staging.close()
    result.deliveries = deliver_open_batches(
        programme, target, options, fresh=set(fresh), description="enrolling"
    )
    result.figures.finish(result.deliveries)
    return result


class EnrollmentTarget:
    """Enrollment batches on the registry: applied when every member carries the batch's
    commitment."""

    kind = BatchKind.ENROLL
    gas = ENROLL_GAS

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.contract = programme.deployment.registry

    def calldata(self, batch: Batch) -> bytes:
        return calldata.enroll_batch(
            [
                calldata.Enrollment(e.wallet, e.commitment.value, e.consent, e.tier)
                for e in batch.enrollments
            ]
        )

    def applied(self, batch: Batch) -> bool:
        node = self.programme.node
        wallets = [entry.wallet for entry in batch.enrollments]
        statuses = fetch_statuses(node, self.contract, wallets)
        if all(status is ChainStatus.NONE for status, _ in statuses):
            return False
        held = [
            Commitment(value) == entry.commitment if any(value) else False
            for value, entry in zip(
                fetch_commitments(node, self.contract, wallets), batch.enrollments, strict=True
            )
        ]
        if all(held):
            return True
        if any(held):
            raise JournalError(
                f"enrollment batch {batch.batch_id} is partly on chain: "
                f"{sum(held)} of {len(held)} members already carry its commitment. Someone "
                "enrolled them outside this vault; resolve that before running again"
            )
        return False

    def applying_transaction(self, batch: Batch) -> str | None:
        first = batch.enrollments[0]
        logs = self.programme.node.logs(
            self.contract,
            [calldata.MEMBER_ENROLLED_TOPIC, calldata.address_topic(first.wallet)],
            self.programme.from_block,
        )
        found = None
        for log in logs:
            if bytes.fromhex(str(log["data"])[2:42]) == first.commitment.value:
                found = str(log["transactionHash"]).lower()
        return found

    def on_confirmed(self, batch: Batch, tx_hash: str, block: int) -> None:
        member_ids = [entry.member_id for entry in batch.enrollments]
        self.programme.vault.mark_enrolled(member_ids, tx_hash, block)

    def on_reopened(self, batch: Batch, tx_hash: str) -> None:
        self.programme.vault.mark_pending([e.member_id for e in batch.enrollments], tx_hash)


__all__ = ["EnrollmentEntry", "EnrollmentResult", "EnrollmentTarget", "enroll_file"]
