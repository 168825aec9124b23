"""Which rows of a changes file (`ape run members apply`) were carried out.

A changes file says what to do, not what should be true at the end: "suspend, then
reinstate" run twice would suspend and reinstate twice. So each row carried out is recorded
by the file's SHA-256 and its line, and running the same file again skips it. (The chain's
state is also read before each action, so a row carried out just before a crash, and not yet
recorded, changes nothing the second time.) No personal data: a digest, a line, an action.
"""

from __future__ import annotations

import datetime as dt

from memberledger.store.database import Database


class ChangesApplied:
    """The `changes_applied` table of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, file_digest: str, line: int, action: str, tx_hash: str | None) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        with self._db.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO changes_applied (file_digest, line, action, tx_hash, "
                "applied_at) VALUES (?, ?, ?, ?, ?)",
                (file_digest, line, action, tx_hash, now),
            )

    def lines(self, file_digest: str) -> set[int]:
        """The lines of the file with this digest that were carried out."""
        return {
            int(line)
            for (line,) in self._db.rows(
                "SELECT line FROM changes_applied WHERE file_digest = ?", (file_digest,)
            )
        }
