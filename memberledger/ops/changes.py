"""`ape run members apply changes.csv`: the lifecycle actions of a whole file.

The file is checked whole first, like an enrollment file: every row on its own
(`memberledger.intake.changes_file`), then against the vault and the chain in file order (a
member who exists; a membership still current when the row comes, counting the rows before
it: "suspend" then "reinstate" is fine, "revoke" then "tier" is not). One problem refuses the
file, and nothing is sent.

Then the rows are carried out in file order, one transaction each, through the same
functions as `members tier|suspend|...` (`memberledger.ops.lifecycle`), which read the chain
before each send and send nothing for what is already true. A member's data rows (name,
e-mail, phone, birth date) become one update, at the place of the first of them. Each row
carried out is recorded in the vault (`store.changes_applied`, by the file's SHA-256 and
line), so running the same file again skips it.

Not batched: the send journal's batches are enrollments and credits (`enrollBatch`,
`credit`); the registry has no batch form of these actions, so a row is one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from memberledger.chain.reads import ChainStatus, read_member
from memberledger.errors import ChainRejected, InvalidFile, InvalidRow, MemberLedgerError
from memberledger.intake.changes_file import DATA_ACTIONS, ChangeRow, read_changes_file
from memberledger.ops.lifecycle import (
    ActionOutcome,
    change_tier,
    reinstate_member,
    revoke_member,
    suspend_member,
    update_member,
)
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
    def sent(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.tx_hash)


def apply_changes_file(programme: Programme, path: Path) -> ChangesResult:
    """Check the whole file, then carry its rows out; see the module docstring."""
    report = read_changes_file(path, programme.phone_region)
    if report.errors:
        raise InvalidFile(str(path), report.errors, fix=FIX)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    done = programme.changes_applied.lines(digest)
    result = ChangesResult(
        path, skipped_lines=sorted(row.line for row in report.rows if row.line in done)
    )
    planned = plan_changes(
        programme, [row for row in report.rows if row.line not in done], str(path)
    )
    for change in planned:
        try:
            outcome, letter_due = _carry_out(programme, change)
        except MemberLedgerError as exc:
            raise ChainRejected(
                f"line {change.lines[0]} ({change.action} {change.member}): {exc}. "
                f"{len(result.outcomes)} earlier action(s) were carried out and recorded; fix "
                "the cause and run the same file again: what was done is skipped"
            ) from exc
        for line in change.lines:
            programme.changes_applied.record(digest, line, change.action, outcome.tx_hash)
        result.outcomes.append(outcome)
        if letter_due and outcome.member_id:
            result.letters_due.append(outcome.member_id)
    return result


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


def _carry_out(programme: Programme, change: PlannedChange) -> tuple[ActionOutcome, bool]:
    """The action's outcome, and whether the member now needs a new letter."""
    if change.action == "update":
        updated = update_member(programme, change.member, change.changes)
        return updated.action, updated.letter_due
    actions: dict[str, Callable[[], ActionOutcome]] = {
        "tier": lambda: change_tier(programme, change.member, int(change.value)),
        "suspend": lambda: suspend_member(programme, change.member, change.value or None),
        "reinstate": lambda: reinstate_member(programme, change.member),
        "revoke": lambda: revoke_member(programme, change.member),
    }
    return actions[change.action](), False
