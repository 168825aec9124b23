"""The access log: who viewed which member's personal data on the staff dashboard, when and
why. Rows are added, never changed; only the admin reads them (`memberledger.site`).

Member ids and wallets are not personal data (the chain shows wallets to anyone), so a row
stays when its member is erased: the log must still show who looked before the erasure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from memberledger.store.database import Database

#: The reasons a staff member may give for opening a member's record (the page offers these).
REASONS = ("member_request", "support_case", "data_correction", "compliance_check")


@dataclass(frozen=True)
class AccessEntry:
    entry: int
    viewed_at: str
    staff: str
    member_id: str
    wallet: str
    reason: str


class AccessLog:
    """The `access_log` table of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, staff: str, member_id: str, wallet: str, reason: str) -> AccessEntry:
        """Write one view down (before the data is shown: no view goes unlogged)."""
        if reason not in REASONS:
            raise ValueError(f"unknown access reason {reason!r}")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        with self._db.transaction():
            # RETURNING, not the cursor's lastrowid: psycopg's has none (PostgreSQL).
            row = self._db.execute(
                "INSERT INTO access_log (viewed_at, staff, member_id, wallet, reason) "
                "VALUES (?, ?, ?, ?, ?) RETURNING entry",
                (now, staff, member_id, wallet, reason),
            ).fetchone()
        return AccessEntry(int(row[0]), now, staff, member_id, wallet, reason)

    def latest(self, limit: int = 200) -> list[AccessEntry]:
        """The newest `limit` views, newest first."""
        rows = self._db.rows(
            "SELECT entry, viewed_at, staff, member_id, wallet, reason FROM access_log "
            "ORDER BY entry DESC LIMIT ?",
            (limit,),
        )
        return [AccessEntry(*row) for row in rows]
