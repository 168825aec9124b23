"""Which rows of a changes file (`ape run members apply`) were carried out, and the change
batches that carry them out.

A changes file says what to do, not what should be true at the end: "suspend, then
reinstate" run twice would suspend and reinstate twice. So each row carried out is recorded
by the file's SHA-256 and its line (`changes_applied`), and running the same file again skips
it.

The status and tier rows go out in batches (`changeBatch` on the registry). A batch is
recorded in `change_batches` before it is broadcast, with its tag and rows, so a run that
stops between sending and recording finds it still `sent` and asks the chain whether the
registry holds it (`changeBatchApplied`) rather than planning its lines again; it is marked
confirmed in the same vault transaction that records its lines. The registry refuses a batch
(tag and rows) twice, so even a copy still in flight cannot apply it twice. No personal data:
a digest, lines, wallets, action bytes, tiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from memberledger.store.database import Database


@dataclass(frozen=True)
class ChangeBatchRecord:
    """A change batch as recorded before it was broadcast. `lines` pairs each line of the file
    it carries out with that line's action; `rows` are the packed rows sent."""

    batch_tag: bytes
    file_digest: str
    lines: tuple[tuple[int, str], ...]
    rows: bytes
    content_hash: bytes


class ChangesApplied:
    """The `changes_applied` and `change_batches` tables of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, file_digest: str, line: int, action: str, tx_hash: str | None) -> None:
        with self._db.transaction():
            self._record(file_digest, line, action, tx_hash)

    def _record(self, file_digest: str, line: int, action: str, tx_hash: str | None) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO changes_applied (file_digest, line, action, tx_hash, "
            "applied_at) VALUES (?, ?, ?, ?, ?)",
            (file_digest, line, action, tx_hash, _now()),
        )

    def lines(self, file_digest: str) -> set[int]:
        """The lines of the file with this digest that were carried out."""
        return {
            int(line)
            for (line,) in self._db.rows(
                "SELECT line FROM changes_applied WHERE file_digest = ?", (file_digest,)
            )
        }

    def record_batch(self, batch: ChangeBatchRecord) -> None:
        """Record a batch about to be broadcast (before it is)."""
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO change_batches (batch_tag, file_digest, lines, rows, content_hash, "
                "status, created_at) VALUES (?, ?, ?, ?, ?, 'sent', ?)",
                (
                    "0x" + batch.batch_tag.hex(),
                    batch.file_digest,
                    orjson.dumps([list(pair) for pair in batch.lines]).decode(),
                    batch.rows.hex(),
                    "0x" + batch.content_hash.hex(),
                    _now(),
                ),
            )

    def confirm_batch(self, batch: ChangeBatchRecord, tx_hash: str | None) -> None:
        """The chain holds the batch: mark it confirmed and record its lines, together."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE change_batches SET status = 'confirmed', tx_hash = ? WHERE batch_tag = ?",
                (tx_hash, "0x" + batch.batch_tag.hex()),
            )
            for line, action in batch.lines:
                self._record(batch.file_digest, line, action, tx_hash)

    def open_batches(self, file_digest: str) -> list[ChangeBatchRecord]:
        """Batches of the file recorded as sent and never confirmed, oldest first."""
        rows: Sequence[tuple[str, str, str, str]] = self._db.rows(
            "SELECT batch_tag, lines, rows, content_hash FROM change_batches "
            "WHERE file_digest = ? AND status = 'sent' ORDER BY rowid",
            (file_digest,),
        )
        return [
            ChangeBatchRecord(
                bytes.fromhex(tag[2:]),
                file_digest,
                tuple((int(line), str(action)) for line, action in orjson.loads(lines)),
                bytes.fromhex(packed),
                bytes.fromhex(content[2:]),
            )
            for tag, lines, packed, content in rows
        ]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
