"""The staging area of a bulk run: a file's valid rows, checked against the vault, the journal
and the chain before any of them is stored.

Rows are staged in temporary tables of the vault file's connection: on disk, not in memory,
invisible to any other connection, and gone when the connection closes (SQLite unlinks its
temporary files as it opens them, so even a SIGKILL leaves nothing behind). Enrollment rows
are staged already sealed, so no personal data reaches the temporary file in the clear.

This module owns its temporary tables and nothing else: what the vault and the journal hold
is asked of them (`Vault.match_staged`, `Journal.match_staged`), and their rows are written
by them from a staging query (`Vault.insert_selected`, `Journal.plan_in_steps`). Nothing
reaches the vault's own tables until the whole file has passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from memberledger.bulk.lookahead import Found, StatusLookahead
from memberledger.chain.reads import ChainStatus
from memberledger.chain.rpc import NodeClient
from memberledger.errors import InvalidRow
from memberledger.identifiers import event_tag
from memberledger.intake.duplicates import RowOutcome, SqliteIndex
from memberledger.intake.enrollment_file import SealedRow
from memberledger.intake.rewards_file import RewardRow
from memberledger.pii.commitment import Commitment
from memberledger.store.database import Database
from memberledger.store.journal import (
    STEP_BATCHES,
    BatchKind,
    BatchStatus,
    CreditEntry,
    EnrollmentEntry,
    Journal,
    PlanStep,
    StagedCreditMatch,
    StagedEntries,
    StagedMembers,
)
from memberledger.store.vault import MemberStatus, Vault

#: Rows written to the staging tables per statement.
FLUSH_ROWS = 1_000
#: Errors kept for the message; all of them go to the rejects file.
SHOWN_ERRORS = 1_000


class StagedErrors:
    """Every problem found in the file, in a temporary table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.execute("DROP TABLE IF EXISTS temp.staged_errors")
        db.execute(
            "CREATE TABLE temp.staged_errors (seq INTEGER PRIMARY KEY, line INTEGER NOT NULL, "
            "field TEXT NOT NULL, reason TEXT NOT NULL)"
        )

    def add(self, errors: Iterable[InvalidRow]) -> None:
        self._db.executemany(
            "INSERT INTO temp.staged_errors (line, field, reason) VALUES (?, ?, ?)",
            ((error.line, error.field, error.reason) for error in errors),
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM temp.staged_errors").fetchone()[0])

    def first(self, limit: int = SHOWN_ERRORS) -> list[InvalidRow]:
        return list(self._iter(f" LIMIT {int(limit)}"))

    def all(self) -> Iterator[InvalidRow]:
        return self._iter("")

    def _iter(self, limit: str) -> Iterator[InvalidRow]:
        cursor = self._db.execute(
            "SELECT line, field, reason FROM temp.staged_errors ORDER BY line, seq" + limit
        )
        for line, field, reason in cursor:
            yield InvalidRow(int(line), str(field), str(reason))


@dataclass
class Tally:
    """How a file's rows were sorted: new, already done, pending from an earlier run."""

    new: int = 0
    done: int = 0
    pending: int = 0
    #: Credits the chain skipped earlier (member not active then): not sent again by a
    #: file, only by `--retry-skipped`.
    skipped: int = 0


class _Staging:
    table: str
    #: Where the wallet is in a staged row's values.
    wallet_column = 2
    #: The on-chain status a valid row's wallet has; other statuses are noted while staging.
    expected_status: ChainStatus
    #: The staging table's columns between `line` (first) and `outcome` (last).
    columns: str
    #: A staged row's journal columns: `(line, entry_key, wallet, commitment, consent, tier,
    #: points)` (see `StagedEntries`).
    journal_columns: str

    def __init__(
        self, database: Database, vault: Vault, journal: Journal, node: NodeClient, registry: str
    ) -> None:
        self.vault = vault
        self.journal = journal
        self.db = database
        self.db.use_scratch_files(cache_kib=16_384)  # 16 MiB, whatever the file size
        self.index = SqliteIndex(self.db, f"{self.table}_keys")
        self.errors = StagedErrors(self.db)
        self.records = 0
        self.db.execute(f"DROP TABLE IF EXISTS temp.{self.table}")
        self.db.execute(
            f"CREATE TABLE temp.{self.table} (line INTEGER PRIMARY KEY, {self.columns}, "
            "outcome TEXT NOT NULL DEFAULT 'new')"
        )
        self.chain_table = f"temp.{self.table}_chain"
        self.db.execute(f"DROP TABLE IF EXISTS {self.chain_table}")
        self.db.execute(
            f"CREATE TABLE {self.chain_table} (wallet TEXT PRIMARY KEY, status INTEGER NOT NULL) "
            "WITHOUT ROWID"
        )
        self.lookahead = StatusLookahead(node, registry, self.expected_status, self._note_status)

    def rows(self) -> int:
        """Data records read from the file so far."""
        return self.records

    def stage(
        self, outcomes: Iterable[RowOutcome[Any]], on_rows: Callable[[int], None] | None = None
    ) -> None:
        """Stage each valid row and each error, a thousand records per transaction;
        `on_rows` hears how many records each flush took."""
        rows: list[tuple[object, ...]] = []
        errors: list[InvalidRow] = []
        seen = 0
        for outcome in outcomes:
            seen += 1
            if outcome.row is None:
                errors.extend(outcome.errors)
            else:
                rows.append(self._staged(outcome.row))
            if seen == FLUSH_ROWS:
                self._flush(rows, errors, seen, on_rows)
                rows, errors, seen = [], [], 0
        self._flush(rows, errors, seen, on_rows)

    def _staged(self, row: object) -> tuple[object, ...]:
        """A valid row as the values of the staging table's columns (line first)."""
        raise NotImplementedError

    def _flush(
        self,
        rows: list[tuple[object, ...]],
        errors: list[InvalidRow],
        seen: int,
        on_rows: Callable[[int], None] | None,
    ) -> None:
        with self.db.scratch_transaction():
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                self.db.executemany(f"INSERT INTO temp.{self.table} VALUES ({marks}, 'new')", rows)
            self.errors.add(errors)
            self.lookahead.add(str(row[self.wallet_column]) for row in rows)
        self.records += seen
        if on_rows is not None:
            on_rows(seen)

    def tally(self) -> Tally:
        counts = dict(
            self.db.execute(f"SELECT outcome, COUNT(*) FROM temp.{self.table} GROUP BY outcome")
        )
        return Tally(
            counts.get("new", 0),
            counts.get("done", 0),
            counts.get("pending", 0),
            counts.get("skipped", 0),
        )

    def _reject(self, rows: list[tuple[int, str, str]]) -> None:
        """Mark staged rows as errors: (line, field, reason)."""
        with self.db.scratch_transaction():
            self.errors.add(InvalidRow(line, field, reason) for line, field, reason in rows)
            self.db.executemany(
                f"UPDATE temp.{self.table} SET outcome = 'error' WHERE line = ?",
                ((line,) for line, _, _ in rows),
            )

    def _new_rows(self, columns: str, step: int) -> Iterator[list[tuple[Any, ...]]]:
        """The new rows, in file order, `step` at a time. Each step is its own query (by
        line, from where the last ended), so no statement stays open while the caller
        commits between steps."""
        after = -1
        while rows := self.db.execute(
            f"SELECT line, {columns} FROM temp.{self.table} WHERE outcome = 'new' AND line > ? "
            "ORDER BY line LIMIT ?",
            (after, step),
        ).fetchall():
            after = rows[-1][0]
            yield [row[1:] for row in rows]

    def _staged_entries(self, lines: list[int]) -> StagedEntries:
        """The new rows of a step, for the journal to copy its batches' rows from."""
        return StagedEntries(
            f"SELECT line, {self.journal_columns} FROM temp.{self.table} "
            "WHERE outcome = 'new' AND line BETWEEN ? AND ?",
            lines,
        )

    def _note_status(self, found: Found) -> None:
        self.db.executemany(
            f"INSERT OR IGNORE INTO {self.chain_table} VALUES (?, ?)",
            ((wallet, int(status)) for wallet, status in found),
        )

    def _new_rows_off_status(self) -> list[tuple[int, ChainStatus]]:
        """(line, status) of each new row whose wallet's on-chain status is not the one it
        needs, in file order; every answer of the lookahead is in by then."""
        self.lookahead.finish()
        if self.db.execute(f"SELECT 1 FROM {self.chain_table} LIMIT 1").fetchone() is None:
            return []  # the usual case: every wallet as it should be
        # CROSS JOIN: staged rows outer, each looked up by the chain table's key.
        rows = self.db.execute(
            f"SELECT s.line, c.status FROM temp.{self.table} s CROSS JOIN {self.chain_table} c "
            "ON c.wallet = s.wallet WHERE s.outcome = 'new' ORDER BY s.line"
        ).fetchall()
        return [(int(line), ChainStatus(status)) for line, status in rows]

    def close(self) -> None:
        self.lookahead.close()
        self.index.close()
        for table in (f"temp.{self.table}", "temp.staged_errors", self.chain_table):
            self.db.execute(f"DROP TABLE IF EXISTS {table}")


class EnrollmentStaging(_Staging):
    """Valid enrollment rows, sealed, with what the vault and the chain say about each."""

    table = "staged_members"
    expected_status = ChainStatus.NONE
    columns = (
        "member_id TEXT NOT NULL, wallet TEXT NOT NULL, commitment TEXT NOT NULL, "
        "consent INTEGER NOT NULL, tier INTEGER NOT NULL, sealed BLOB NOT NULL, "
        "fingerprint BLOB NOT NULL"
    )
    journal_columns = (
        "member_id AS entry_key, wallet, commitment, consent, tier, "
        "CAST(NULL AS TEXT) AS points, CAST(NULL AS TEXT) AS tag"
    )

    def _staged(self, row: object) -> tuple[object, ...]:
        assert isinstance(row, SealedRow)
        return row  # already in the table's column order

    def check_vault(self) -> None:
        """Rows whose member id or wallet the vault already holds: the same member again
        (done, or pending from an earlier run), or an error."""
        rejected: list[tuple[int, str, str]] = []
        known: list[tuple[str, int]] = []
        for match in self.vault.match_staged(
            f"SELECT line, member_id, wallet, fingerprint, tier, consent FROM temp.{self.table}"
        ):
            if match.held_status is MemberStatus.ERASED:
                reason = "already in the vault, erased: an erased member cannot be enrolled again"
            elif match.held_wallet != match.wallet:
                reason = f"already in the vault with another wallet ({match.held_wallet})"
            elif (match.tier, match.consent) != (match.held_tier, match.held_consent) or (
                self.vault.fingerprint(match.member_id) != match.fingerprint
            ):
                reason = "already in the vault with different data (tier, consent or personal data)"
            else:
                outcome = "done" if match.held_status is MemberStatus.ENROLLED else "pending"
                known.append((outcome, match.line))
                continue
            rejected.append((match.line, "member_id", reason))
        self.db.executemany(f"UPDATE temp.{self.table} SET outcome = ? WHERE line = ?", known)
        holders = self.vault.wallet_holders(
            f"SELECT line, member_id, wallet FROM temp.{self.table} WHERE outcome = 'new'"
        )
        rejected += [
            (line, "wallet", f"already belongs to member {holder!r}") for line, holder in holders
        ]
        self._reject(rejected)

    def check_chain(self) -> None:
        """New rows whose wallet already has an on-chain membership are errors."""
        rejected: list[tuple[int, str, str]] = []
        for line, status in self._new_rows_off_status():
            if status is ChainStatus.ERASED:
                reason = "was erased on-chain; an erased wallet can never be enrolled again"
            else:
                reason = (
                    f"already has an on-chain membership ({status.word}) the vault does not know"
                )
            rejected.append((line, "wallet", reason))
        self._reject(rejected)

    def first_new(self, limit: int) -> list[EnrollmentEntry]:
        """The first new rows, as they would be planned (for `--dry-run`'s estimate)."""
        rows = self.db.execute(
            f"SELECT member_id, wallet, commitment, consent, tier FROM temp.{self.table} "
            "WHERE outcome = 'new' ORDER BY line LIMIT ?",
            (limit,),
        ).fetchall()
        return [EnrollmentEntry(m, w, Commitment.from_hex(c), n, t) for m, w, c, n, t in rows]

    def plan_steps(self, size: int) -> Iterator[PlanStep]:
        """The new rows, a few batches at a time: each step stores its members in the
        vault (pending) and plans them, in one transaction (see `planned_in_steps`)."""
        for rows in self._new_rows(
            "line, member_id, wallet, commitment, consent, tier", size * STEP_BATCHES
        ):
            entries = [
                EnrollmentEntry(m, w, Commitment.from_hex(c), n, t) for _, m, w, c, n, t in rows
            ]
            lines = [row[0] for row in rows]
            # The new members of these lines go into the vault as pending, sealed data and
            # all, in one statement (the blobs never pass through Python).
            members = StagedMembers(
                "SELECT member_id, wallet, commitment, consent, tier, sealed "
                f"FROM temp.{self.table} WHERE outcome = 'new' AND line BETWEEN ? AND ?",
                (lines[0], lines[-1]),
            )
            yield PlanStep(entries, self._staged_entries(lines), members)


def unbatched_pending_members(vault: Vault, journal: Journal) -> Iterator[EnrollmentEntry]:
    """Pending members no live batch holds, oldest first: what an earlier run stored but
    never planned (it was killed in between), to plan before the file's new rows."""
    chunk: list[EnrollmentEntry] = []
    for member in vault.pending_members(FLUSH_ROWS):
        chunk.append(
            EnrollmentEntry(
                member.member_id, member.wallet, member.commitment, member.consent, member.tier
            )
        )
        if len(chunk) == FLUSH_ROWS:
            yield from _unbatched(journal, chunk)
            chunk = []
    yield from _unbatched(journal, chunk)


def _unbatched(journal: Journal, entries: list[EnrollmentEntry]) -> Iterator[EnrollmentEntry]:
    free = set(journal.unbatched(BatchKind.ENROLL, [entry.member_id for entry in entries]))
    return (entry for entry in entries if entry.member_id in free)


def _credit_outcome(match: StagedCreditMatch) -> str:
    if match.skipped_reason is not None:
        return "skipped"
    return "done" if match.status is BatchStatus.CONFIRMED else "pending"


def _conflict(match: StagedCreditMatch) -> str:
    where = (
        "on chain, by a batch this journal learnt from the chain" if match.origin == "chain" else ""
    )
    return f"already credited{(' ' + where) if where else ''}, with another wallet or points"


class CreditStaging(_Staging):
    """Valid reward rows, with what the journal and the chain say about each."""

    table = "staged_credits"
    expected_status = ChainStatus.ACTIVE
    columns = (
        "event_id TEXT NOT NULL, wallet TEXT NOT NULL, points TEXT NOT NULL, tag TEXT NOT NULL"
    )
    journal_columns = (
        # Typed NULLs: PostgreSQL reads a bare NULL in a subquery as text.
        "event_id AS entry_key, wallet, CAST(NULL AS TEXT) AS commitment, "
        "CAST(NULL AS INTEGER) AS consent, CAST(NULL AS INTEGER) AS tier, points, tag"
    )

    def _staged(self, row: object) -> tuple[object, ...]:
        assert isinstance(row, RewardRow)
        tag = "0x" + event_tag(row.event_id).hex()
        return (row.line, row.event_id, row.wallet, str(row.points), tag)

    def check_journal(self) -> None:
        """Events the journal already knows, by their tag (the chain's name for them): the
        same credit again is done (confirmed), pending (an earlier run's, not confirmed yet)
        or skipped (the chain skipped it when its batch landed: its member was not active);
        with another wallet or points it is an error. The journal knows what it sent and
        what it learnt from the chain (`ape run journal rebuild`), whoever sent it."""
        matches = self.journal.match_staged_credits(
            f"SELECT line, tag, wallet, points FROM temp.{self.table}"
        )
        # A line may match several batches (an event sent by us and learnt from the chain
        # too): it is known if any of them holds it with the same wallet and points.
        same: dict[int, StagedCreditMatch] = {}
        other: dict[int, StagedCreditMatch] = {}
        for match in matches:
            if match.same:
                if match.line not in same or match.skipped_reason is None:
                    same[match.line] = match
            else:
                other.setdefault(match.line, match)
        known = [(_credit_outcome(match), line) for line, match in same.items()]
        self.db.executemany(f"UPDATE temp.{self.table} SET outcome = ? WHERE line = ?", known)
        self._reject(
            [
                (line, "event_id", _conflict(match))
                for line, match in other.items()
                if line not in same
            ]
        )

    def check_chain(self) -> None:
        """New rows whose wallet is not an active member are errors."""
        self._reject(
            [
                (line, "wallet", "not a member")
                if status is ChainStatus.NONE
                else (line, "wallet", f"not an active member ({status.word})")
                for line, status in self._new_rows_off_status()
            ]
        )

    def first_new(self, limit: int) -> list[CreditEntry]:
        rows = next(self._new_rows("event_id, wallet, points", limit), [])
        return [CreditEntry(event_id, wallet, int(points)) for event_id, wallet, points in rows]

    def new_points(self) -> int:
        """The points the new rows credit, in all (before any multiplier)."""
        cursor = self.db.execute(f"SELECT points FROM temp.{self.table} WHERE outcome = 'new'")
        return sum(int(points) for (points,) in cursor)

    def plan_steps(self, size: int) -> Iterator[PlanStep]:
        """The new rows, a few batches at a time (see `planned_in_steps`)."""
        for rows in self._new_rows("line, event_id, wallet, points", size * STEP_BATCHES):
            yield PlanStep(
                [CreditEntry(e, w, int(p)) for _, e, w, p in rows],
                self._staged_entries([row[0] for row in rows]),
            )
