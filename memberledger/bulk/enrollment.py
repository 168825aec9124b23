"""Enrolling the members of a CSV file: validate all of it, vault, journal, chain.

1. The whole file is validated first, streamed (in worker processes when it is large),
   against itself, the vault and the chain; valid rows are sealed into a staging area (see
   `memberledger.bulk.staging`). A member id or wallet the vault or the chain already knows is an
   error, except a row that repeats exactly what the vault holds for that member: that
   member is *already enrolled* (or *pending*, when an earlier run stopped before the chain
   confirmed), so running the same file again is safe and finishes the job.
2. Any error: every one is reported (line, field, reason) and nothing is stored or sent,
   unless `skip_invalid`, which writes the rejected rows' errors to a CSV file instead.
3. The new members (each with a fresh 32-byte salt and its commitment) and the batches that
   will enroll them are stored, a few batches per vault transaction
   (`Journal.plan_in_steps`), while
4. the courier sends the batches stored so far (see `memberledger.bulk.courier`), several in
   flight, and each receipt marks its members enrolled, with the transaction hash and block.

Only one enroll run works on a SQLite vault at a time. On PostgreSQL machines with different
signing accounts enroll at the same time: each checks and stores its file in turn (seconds),
then sends its own batches while the others store and send theirs
(`memberledger.store.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memberledger.bulk.courier import Outcome
from memberledger.bulk.gc_easing import ease_collector_in_worker
from memberledger.bulk.run import (
    BulkResult,
    RunOptions,
    bulk_run,
    courier_for,
    dry_run_estimate,
    settle_checked_file,
    stage_file,
    store_and_send,
    worker_count,
)
from memberledger.bulk.staging import EnrollmentStaging, unbatched_pending_members
from memberledger.chain import calldata
from memberledger.chain.gas import ENROLL_GAS
from memberledger.chain.reads import ChainStatus, fetch_commitments, fetch_statuses
from memberledger.chain.rpc import Receipt
from memberledger.errors import JournalError
from memberledger.intake.enrollment_file import scan_sealed_enrollment_file
from memberledger.pii.commitment import Commitment
from memberledger.programme import Programme
from memberledger.store.journal import Batch, BatchKind, EnrollmentEntry


@dataclass
class EnrollmentResult(BulkResult):
    """`done`: members already enrolled; `pending`: stored by an earlier run, not yet
    confirmed on chain."""


def enroll_file(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> EnrollmentResult:
    """Enroll the members of `path`; see the module docstring for the steps."""
    options = options or RunOptions()
    result = EnrollmentResult(path=path)
    vault, journal = programme.vault, programme.journal
    with bulk_run(programme, options, "an enroll run", BatchKind.ENROLL) as turn:
        target = EnrollmentTarget(programme)
        courier = courier_for(programme, target, options)
        if not options.dry_run:
            courier.reconcile()
        staging = EnrollmentStaging(
            programme.database, vault, journal, programme.node, target.contract
        )
        try:
            outcomes = scan_sealed_enrollment_file(
                path,
                staging.index,
                vault.sealer,
                default_region=programme.phone_region,
                workers=worker_count(path, options),
                worker_setup=ease_collector_in_worker,
            )
            stage_file(programme, result, staging, outcomes)
            turn.take()
            staging.check_vault()
            staging.check_chain()
            size = settle_checked_file(result, staging, options, target)
            if options.dry_run:
                result.estimate = dry_run_estimate(programme, staging, target, result.new, size)
            else:
                # Members an earlier run stored but never planned go first.
                sender = programme.signer.address
                unbatched = unbatched_pending_members(vault, journal)
                journal.plan(BatchKind.ENROLL, unbatched, size, sender)
                store_and_send(programme, courier, staging, size, result, "enrolling", turn)
        finally:
            staging.close()
    result.figures.finish(result.deliveries)
    return result


class EnrollmentTarget:
    """Enrollment batches on the registry: applied when every member carries the batch's
    commitment."""

    kind = BatchKind.ENROLL
    gas = ENROLL_GAS
    receipt_topics: frozenset[str] = frozenset()

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

    def outcome(self, batch: Batch, receipt: Receipt) -> Outcome:
        """An enrollment batch is all or none: every row was applied."""
        return Outcome()

    def on_confirmed(self, batch: Batch, receipt: Receipt) -> None:
        member_ids = [entry.member_id for entry in batch.enrollments]
        self.programme.vault.mark_enrolled(member_ids, receipt.tx_hash, receipt.block)

    def on_reopened(self, batch: Batch, tx_hash: str) -> None:
        self.programme.vault.mark_pending([e.member_id for e in batch.enrollments], tx_hash)


__all__ = ["EnrollmentEntry", "EnrollmentResult", "EnrollmentTarget", "enroll_file"]
