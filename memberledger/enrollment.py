"""Enrolling the members of a CSV file: validate all of it, vault, journal, chain.

1. The whole file is validated first, against itself, the vault and the chain. A member id
   or wallet the vault or the chain already knows is an error, except a row that repeats
   exactly what the vault holds for that member: that member is *already enrolled* (or
   *pending*, when an earlier run stopped before the chain confirmed), so running the same
   file again is safe and finishes the job.
2. Any error: every one is reported (line, field, reason) and nothing is stored or sent,
   unless `skip_invalid`, which writes the rejected rows' errors to a CSV file instead.
3. Each new member gets a fresh 32-byte salt and its commitment; the new members and the
   batches that will enroll them are stored in one vault transaction.
4. The journal sends the batches (see `memberledger.journal`), and each receipt marks its
   members enrolled, with the transaction hash and block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memberledger.commitment import commit, new_salt
from memberledger.csv_records import default_rejects_path, write_rejects
from memberledger.enrollment_csv import EnrollmentRow, validate_enrollment_file
from memberledger.errors import InvalidFile, InvalidRow, JournalError
from memberledger.journal import (
    DEFAULT_BATCH_SIZE,
    Batch,
    BatchCourier,
    BatchKind,
    Delivery,
    EnrollmentEntry,
)
from memberledger.onchain import ChainStatus, event_logs, read_member, read_statuses, tx_hex
from memberledger.pii import canonical_bytes
from memberledger.programme import Programme, phone_region
from memberledger.progress import batch_progress
from memberledger.vault import MemberRecord, MemberStatus, StoredMember


@dataclass
class EnrollmentResult:
    path: Path
    new: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    already_pending: list[str] = field(default_factory=list)
    rejected: list[InvalidRow] = field(default_factory=list)
    rejects_path: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def enrolled_now(self) -> int:
        return sum(len(delivery.batch.entries) for delivery in self.deliveries)

    @property
    def resumed(self) -> int:
        """Members of earlier runs that this run finished enrolling."""
        return self.enrolled_now - len(self.new)

    @property
    def nothing_to_do(self) -> bool:
        return not self.new and not self.deliveries


def enroll_file(
    programme: Programme,
    path: Path,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> EnrollmentResult:
    """Enroll the members of `path`; see the module docstring for the steps."""
    result = EnrollmentResult(path=path)
    report = validate_enrollment_file(path, default_region=phone_region())
    errors = list(report.errors)
    new_rows = _classify(programme, report.rows, result, errors)
    errors.sort(key=lambda error: error.line)
    if errors and not skip_invalid:
        raise InvalidFile(str(path), errors)
    if errors:
        result.rejected = errors
        result.rejects_path = rejects_path or default_rejects_path(path)
        write_rejects(result.rejects_path, errors)

    vault, journal = programme.vault, programme.journal
    records = [_new_record(row) for row in new_rows]
    with vault.transaction():
        vault.add_members(records)
        journaled = journal.entries(BatchKind.ENROLL)
        waiting = [
            _entry(member)
            for member in vault.iter_members()
            if member.status is MemberStatus.PENDING and member.member_id not in journaled
        ]
        journal.plan(BatchKind.ENROLL, waiting, batch_size)
    result.new = [record.member_id for record in records]

    batches = journal.open_batches(BatchKind.ENROLL)
    courier = BatchCourier(journal, vault, EnrollmentTarget(programme), programme.chain)
    with batch_progress(programme.console, "enrolling", batches) as advance:
        result.deliveries = courier.deliver(batches, programme.sender, advance)
    return result


def _classify(
    programme: Programme,
    rows: Sequence[EnrollmentRow],
    result: EnrollmentResult,
    errors: list[InvalidRow],
) -> list[EnrollmentRow]:
    """The rows to enroll now; rows the vault already holds go to `result`, conflicts with
    the vault or the chain to `errors`."""
    vault = programme.vault
    unknown: list[EnrollmentRow] = []
    for row in rows:
        stored = vault.get(row.member_id)
        if stored is None:
            holder = vault.get_by_wallet(row.wallet)
            if holder is not None:
                errors.append(
                    InvalidRow(
                        row.line, "wallet", f"already belongs to member {holder.member_id!r}"
                    )
                )
            else:
                unknown.append(row)
            continue
        problem = _difference(programme, stored, row)
        if problem:
            errors.append(InvalidRow(row.line, "member_id", problem))
        elif stored.status is MemberStatus.ENROLLED:
            result.already_enrolled.append(row.member_id)
        else:
            result.already_pending.append(row.member_id)

    statuses = read_statuses(programme.registry, [row.wallet for row in unknown])
    new_rows = []
    for row in unknown:
        status, _ = statuses[row.wallet]
        if status is ChainStatus.NONE:
            new_rows.append(row)
        elif status is ChainStatus.ERASED:
            reason = "was erased on-chain; an erased wallet can never be enrolled again"
            errors.append(InvalidRow(row.line, "wallet", reason))
        else:
            reason = f"already has an on-chain membership ({status.word}) the vault does not know"
            errors.append(InvalidRow(row.line, "wallet", reason))
    return new_rows


def _difference(programme: Programme, stored: StoredMember, row: EnrollmentRow) -> str | None:
    """Why `row` is not the member the vault holds under its member id, if it is not."""
    if stored.status is MemberStatus.ERASED:
        return "already in the vault, erased: an erased member cannot be enrolled again"
    if stored.wallet != row.wallet:
        return f"already in the vault with another wallet ({stored.wallet})"
    personal, _ = programme.vault.personal_data(stored.member_id)
    if (personal, stored.tier, stored.consent) != (row.personal, row.tier, row.consent):
        return "already in the vault with different data (tier, consent or personal data)"
    return None


def _new_record(row: EnrollmentRow) -> MemberRecord:
    salt = new_salt()
    return MemberRecord(
        member_id=row.member_id,
        wallet=row.wallet,
        personal=row.personal,
        salt=salt,
        commitment=commit(canonical_bytes(row.personal), salt),
        consent=row.consent,
        tier=row.tier,
    )


def _entry(member: StoredMember) -> EnrollmentEntry:
    return EnrollmentEntry(
        member.member_id, member.wallet, member.commitment, member.consent, member.tier
    )


class EnrollmentTarget:
    """Enrollment batches on the registry: applied when every member carries the batch's
    commitment."""

    kind = BatchKind.ENROLL

    def __init__(self, programme: Programme) -> None:
        self.programme = programme

    def is_applied(self, batch: Batch) -> bool:
        registry = self.programme.registry
        held = [
            read_member(registry, entry.wallet).commitment == entry.commitment
            for entry in batch.enrollments
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
        logs = event_logs(
            self.programme.chain,
            self.programme.registry.MemberEnrolled,
            self.programme.from_block,
            member=first.wallet,
        )
        found = None
        for log in logs:
            if bytes(log.commitment) == first.commitment.value:
                found = tx_hex(log.transaction_hash)
        return found

    def transaction(self, batch: Batch, sender: Any) -> Any:
        rows = [
            (entry.wallet, entry.commitment.value, entry.consent, entry.tier)
            for entry in batch.enrollments
        ]
        return self.programme.registry.enrollBatch.as_transaction(rows, sender=sender)

    def on_confirmed(self, batch: Batch, tx_hash: str, block: int) -> None:
        member_ids = [entry.member_id for entry in batch.enrollments]
        self.programme.vault.mark_enrolled(member_ids, tx_hash, block)
