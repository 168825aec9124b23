"""Retention: confirmed journal rows leave the vault once the chain alone answers for them.

The journal exists to bring each batch to the chain exactly once. Once a batch is confirmed,
old, and buried deep enough that no rollback the courier would repair can reach it, its rows
only grow the vault (about 0.3 KB a row: a million-row reward file a week is 15 GB a year).
Retention removes such batches, a few at a time, and keeps for each credit entry only what the
staging check needs to refuse the same reward event again (the journal's retired keys, about
70 bytes a row). Optionally it first writes them to an archive the operator can keep
elsewhere.

A batch is removed only if all of these hold:
- it is confirmed, and was confirmed more than `older_than` ago;
- its block is at least `depth` blocks below the chain's head (default: below the courier's
  rollback window, so nothing it could still reopen is removed);
- the chain, asked now, still shows it (its block has the recorded hash and holds its
  transaction, and a credit batch is applied): the caller answers that (`ChainCheck`), since
  this room never talks to the chain.

The archive is a gzip'd JSON Lines file, readable by its owner only: a header line, then for
each batch its `journal_batches` row, its `journal_entries` rows and its
`journal_transactions` rows, each line `{"table": ..., "row": {...}}`. It is written, flushed
and fsynced (the file and its folder) before anything is deleted, so a crash at any instant
leaves every row either still in the journal or safely in an archive (or both: running again
archives what remained).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from memberledger.errors import VaultError
from memberledger.store.journal import Journal, JournalTotals, RetirableBatch

#: Blocks below the head a batch's block must be, at least: one more than the rollback window
#: of `memberledger.bulk.courier` (a test checks). The courier re-checks the confirmed batches
#: of the window's blocks and reopens those a reorganisation dropped, so none of them may be
#: removed.
DEFAULT_DEPTH = 257
#: Batches removed per vault transaction: commits stay short while a bulk run waits.
RETIRE_STEP = 64
ARCHIVE_FORMAT = "memberledger-journal-archive/1"

#: Asked with the candidate batches, answers the ids of those the chain still shows.
ChainCheck = Callable[[Sequence[RetirableBatch]], set[str]]


@dataclass(frozen=True)
class RetentionPolicy:
    """Which confirmed batches may leave the journal: confirmed more than `older_than` ago,
    and mined at least `depth` blocks below the head."""

    older_than: dt.timedelta
    depth: int = DEFAULT_DEPTH

    def __post_init__(self) -> None:
        if self.older_than < dt.timedelta(0):
            raise VaultError("the age of rows to remove cannot be negative")
        if self.depth < 0:
            raise VaultError("the depth below the chain's head cannot be negative")


@dataclass
class RetentionOutcome:
    """What a retention run found and did."""

    candidates: int = 0
    unconfirmed_by_chain: list[str] = field(default_factory=list)
    removed: JournalTotals = field(default_factory=lambda: JournalTotals(0, 0, 0))
    archive: Path | None = None
    archive_bytes: int = 0


def candidates(
    journal: Journal, policy: RetentionPolicy, head: int, now: dt.datetime | None = None
) -> list[RetirableBatch]:
    """The confirmed batches `policy` allows to remove, with the chain's head at `head`."""
    now = now or dt.datetime.now(dt.UTC)
    before = (now - policy.older_than).isoformat(timespec="milliseconds")
    return journal.retirable(before, head - policy.depth)


def retire_batches(
    journal: Journal,
    policy: RetentionPolicy,
    head: int,
    chain_check: ChainCheck,
    *,
    archive_to: Path | None = None,
    archive_name: str = "journal",
    now: dt.datetime | None = None,
) -> RetentionOutcome:
    """Remove the batches `policy` allows and the chain still shows, archiving them first
    into a new file in the folder `archive_to` if given. Take the vault's run lock around
    this (`memberledger.store.lock`): a bulk run must not plan while rows are retired."""
    found = candidates(journal, policy, head, now)
    outcome = RetentionOutcome(candidates=len(found))
    if not found:
        return outcome
    shown = chain_check(found)
    removable = [batch for batch in found if batch.batch_id in shown]
    outcome.unconfirmed_by_chain = [b.batch_id for b in found if b.batch_id not in shown]
    if not removable:
        return outcome
    if archive_to is not None:
        outcome.archive = write_archive(journal, removable, archive_to, archive_name, head, now)
        outcome.archive_bytes = outcome.archive.stat().st_size
    removed = JournalTotals(0, 0, 0)
    for start in range(0, len(removable), RETIRE_STEP):
        step = journal.retire([b.batch_id for b in removable[start : start + RETIRE_STEP]])
        removed = JournalTotals(
            removed.batches + step.batches,
            removed.rows + step.rows,
            removed.gas_used + step.gas_used,
        )
    outcome.removed = removed
    return outcome


def write_archive(
    journal: Journal,
    batches: Sequence[RetirableBatch],
    folder: Path,
    name: str,
    head: int,
    now: dt.datetime | None = None,
) -> Path:
    """Write every journal row of `batches` to a new archive file in `folder` (created
    owner-only if missing), make it durable, and return its path. Refuses to overwrite."""
    now = now or dt.datetime.now(dt.UTC)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{name}-{now.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl.gz"
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise VaultError(f"{path} exists already; nothing was removed") from None
    with os.fdopen(descriptor, "wb") as raw:
        with gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, mtime=0) as archive:
            header = {
                "format": ARCHIVE_FORMAT,
                "written_at": now.isoformat(timespec="seconds"),
                "chain_head": head,
                "batches": len(batches),
            }
            archive.write(orjson.dumps(header) + b"\n")
            for batch in batches:
                for table, row in journal.archived_rows(batch.batch_id):
                    archive.write(orjson.dumps({"table": table, "row": row}) + b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    _fsync_folder(folder)
    return path


def read_archive(path: Path) -> tuple[dict[str, object], list[tuple[str, dict[str, object]]]]:
    """An archive's header and its rows, `(table, row)` in the order written (for checks and
    for an operator who needs a batch back)."""
    with gzip.open(path, "rb") as archive:
        lines = [orjson.loads(line) for line in archive]
    if not lines or lines[0].get("format") != ARCHIVE_FORMAT:
        raise VaultError(f"{path} is not a MemberLedger journal archive")
    return lines[0], [(line["table"], line["row"]) for line in lines[1:]]


def _fsync_folder(folder: Path) -> None:
    """The new file's name is durable only once its folder is."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
