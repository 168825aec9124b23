"""The staging area of a bulk run: a file's valid rows, checked against the vault, the journal
and the chain before any of them is stored.

Rows are staged in temporary tables of the vault's SQLite connection: on disk, not in
memory, invisible to any other connection, and gone when the connection closes (SQLite
unlinks its temporary files as it opens them, so even a SIGKILL leaves nothing behind).
Enrollment rows are staged already sealed, so no personal data reaches the temporary file
in the clear. Nothing reaches the vault's own tables until the whole file has passed; then
one statement moves the new rows in.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from memberledger.commitment import Commitment
from memberledger.duplicates import RowOutcome, SqliteIndex
from memberledger.enrollment_csv import SealedRow
from memberledger.errors import InvalidRow
from memberledger.journal import CreditEntry, EnrollmentEntry
from memberledger.onchain import ChainStatus
from memberledger.plan_steps import STEP_BATCHES, PlanStep
from memberledger.rewards_csv import RewardRow
from memberledger.rpc import NodeClient
from memberledger.status_lookahead import Found, StatusLookahead
from memberledger.vault import Vault

#: Rows written to the staging tables per statement.
FLUSH_ROWS = 1_000
#: Errors kept for the message; all of them go to the rejects file.
SHOWN_ERRORS = 1_000


class StagedErrors:
    """Every problem found in the file, in a temporary table."""

    def __init__(self, db: sqlite3.Connection) -> None:
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


class _Staging:
    table: str
    #: Where the wallet is in a staged row's values.
    wallet_column = 2
    #: The on-chain status a valid row's wallet has; other statuses are noted while staging.
    expected_status: ChainStatus
    #: The staging table's columns between `line` (first) and `outcome` (last).
    columns: str
    #: Journal columns a staged row fills, and the values it fills them with (the batch id
    #: and each row's position are the same for every kind).
    journal_columns: str
    journal_values: str

    def __init__(self, vault: Vault, node: NodeClient, registry: str) -> None:
        self.vault = vault
        self.db = vault.database
        self.db.execute("PRAGMA temp_store = FILE")
        self.db.execute("PRAGMA temp.cache_size = -16384")  # 16 MiB, whatever the file size
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
        with self._temp_transaction():
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
        return Tally(counts.get("new", 0), counts.get("done", 0), counts.get("pending", 0))

    @contextlib.contextmanager
    def _temp_transaction(self) -> Iterator[None]:
        """Several writes to the temporary tables as one transaction (each statement on
        its own would be a transaction of its own, and several times slower)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _reject(self, rows: list[tuple[int, str, str]]) -> None:
        """Mark staged rows as errors: (line, field, reason)."""
        with self._temp_transaction():
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

    def _copy_entries(self, lines: list[int], batch_id: str, first: int, count: int) -> int:
        """The journal rows of one batch, copied from the new staged rows of lines
        `lines[first]` to `lines[first + count - 1]` (an `EntryCopier`)."""
        cursor = self.db.execute(
            f"INSERT INTO journal_entries (batch_id, position, {self.journal_columns}) "
            f"SELECT ?, row_number() OVER (ORDER BY line) - 1, {self.journal_values} "
            f"FROM temp.{self.table} WHERE outcome = 'new' AND line BETWEEN ? AND ?",
            (batch_id, lines[first], lines[first + count - 1]),
        )
        return int(cursor.rowcount)

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
    journal_columns = "kind, entry_key, wallet, commitment, consent, tier"
    journal_values = "'enroll', member_id, wallet, commitment, consent, tier"

    def _staged(self, row: object) -> tuple[object, ...]:
        assert isinstance(row, SealedRow)
        return row  # already in the table's column order

    def check_vault(self) -> None:
        """Rows whose member id or wallet the vault already holds: the same member again
        (done, or pending from an earlier run), or an error."""
        rows = self.db.execute(
            f"SELECT s.line, s.member_id, s.wallet, s.fingerprint, s.tier, s.consent, m.wallet, "
            f"m.status, m.tier, m.consent FROM temp.{self.table} s "
            "JOIN members m ON m.member_id = s.member_id"
        ).fetchall()
        rejected: list[tuple[int, str, str]] = []
        known: list[tuple[str, int]] = []
        for line, member_id, wallet, fingerprint, tier, consent, held, status, t, c in rows:
            if status == "erased":
                reason = "already in the vault, erased: an erased member cannot be enrolled again"
            elif held != wallet:
                reason = f"already in the vault with another wallet ({held})"
            elif (tier, consent) != (t, c) or self.vault.fingerprint(member_id) != fingerprint:
                reason = "already in the vault with different data (tier, consent or personal data)"
            else:
                known.append(("done" if status == "enrolled" else "pending", line))
                continue
            rejected.append((line, "member_id", reason))
        self.db.executemany(f"UPDATE temp.{self.table} SET outcome = ? WHERE line = ?", known)
        holders = self.db.execute(
            f"SELECT s.line, m.member_id FROM temp.{self.table} s "
            "JOIN members m ON m.wallet = s.wallet WHERE m.member_id != s.member_id "
            "AND s.outcome = 'new'"
        ).fetchall()
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
            yield PlanStep(
                entries,
                partial(self._store, lines[0], lines[-1]),
                partial(self._copy_entries, lines),
            )

    def _store(self, first_line: int, last_line: int) -> None:
        """Copy the new rows of these lines into the vault as pending members, sealed data
        and all, in one statement (the blobs never pass through Python)."""
        self.vault.insert_selected(
            "SELECT member_id, wallet, commitment, consent, tier, sealed "
            f"FROM temp.{self.table} WHERE outcome = 'new' AND line BETWEEN ? AND ?",
            (first_line, last_line),
        )


def pending_enrollments(vault: Vault) -> Iterator[EnrollmentEntry]:
    """Pending members no live batch holds, oldest first: the rows to plan."""
    cursor = vault.database.execute(
        "SELECT member_id, wallet, commitment, consent, tier FROM members m "
        "WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM journal_entries e "
        "WHERE e.kind = 'enroll' AND e.entry_key = m.member_id) ORDER BY m.rowid"
    )
    while chunk := cursor.fetchmany(FLUSH_ROWS):
        for member_id, wallet, commitment, consent, tier in chunk:
            yield EnrollmentEntry(member_id, wallet, Commitment.from_hex(commitment), consent, tier)


class CreditStaging(_Staging):
    """Valid reward rows, with what the journal and the chain say about each."""

    table = "staged_credits"
    expected_status = ChainStatus.ACTIVE
    columns = "event_id TEXT NOT NULL, wallet TEXT NOT NULL, points TEXT NOT NULL"
    journal_columns = "kind, entry_key, wallet, points"
    journal_values = "'credit', event_id, wallet, points"

    def _staged(self, row: object) -> tuple[object, ...]:
        assert isinstance(row, RewardRow)
        return (row.line, row.event_id, row.wallet, str(row.points))

    def check_journal(self) -> None:
        """Events the journal already holds: the same credit again (done, or pending from an
        earlier run), or an error when the wallet or points differ.

        CROSS JOIN keeps the staged rows as the outer loop: left to itself, SQLite scans
        every credit the journal holds and searches the staged table for each (seconds
        once the journal holds a few hundred thousand credits)."""
        rows = self.db.execute(
            f"SELECT s.line, s.wallet = e.wallet AND s.points = e.points, b.status "
            f"FROM temp.{self.table} s CROSS JOIN journal_entries e "
            "ON e.kind = 'credit' AND e.entry_key = s.event_id JOIN journal_batches b "
            "USING (batch_id)"
        ).fetchall()
        known = [
            ("done" if status == "confirmed" else "pending", line)
            for line, same, status in rows
            if same
        ]
        self.db.executemany(f"UPDATE temp.{self.table} SET outcome = ? WHERE line = ?", known)
        reason = "already credited, with another wallet or points"
        self._reject([(line, "event_id", reason) for line, same, _ in rows if not same])

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
                copy=partial(self._copy_entries, [row[0] for row in rows]),
            )
