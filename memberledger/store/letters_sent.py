"""Which welcome letters were written: a member's letter belongs to their current
commitment (its salt is in it), so a changed record calls for a new letter, and
`ape run letters --all-new` writes each one once. No personal data here: the letters
themselves are files the operator hands on, never kept in the vault."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from memberledger.store.database import Database


class LettersSent:
    """The `letters_sent` table of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, member_id: str, commitment_hex: str) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO letters_sent (member_id, commitment, written_at) "
                "VALUES (?, ?, ?)",
                (member_id, commitment_hex, _now()),
            )

    def written(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (member id, commitment) pairs already have their letter."""
        wanted = set(pairs)
        rows = self._db.rows("SELECT member_id, commitment FROM letters_sent")
        return {(str(m), str(c)) for m, c in rows} & wanted


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
