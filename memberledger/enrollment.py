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
   will enroll them are stored, a few batches per vault transaction
   (`memberledger.plan_steps`), while
4. the courier sends the batches stored so far (see `memberledger.courier`), several in
   flight, and each receipt marks its members enrolled, with the transaction hash and block.

Only one run works on a vault at a time (`memberledger.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memberledger import calldata
from memberledger.bulk import (
    BulkResult,
    RunOptions,
    check_and_send,
    run_bulk,
    stage_file,
    worker_count,
)
from memberledger.commitment import Commitment
from memberledger.enrollment_csv import scan_sealed_enrollment_file
from memberledger.errors import JournalError
from memberledger.gas import ENROLL_GAS
from memberledger.journal import Batch, BatchKind, EnrollmentEntry
from memberledger.onchain import ChainStatus, fetch_commitments, fetch_statuses
from memberledger.programme import Programme, phone_region
from memberledger.staging import EnrollmentStaging, pending_enrollments


@dataclass
class EnrollmentResult(BulkResult):
    """`done`: members already enrolled; `pending`: stored by an earlier run, not yet
    confirmed on chain."""


def enroll_file(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> EnrollmentResult:
    """Enroll the members of `path`; see the module docstring for the steps."""
    return run_bulk(programme, path, options or RunOptions(), "an enroll run", _enroll)


def _enroll(programme: Programme, path: Path, options: RunOptions) -> EnrollmentResult:
    result = EnrollmentResult(path=path)
    vault, journal = programme.vault, programme.journal
    target = EnrollmentTarget(programme)
    if not options.dry_run:
        programme.courier(target, options.send).reconcile()
    staging = EnrollmentStaging(vault, programme.node, target.contract)
    try:
        outcomes = scan_sealed_enrollment_file(
            path,
            staging.index,
            vault.sealer,
            default_region=phone_region(),
            workers=worker_count(path, options),
        )
        stage_file(programme, result, staging, outcomes)
        staging.check_vault()
        staging.check_chain()
        check_and_send(
            programme,
            result,
            staging,
            target,
            options,
            description="enrolling",
            # Members an earlier run stored but never planned go first.
            before_planning=lambda size: journal.plan(
                BatchKind.ENROLL, pending_enrollments(vault), size
            ),
        )
    finally:
        staging.close()
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
