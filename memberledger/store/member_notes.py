"""The operator's notes on a member's record: why a membership was suspended, say.

A reason can say something about the member ("card used by someone else"), so it is sealed
with the vault key like personal data, bound to the member and the action, and deleted with
the member's data on erasure (`forget`). The chain never sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from memberledger.errors import VaultKeyError
from memberledger.pii.sealing import SealBroken, Sealer
from memberledger.store.database import Database


@dataclass(frozen=True)
class MemberNote:
    member_id: str
    action: str
    text: str
    tx_hash: str | None
    created_at: str


class MemberNotes:
    """The `member_notes` table of the vault file."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self._db = database
        self._sealer = sealer

    def add(self, member_id: str, action: str, text: str, tx_hash: str | None) -> None:
        sealed = self._sealer.seal(text.encode("utf-8"), _binding(member_id, action))
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO member_notes (member_id, action, sealed, tx_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (member_id, action, sealed, tx_hash, _now()),
            )

    def of(self, member_id: str) -> list[MemberNote]:
        """A member's notes, oldest first."""
        notes = []
        for action, sealed, tx_hash, created in self._db.rows(
            "SELECT action, sealed, tx_hash, created_at FROM member_notes WHERE member_id = ? "
            "ORDER BY note_id",
            (member_id,),
        ):
            try:
                text = self._sealer.open(sealed, _binding(member_id, action)).decode("utf-8")
            except SealBroken as exc:
                raise VaultKeyError(
                    f"a note on member {member_id!r} does not open: it was altered or moved"
                ) from exc
            notes.append(MemberNote(member_id, action, text, tx_hash, created))
        return notes

    def forget(self, member_id: str) -> int:
        """Delete a member's notes (erasure); how many there were."""
        with self._db.transaction():
            cursor = self._db.execute("DELETE FROM member_notes WHERE member_id = ?", (member_id,))
        return int(cursor.rowcount)


def _binding(member_id: str, action: str) -> bytes:
    return f"note|{member_id}|{action}".encode()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
