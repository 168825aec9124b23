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
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from memberledger.commitment import Commitment
from memberledger.duplicates import RowOutcome, SqliteIndex
from memberledger.enrollment_csv import EnrollmentRow
from memberledger.errors import InvalidRow
from memberledger.journal import CreditEntry, EnrollmentEntry
from memberledger.onchain import ChainStatus, fetch_statuses
from memberledger.rewards_csv import RewardRow
from memberledger.rpc import NodeClient
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

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.db = vault.database
        self.db.execute("PRAGMA temp_store = FILE")
        self.db.execute("PRAGMA temp.cache_size = -16384")  # 16 MiB, whatever the file size
        self.index = SqliteIndex(self.db, f"{self.table}_keys")
        self.errors = StagedErrors(self.db)
        self.records = 0

    def rows(self) -> int:
        """Data records read from the file so far."""
        return self.records

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

    def close(self) -> None:
        self.index.close()
        for table in (self.table, "staged_errors"):
            self.db.execute(f"DROP TABLE IF EXISTS temp.{table}")


class EnrollmentStaging(_Staging):
    """Valid enrollment rows, sealed, with what the vault and the chain say about each."""

    table = "staged_members"

    def __init__(self, vault: Vault) -> None:
        super().__init__(vault)
        self.db.execute(f"DROP TABLE IF EXISTS temp.{self.table}")
        self.db.execute(
            f"CREATE TABLE temp.{self.table} (line INTEGER PRIMARY KEY, member_id TEXT NOT NULL, "
            "wallet TEXT NOT NULL, commitment TEXT NOT NULL, consent INTEGER NOT NULL, "
            "tier INTEGER NOT NULL, sealed BLOB NOT NULL, fingerprint BLOB NOT NULL, "
            "outcome TEXT NOT NULL DEFAULT 'new')"
        )

    def stage(
        self,
        outcomes: Iterable[RowOutcome[EnrollmentRow]],
        on_rows: Callable[[int], None] | None = None,
    ) -> None:
        """Seal and stage each valid row; stage each error."""
        rows: list[tuple[object, ...]] = []
        errors: list[InvalidRow] = []
        seen = 0
        for outcome in outcomes:
            seen += 1
            if outcome.row is None:
                errors.extend(outcome.errors)
            else:
                row = outcome.row
                member = row.sealed or self.vault.seal_new_member(
                    row.member_id, row.wallet, row.personal
                )
                rows.append(
                    (
                        row.line,
                        row.member_id,
                        row.wallet,
                        member.commitment.hex,
                        row.consent,
                        row.tier,
                        member.sealed,
                        member.fingerprint,
                    )
                )
            if seen == FLUSH_ROWS:
                self.records += seen
                self._flush(rows, errors)
                if on_rows is not None:
                    on_rows(seen)
                rows, errors, seen = [], [], 0
        self.records += seen
        self._flush(rows, errors)
        if on_rows is not None:
            on_rows(seen)

    def _flush(self, rows: list[tuple[object, ...]], errors: list[InvalidRow]) -> None:
        with self._temp_transaction():
            self.db.executemany(
                f"INSERT INTO temp.{self.table} (line, member_id, wallet, commitment, consent, "
                "tier, sealed, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.errors.add(errors)

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

    def check_chain(self, node: NodeClient, registry: str) -> None:
        """New rows whose wallet already has an on-chain membership are errors."""
        cursor = self.db.execute(
            f"SELECT line, wallet FROM temp.{self.table} WHERE outcome = 'new' ORDER BY line"
        )
        rejected: list[tuple[int, str, str]] = []
        while chunk := cursor.fetchmany(1_000):
            statuses = fetch_statuses(node, registry, [wallet for _, wallet in chunk])
            for (line, _), (status, _) in zip(chunk, statuses, strict=True):
                if status is ChainStatus.ERASED:
                    reason = "was erased on-chain; an erased wallet can never be enrolled again"
                    rejected.append((line, "wallet", reason))
                elif status is not ChainStatus.NONE:
                    reason = (
                        f"already has an on-chain membership ({status.word}) the vault "
                        "does not know"
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

    def store_new(self) -> int:
        """Move the new rows into the vault, as pending members (inside the caller's
        transaction)."""
        cursor = self.db.execute(
            f"SELECT member_id, wallet, commitment, consent, tier, sealed FROM temp.{self.table} "
            "WHERE outcome = 'new' ORDER BY line"
        )
        stored = 0
        while chunk := cursor.fetchmany(FLUSH_ROWS):
            stored += self.vault.insert_sealed(chunk)
        return stored


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

    def __init__(self, vault: Vault) -> None:
        super().__init__(vault)
        self.db.execute(f"DROP TABLE IF EXISTS temp.{self.table}")
        self.db.execute(
            f"CREATE TABLE temp.{self.table} (line INTEGER PRIMARY KEY, event_id TEXT NOT NULL, "
            "wallet TEXT NOT NULL, points TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT 'new')"
        )

    def stage(
        self,
        outcomes: Iterable[RowOutcome[RewardRow]],
        on_rows: Callable[[int], None] | None = None,
    ) -> None:
        rows: list[tuple[object, ...]] = []
        errors: list[InvalidRow] = []
        seen = 0
        for outcome in outcomes:
            seen += 1
            if outcome.row is None:
                errors.extend(outcome.errors)
            else:
                row = outcome.row
                rows.append((row.line, row.event_id, row.wallet, str(row.points)))
            if seen == FLUSH_ROWS:
                self.records += seen
                self._flush(rows, errors)
                if on_rows is not None:
                    on_rows(seen)
                rows, errors, seen = [], [], 0
        self.records += seen
        self._flush(rows, errors)
        if on_rows is not None:
            on_rows(seen)

    def _flush(self, rows: list[tuple[object, ...]], errors: list[InvalidRow]) -> None:
        with self._temp_transaction():
            self.db.executemany(
                f"INSERT INTO temp.{self.table} (line, event_id, wallet, points) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
            self.errors.add(errors)

    def check_journal(self) -> None:
        """Events the journal already holds: the same credit again (done, or pending from an
        earlier run), or an error when the wallet or points differ."""
        rows = self.db.execute(
            f"SELECT s.line, s.wallet = e.wallet AND s.points = e.points, b.status "
            f"FROM temp.{self.table} s JOIN journal_entries e "
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

    def check_chain(self, node: NodeClient, registry: str) -> None:
        """New rows whose wallet is not an active member are errors."""
        wallets = self.db.execute(
            f"SELECT DISTINCT wallet FROM temp.{self.table} WHERE outcome = 'new'"
        )
        inactive: dict[str, ChainStatus] = {}
        while chunk := [wallet for (wallet,) in wallets.fetchmany(1_000)]:
            for wallet, (status, _) in zip(
                chunk, fetch_statuses(node, registry, chunk), strict=True
            ):
                if status is not ChainStatus.ACTIVE:
                    inactive[wallet] = status
        if not inactive:
            return
        rejected: list[tuple[int, str, str]] = []
        for line, wallet in self.db.execute(
            f"SELECT line, wallet FROM temp.{self.table} WHERE outcome = 'new' ORDER BY line"
        ).fetchall():
            held = inactive.get(wallet)
            if held is ChainStatus.NONE:
                rejected.append((line, "wallet", "not a member"))
            elif held is not None:
                rejected.append((line, "wallet", f"not an active member ({held.word})"))
        self._reject(rejected)

    def first_new(self, limit: int) -> list[CreditEntry]:
        return list(itertools.islice(self.new_credits(), limit))

    def new_credits(self) -> Iterator[CreditEntry]:
        cursor = self.db.execute(
            f"SELECT event_id, wallet, points FROM temp.{self.table} WHERE outcome = 'new' "
            "ORDER BY line"
        )
        while chunk := cursor.fetchmany(FLUSH_ROWS):
            for event_id, wallet, points in chunk:
                yield CreditEntry(event_id, wallet, int(points))
