"""`ape run members apply changes.csv`: the lifecycle actions of a whole file.

The file is checked whole first, like an enrollment file: every row on its own
(`memberledger.intake.changes_file`), then against the vault and the chain in file order (a
member who exists; a membership still current when the row comes, counting the rows before
it: "suspend" then "reinstate" is fine, "revoke" then "tier" is not). One problem refuses the
file, and nothing is sent.

Then the rows are carried out:

1. A batch an earlier run of the same file recorded but never confirmed is settled first:
   confirmed if the chain holds it, else sent again (`ops.change_batches`).
2. A member's data rows (name, e-mail, phone, birth date) become one update, one transaction
   each, through `members update` (`ops.lifecycle.update_member`). Not batched: each update
   re-seals the member's data under a fresh salt in the vault, kept beside the current record
   until the chain holds the new commitment, then swapped in; that vault step belongs to one
   member and one transaction, and updates are rare next to status changes.
3. The status and tier rows (tier, suspend, reinstate, revoke) go out in file order in
   batches of `batch_size` rows (`changeBatch`, one transaction a batch), each recorded in the
   vault before it is broadcast and applied once by the registry (`ops.change_batches`).

Updates go before the batches. This keeps the file's order: an update needs a current
membership, and the check refuses one after a revoke of the same member, so every update in an
accepted file comes before anything that ends its membership; what a batch does to a status or
tier does not touch a commitment.

Each row carried out is recorded in the vault (`store.changes_applied`, by the file's SHA-256
and line), so running the same file again skips it; a batch's lines are recorded in the vault
transaction that confirms it. The chain is the last word on each row of a batch: a member who
changed between the check and the send (left, say) is skipped with `ChangeSkipped` and reported
as skipped; a row already true changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from memberledger.chain.reads import ChainStatus, read_member
from memberledger.errors import (
    ChainRejected,
    InvalidField,
    InvalidFile,
    InvalidRow,
    MemberLedgerError,
)
from memberledger.intake.changes_file import DATA_ACTIONS, ChangeRow, read_changes_file
from memberledger.ops.change_batches import (
    DEFAULT_BATCH_SIZE,
    SKIPPED,
    StatusRow,
    send_status_rows,
    settle_open_batches,
)
from memberledger.ops.lifecycle import ActionOutcome, update_member
from memberledger.ops.members import locate
from memberledger.programme import Programme
from memberledger.store.vault import MemberStatus

_CURRENT = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)
FIX = "Fix the file and run it again"


@dataclass(frozen=True)
class PlannedChange:
    """One transaction's worth of a changes file: a status action, or a member's data rows
    merged into one update (`lines` are the rows it carries out)."""

    lines: tuple[int, ...]
    member: str
    action: str
    value: str = ""
    changes: dict[str, str] = field(default_factory=dict)


@dataclass
class ChangesResult:
    path: Path
    outcomes: list[ActionOutcome] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)
    #: Members who hold a new salt now, and so need a new letter.
    letters_due: list[str] = field(default_factory=list)

    @property
    def skipped_by_chain(self) -> list[str]:
        """Members whose row the chain skipped: they changed between the check and the send."""
        return [
            outcome.member_id or outcome.wallet
            for outcome in self.outcomes
            if outcome.outcome.startswith(SKIPPED)
        ]

    @property
    def sent(self) -> int:
        """Transactions sent (a batch carries many rows in one)."""
        return len({outcome.tx_hash for outcome in self.outcomes if outcome.tx_hash})


def apply_changes_file(
    programme: Programme, path: Path, batch_size: int = DEFAULT_BATCH_SIZE
) -> ChangesResult:
    """Check the whole file, then carry its rows out; see the module docstring."""
    if batch_size < 1:
        raise InvalidField("batch size", f"must be at least 1, not {batch_size}")
    report = read_changes_file(path, programme.phone_region)
    if report.errors:
        raise InvalidFile(str(path), report.errors, fix=FIX)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    settled = settle_open_batches(programme, digest)
    done = programme.changes_applied.lines(digest)
    result = ChangesResult(
        path, skipped_lines=sorted(row.line for row in report.rows if row.line in done)
    )
    planned = plan_changes(
        programme, [row for row in report.rows if row.line not in done], str(path)
    )
    result.outcomes.extend(settled)
    for change in planned:
        if change.action != "update":
            continue
        try:
            updated = update_member(programme, change.member, change.changes)
        except MemberLedgerError as exc:
            raise _stopped(change, exc, len(result.outcomes)) from exc
        for line in change.lines:
            programme.changes_applied.record(digest, line, change.action, updated.action.tx_hash)
        result.outcomes.append(updated.action)
        if updated.letter_due:
            result.letters_due.append(updated.member_id)
    status_rows = [
        _status_row(programme, change) for change in planned if change.action != "update"
    ]
    try:
        result.outcomes.extend(send_status_rows(programme, digest, status_rows, batch_size))
    except MemberLedgerError as exc:
        raise ChainRejected(
            f"{exc}. Batches confirmed before it are recorded; fix the cause and run the same "
            "file again: what was done is skipped"
        ) from exc
    return result


def _stopped(change: PlannedChange, exc: MemberLedgerError, done: int) -> ChainRejected:
    return ChainRejected(
        f"line {change.lines[0]} ({change.action} {change.member}): {exc}. "
        f"{done} earlier action(s) were carried out and recorded; fix "
        "the cause and run the same file again: what was done is skipped"
    )


def _status_row(programme: Programme, change: PlannedChange) -> StatusRow:
    stored, wallet = locate(programme, change.member)
    return StatusRow(
        line=change.lines[0],
        member_id=stored.member_id if stored else None,
        wallet=wallet,
        action=change.action,
        tier=int(change.value) if change.action == "tier" else 0,
        reason=change.value if change.action == "suspend" else "",
    )


def plan_changes(
    programme: Programme, rows: list[ChangeRow], where: str = "the changes file"
) -> list[PlannedChange]:
    """The rows as transactions, after checking each against the vault and the chain in
    file order; `InvalidFile` with every problem otherwise."""
    errors: list[InvalidRow] = []
    status: dict[str, ChainStatus] = {}
    member_ids: dict[str, str] = {}
    updates: dict[str, PlannedChange] = {}
    fields_seen: dict[tuple[str, str], int] = {}
    planned: list[PlannedChange] = []
    for row in rows:
        try:
            stored, wallet = locate(programme, row.member)
        except MemberLedgerError as exc:
            errors.append(InvalidRow(row.line, "member", str(exc)))
            continue
        if wallet not in status:
            status[wallet] = read_member(programme.registry, wallet).status
        name = stored.member_id if stored else wallet
        member_ids[wallet] = name
        now = status[wallet]
        problem = _problem(row, now, stored is not None and stored.status is MemberStatus.ENROLLED)
        if problem:
            errors.append(InvalidRow(row.line, "action", f"{name}: {problem}"))
            continue
        if row.action in DATA_ACTIONS:
            field_name = DATA_ACTIONS[row.action]
            earlier = fields_seen.get((wallet, field_name))
            if earlier is not None:
                errors.append(
                    InvalidRow(
                        row.line, "action", f"{name}: {row.action} already on line {earlier}"
                    )
                )
                continue
            fields_seen[(wallet, field_name)] = row.line
            update = updates.get(wallet)
            if update is None:
                update = PlannedChange((row.line,), name, "update", changes={field_name: row.value})
                updates[wallet] = update
                planned.append(update)
            else:
                update.changes[field_name] = row.value
                merged = PlannedChange(
                    (*update.lines, row.line), name, "update", changes=update.changes
                )
                planned[planned.index(update)] = merged
                updates[wallet] = merged
            continue
        status[wallet] = _after(row.action, now)
        planned.append(PlannedChange((row.line,), name, row.action, row.value))
    if errors:
        raise InvalidFile(where, errors, fix=FIX)
    return planned


def _problem(row: ChangeRow, now: ChainStatus, in_vault: bool) -> str | None:
    """Why the row cannot be carried out when the member's status is `now` (None: it can)."""
    if row.action == "revoke" and now in (ChainStatus.REVOKED, ChainStatus.ERASED):
        return None  # already true: carried out as nothing
    if now not in _CURRENT:
        ended = {
            ChainStatus.NONE: "not enrolled on chain",
            ChainStatus.REVOKED: "the membership was revoked by then",
            ChainStatus.ERASED: "erased, which is final",
        }[now]
        return f"cannot {row.action}: {ended}"
    if row.action in DATA_ACTIONS and not in_vault:
        return "has no enrolled record in this vault, so their data cannot change here"
    return None


def _after(action: str, now: ChainStatus) -> ChainStatus:
    return {
        "suspend": ChainStatus.SUSPENDED,
        "reinstate": ChainStatus.ACTIVE,
        "revoke": ChainStatus.REVOKED if now in _CURRENT else now,
    }.get(action, now)
