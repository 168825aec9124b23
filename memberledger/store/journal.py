"""The send journal: each batch reaches the chain exactly once, whatever crashes in between.

A batch's life, each step committed to the vault's SQLite file before the next one starts:

1. **planned**: its rows and its id are fixed and recorded, before anything is signed. The id
   is deterministic, keccak256 of the kind and the sorted row keys (member ids, event ids),
   and a row key belongs to one live batch only (the table's primary key), so no row can be
   planned twice.
2. **sent**: the transaction is signed, and its hash, nonce and fees are recorded, then it is
   broadcast. A replacement (the same nonce with higher fees, for a stuck transaction) is
   recorded the same way before it is broadcast, so the journal knows every hash that could
   ever be mined for the batch.
3. **confirmed**: the receipt (block, block hash, gas used) is recorded, in the same SQLite
   transaction as what the vault learns from it (enrolled members are marked with the tx
   hash and block).

A batch the chain refuses (and holds none of) becomes **failed**: its rows are released, so a
later run may plan them again. A confirmed batch whose block the chain no longer has (a node
restarted from an older state, a reorganisation) is **reopened**: back to sent, its vault
effects undone, to be settled again.

Planning happens in steps, one vault transaction each (`Journal.plan_in_steps`): storing a
large file's rows and fixing them into batches takes seconds, and doing it a few batches at a
time lets the courier send the first batches while later ones are still being stored.

How batches are settled against the chain and sent is `memberledger.bulk.courier`'s job.

**Retired.** A confirmed batch old enough and deep enough below the chain's head may leave the
journal (`memberledger.store.retention` decides which, and archives them first if asked):
its rows, transactions and batch row are deleted, and each of its credit entries leaves its
event id, wallet and points in `journal_retired_keys`, which every check below reads as a
confirmed row. So an event is refused a second credit however long ago it was credited.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from memberledger.errors import JournalError
from memberledger.hashing import keccak256
from memberledger.identifiers import EVENT_TAG_LENGTH, credit_batch_id, event_tag
from memberledger.pii.commitment import Commitment
from memberledger.store.database import Database
from memberledger.store.dialect import INTEGRITY_ERRORS
from memberledger.store.vault import Vault

_BATCH_ID_DOMAIN = b"MemberLedger/batch/v1"
_KEY_SEPARATOR = b"\x1f"
_BATCH_ID = re.compile(r"0x[0-9a-f]{64}")


class BatchKind(enum.StrEnum):
    ENROLL = "enroll"
    CREDIT = "credit"


class BatchStatus(enum.StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


OPEN_STATUSES = (BatchStatus.PLANNED, BatchStatus.SENT)


@dataclass(frozen=True)
class EnrollmentEntry:
    """One member of an enrollment batch: exactly what `enrollBatch` receives, keyed by
    member id. No personal data: the commitment stands for it."""

    member_id: str
    wallet: str
    commitment: Commitment
    consent: int
    tier: int

    @property
    def key(self) -> str:
        return self.member_id


@dataclass(frozen=True)
class CreditEntry:
    """One reward event of a credit batch, keyed by event id. A credit the journal learnt
    from the chain (`Journal.record_chain_batch`) has no event id, only its tag: its key is
    `#`, the tag in hex, `@` and the batch id (an event id cannot start with `#`; the same
    tag can be in two batches the chain applied, e.g. skipped in one, paid in another)."""

    event_id: str
    wallet: str
    points: int

    @property
    def key(self) -> str:
        return self.event_id

    @property
    def tag(self) -> bytes:
        """The 16 bytes the chain sees for this event (`identifiers.event_tag`)."""
        if self.event_id.startswith(CHAIN_KEY_PREFIX):
            return bytes.fromhex(self.event_id[1 : 1 + 2 * EVENT_TAG_LENGTH])
        return event_tag(self.event_id)

    @property
    def row(self) -> tuple[str, int, bytes]:
        """The credit as the chain reads it: (wallet, base points, event tag)."""
        return (self.wallet, self.points, self.tag)


JournalEntry = EnrollmentEntry | CreditEntry

#: The journal's name for how far it has compared itself with the chain's `BatchCredited`
#: logs (`memberledger.bulk.chain_credits`); retention retires no batch above it.
CREDIT_SYNC = "credit batches"

#: The key of a credit learnt from the chain: this prefix, its tag in hex, "@", its batch.
CHAIN_KEY_PREFIX = "#"


def chain_key(tag: bytes, batch_id: str) -> str:
    return f"{CHAIN_KEY_PREFIX}{tag.hex()}@{batch_id}"


@dataclass(frozen=True)
class SkippedCredit:
    """A credit the chain skipped when its batch landed: its recipient was not active (a
    registry status), or its points rounded down to zero after the tier multiplier."""

    event_id: str
    tag: bytes
    wallet: str
    points: int
    batch_id: str
    reason: str
    status: int | None


@dataclass(frozen=True)
class ChainCredit:
    """A credit row as the chain holds it: in a batch that was applied, credited or skipped."""

    tag: bytes
    wallet: str
    points: int
    skipped_reason: str | None = None
    skipped_status: int | None = None


#: Batches planned per vault transaction while sending: enough that a commit is cheap per
#: row, few enough that the first transaction leaves soon after checking ends.
STEP_BATCHES = 4


@dataclass(frozen=True)
class StagedEntries:
    """Where a step's entries already sit in the same database (a bulk run's staging table):
    `select` is a query with two parameters, the first and last line, giving
    `(line, entry_key, wallet, commitment, consent, tier, points, tag)` for the entries of
    those lines; `lines` are the entries' lines, in planning order. The journal copies each batch's
    rows with one `INSERT ... SELECT` of it: less than half the time of binding each value from
    Python."""

    select: str
    lines: Sequence[int]


@dataclass(frozen=True)
class StagedMembers:
    """New members a step stores in the vault before planning them, from a query on the same
    database (see `Vault.insert_selected`)."""

    select: str
    parameters: Sequence[object]


@dataclass(frozen=True)
class PlanStep:
    """Rows planned in one vault transaction, after the new members among them are stored."""

    entries: Sequence[JournalEntry]
    staged: StagedEntries | None = None
    new_members: StagedMembers | None = None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    kind: BatchKind
    status: BatchStatus
    entries: tuple[JournalEntry, ...]
    tx_hash: str | None = None
    block: int | None = None
    gas_used: int | None = None
    failure: str | None = None

    @property
    def enrollments(self) -> list[EnrollmentEntry]:
        return [entry for entry in self.entries if isinstance(entry, EnrollmentEntry)]

    @property
    def credits(self) -> list[CreditEntry]:
        return [entry for entry in self.entries if isinstance(entry, CreditEntry)]


@dataclass(frozen=True)
class SentTransaction:
    """One signed transaction of a batch, as recorded before it was broadcast."""

    tx_hash: str
    batch_id: str
    nonce: int
    gas_limit: int
    max_fee: int
    priority_fee: int
    sent_at: str


@dataclass(frozen=True)
class ConfirmedBatch:
    batch_id: str
    tx_hash: str
    block: int
    block_hash: str | None


@dataclass(frozen=True)
class StagedCreditMatch:
    """A staged credit whose event the journal knows (see `Journal.match_staged_credits`)."""

    line: int
    same: bool
    status: BatchStatus
    origin: str
    #: Why the chain skipped the credit when its batch landed (None: it was credited, or its
    #: batch is not confirmed yet).
    skipped_reason: str | None


@dataclass(frozen=True)
class JournalTotals:
    batches: int
    rows: int
    gas_used: int


@dataclass(frozen=True)
class RetirableBatch:
    """A confirmed batch that retention may remove: what the chain is asked about it."""

    batch_id: str
    kind: BatchKind
    tx_hash: str
    block: int
    block_hash: str | None
    confirmed_at: str


#: A journal row as an archive keeps it: which table, and the row's columns by name.
ArchivedRow = tuple[str, dict[str, Any]]

_BATCH_COLUMNS = (
    "batch_id, kind, status, size, tx_hash, block, block_hash, gas_used, failure, created_at, "
    "updated_at, origin, skipped"
)
_ENTRY_COLUMNS = (
    "kind, entry_key, batch_id, position, wallet, commitment, consent, tier, points, tag"
)
_SKIPPED_COLUMNS = (
    "batch_id, tag, entry_key, position, wallet, points, reason, status, skipped_at, retried_at"
)
_TRANSACTION_COLUMNS = "tx_hash, batch_id, nonce, gas_limit, max_fee, priority_fee, sent_at"


def batch_id(kind: BatchKind, keys: Iterable[str]) -> str:
    """An enrollment batch's id: keccak256(domain, kind, sorted row keys), so the same rows
    always make the same id. (A credit batch's id is its identity on chain,
    `identifiers.credit_batch_id` of its rows in order.)"""
    ordered = sorted(keys)
    if not ordered:
        raise ValueError("a batch needs at least one row")
    data = _KEY_SEPARATOR.join(
        [_BATCH_ID_DOMAIN, kind.value.encode(), *(key.encode("utf-8") for key in ordered)]
    )
    return "0x" + keccak256(data).hex()


class Journal:
    """The batches of one vault, in the `journal_*` tables of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------------ planning

    def plan(
        self,
        kind: BatchKind,
        entries: Iterable[JournalEntry],
        batch_size: int,
        sender: str | None = None,
    ) -> list[str]:
        """Fix `entries` into batches of at most `batch_size` rows and record them, all in
        one transaction, owned by the account `sender` (None: by whoever claims them first,
        `claim`); the new batch ids, in order. A row already in a live batch raises
        `JournalError`. `entries` is consumed as a stream."""
        return [
            batch.batch_id for batch in self.plan_batches(kind, entries, batch_size, sender=sender)
        ]

    def plan_batches(
        self,
        kind: BatchKind,
        entries: Iterable[JournalEntry],
        batch_size: int,
        staged: StagedEntries | None = None,
        sender: str | None = None,
    ) -> list[Batch]:
        """`plan`, answering with the planned batches themselves (so a sender need not read
        back what it has just written). With `staged`, each batch's rows are copied from
        where `entries` are staged (see `StagedEntries`)."""
        if batch_size < 1:
            raise JournalError("batch size must be at least 1")
        planned: list[Batch] = []
        with self._db.transaction():
            chunk: list[JournalEntry] = []
            first = 0
            for entry in entries:
                chunk.append(entry)
                if len(chunk) == batch_size:
                    planned.append(self._planned(kind, chunk, staged, first, sender))
                    first += len(chunk)
                    chunk = []
            if chunk:
                planned.append(self._planned(kind, chunk, staged, first, sender))
        return planned

    def plan_in_steps(
        self,
        kind: BatchKind,
        steps: Iterable[PlanStep],
        batch_size: int,
        vault: Vault,
        sender: str | None = None,
    ) -> Iterator[Batch]:
        """Plan each step's rows into batches, one vault transaction per step (the step's new
        members stored in `vault` first, in the same transaction), and yield the new batches
        once the step is committed: the courier draws on this while earlier batches are out.

        A run killed between steps leaves every committed step whole (its rows stored and
        batched) and the rest untouched: running the file again finds the first as pending
        or done and the rest as new."""
        for step in steps:
            with self._db.transaction():
                if step.new_members is not None:
                    vault.insert_selected(step.new_members.select, step.new_members.parameters)
                batches = self.plan_batches(kind, step.entries, batch_size, step.staged, sender)
            yield from batches

    def _planned(
        self,
        kind: BatchKind,
        entries: list[JournalEntry],
        staged: StagedEntries | None,
        first: int,
        sender: str | None,
    ) -> Batch:
        identity = self._insert(kind, entries, staged, first, sender)
        return Batch(identity, kind, BatchStatus.PLANNED, tuple(entries))

    def _insert(
        self,
        kind: BatchKind,
        entries: Sequence[JournalEntry],
        staged: StagedEntries | None = None,
        first: int = 0,
        sender: str | None = None,
    ) -> str:
        expected = EnrollmentEntry if kind is BatchKind.ENROLL else CreditEntry
        for entry in entries:
            if not isinstance(entry, expected):
                raise JournalError(f"a {kind} batch cannot hold {type(entry).__name__}")
        identity = entries_batch_id(kind, entries)
        now = _now()
        existing = self._db.execute(
            "SELECT status FROM journal_batches WHERE batch_id = ?", (identity,)
        ).fetchone()
        if existing is None:
            self._db.execute(
                "INSERT INTO journal_batches (batch_id, kind, status, size, created_at, "
                "updated_at, sender) VALUES (?, ?, 'planned', ?, ?, ?, ?)",
                (identity, kind.value, len(entries), now, now, sender),
            )
        elif existing[0] == BatchStatus.FAILED:
            # The same rows again after the chain refused them once: the chain holds none of
            # them (checked when it failed), so the batch starts over.
            self._db.execute(
                "UPDATE journal_batches SET status = 'planned', size = ?, tx_hash = NULL, "
                "block = NULL, block_hash = NULL, gas_used = NULL, updated_at = ?, sender = ? "
                "WHERE batch_id = ?",
                (len(entries), now, sender, identity),
            )
            self._db.execute("DELETE FROM journal_transactions WHERE batch_id = ?", (identity,))
        else:  # the very same rows again: each of them is in that batch already
            raise JournalError(
                f"{kind} row {entries[0].key!r} is already in batch {identity} ({existing[0]})"
            )
        try:
            with self._db.savepoint():
                if staged is None:
                    rows = [
                        (
                            kind.value,
                            entry.key,
                            identity,
                            position,
                            entry.wallet,
                            *_entry_values(entry),
                        )
                        for position, entry in enumerate(entries)
                    ]
                    self._db.executemany(
                        "INSERT INTO journal_entries (kind, entry_key, batch_id, position, "
                        "wallet, commitment, consent, tier, points, tag) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                elif (copied := self._copy(kind, identity, staged, first, len(entries))) != len(
                    entries
                ):
                    raise JournalError(
                        f"batch {identity}: {copied} journal rows copied for {len(entries)} entries"
                    )
        except INTEGRITY_ERRORS:
            retired = self.retired_keys(kind, [entry.key for entry in entries])
            if retired:
                raise JournalError(
                    f"{kind} row {retired[0]!r} was confirmed long ago and retired from the "
                    "journal: it is done, and cannot be planned again"
                ) from None
            for entry in entries:
                holder = self._db.execute(
                    "SELECT batch_id FROM journal_entries WHERE kind = ? AND entry_key = ? "
                    "AND batch_id != ?",
                    (kind.value, entry.key, identity),
                ).fetchone()
                if holder is not None:
                    raise JournalError(
                        f"{kind} row {entry.key!r} is already in batch {holder[0]}"
                    ) from None
            raise
        return identity

    def _copy(
        self, kind: BatchKind, identity: str, staged: StagedEntries, first: int, count: int
    ) -> int:
        """The journal rows of one batch, copied from the staged entries of lines
        `staged.lines[first]` to `staged.lines[first + count - 1]`; how many were copied."""
        cursor = self._db.execute(
            "INSERT INTO journal_entries (kind, entry_key, batch_id, position, wallet, "
            "commitment, consent, tier, points, tag) SELECT ?, entry_key, ?, "
            "row_number() OVER (ORDER BY line) - 1, wallet, commitment, consent, tier, points, "
            f"tag FROM ({staged.select}) staged",
            (kind.value, identity, staged.lines[first], staged.lines[first + count - 1]),
        )
        return int(cursor.rowcount)

    # ------------------------------------------------------------------ recording

    def record_sent(self, sent: SentTransaction) -> None:
        """A signed transaction, recorded before it is broadcast."""
        with self._db.transaction():
            self._require(sent.batch_id, OPEN_STATUSES)
            self._insert_transaction(sent)
            self._db.execute(
                "UPDATE journal_batches SET status = 'sent', tx_hash = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (sent.tx_hash, _now(), sent.batch_id),
            )

    def _insert_transaction(self, sent: SentTransaction) -> None:
        self._db.execute(
            "INSERT INTO journal_transactions (tx_hash, batch_id, nonce, gas_limit, max_fee, "
            "priority_fee, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tx_hash) DO NOTHING",
            (
                sent.tx_hash,
                sent.batch_id,
                sent.nonce,
                sent.gas_limit,
                str(sent.max_fee),
                str(sent.priority_fee),
                sent.sent_at,
            ),
        )

    def record_confirmed(
        self,
        batch_id: str,
        tx_hash: str,
        block: int,
        gas_used: int,
        block_hash: str | None = None,
        skipped: Sequence[ChainCredit] = (),
    ) -> None:
        """The receipt, and the credits the chain skipped in it (`skipped`, from the
        receipt's logs). Call inside a transaction together with what the vault learns from
        it, so both are recorded or neither."""
        with self._db.transaction():
            self._require(batch_id, OPEN_STATUSES)
            self._db.execute(
                "UPDATE journal_batches SET status = 'confirmed', tx_hash = ?, block = ?, "
                "block_hash = ?, gas_used = ?, failure = NULL, skipped = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (tx_hash, block, block_hash, gas_used, len(skipped), _now(), batch_id),
            )
            self._record_skipped(batch_id, skipped)

    def _record_skipped(self, batch_id: str, skipped: Sequence[ChainCredit]) -> None:
        now = _now()
        cursor = self._db.executemany(
            "INSERT INTO journal_skipped (batch_id, tag, entry_key, position, wallet, points, "
            "reason, status, skipped_at) SELECT batch_id, tag, entry_key, position, wallet, "
            "points, ?, ?, ? FROM journal_entries WHERE batch_id = ? AND tag = ? "
            "ON CONFLICT (batch_id, tag) DO NOTHING",
            (
                (
                    credit.skipped_reason,
                    credit.skipped_status,
                    now,
                    batch_id,
                    "0x" + credit.tag.hex(),
                )
                for credit in skipped
            ),
        )
        if cursor.rowcount < len(skipped):
            raise JournalError(
                f"the chain skipped {len(skipped)} credits of batch {batch_id}, but the journal "
                f"holds only {cursor.rowcount} of them"
            )

    def record_failed(self, batch_id: str, reason: str) -> None:
        """The chain refused the batch and holds none of it: release its rows."""
        with self._db.transaction():
            self._require(batch_id, OPEN_STATUSES)
            self._db.execute("DELETE FROM journal_entries WHERE batch_id = ?", (batch_id,))
            self._db.execute(
                "UPDATE journal_batches SET status = 'failed', failure = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (reason, _now(), batch_id),
            )

    def reopen(self, batch_id: str) -> None:
        """A confirmed batch whose receipt the chain no longer has: back to sent, and what
        its receipt said was skipped is forgotten. Call inside a transaction together with
        undoing its vault effects."""
        with self._db.transaction():
            self._require(batch_id, (BatchStatus.CONFIRMED,))
            retried = self._db.execute(
                "SELECT COUNT(*) FROM journal_skipped "
                "WHERE batch_id = ? AND retried_at IS NOT NULL",
                (batch_id,),
            ).fetchone()[0]
            if retried:
                raise JournalError(
                    f"batch {batch_id} vanished from the chain after {retried} of its skipped "
                    "credits were planned again: they could now be paid twice. Stop, and compare "
                    "the chain with the journal before running again"
                )
            self._db.execute("DELETE FROM journal_skipped WHERE batch_id = ?", (batch_id,))
            self._db.execute(
                "UPDATE journal_batches SET status = 'sent', block = NULL, block_hash = NULL, "
                "gas_used = NULL, skipped = 0, updated_at = ? WHERE batch_id = ?",
                (_now(), batch_id),
            )

    def _require(self, batch_id: str, statuses: Sequence[BatchStatus]) -> None:
        row = self._db.execute(
            "SELECT status FROM journal_batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        if row is None:
            raise JournalError(f"no batch {batch_id} in the journal")
        if row[0] not in statuses:
            raise JournalError(f"batch {batch_id} is {row[0]}, not {'/'.join(statuses)}")

    # ------------------------------------------------------------------ reading

    def get(self, batch_id: str) -> Batch | None:
        row = self._db.execute(
            "SELECT batch_id, kind, status, tx_hash, block, gas_used, failure "
            "FROM journal_batches WHERE batch_id = ?",
            (batch_id,),
        ).fetchone()
        return self._batch(row) if row else None

    def batches(
        self, kind: BatchKind | None = None, statuses: Sequence[BatchStatus] | None = None
    ) -> list[Batch]:
        """Batches in the order they were planned, with their rows (small journals)."""
        return [
            batch
            for identity in self.batch_ids(kind, statuses)
            if (batch := self.get(identity)) is not None
        ]

    def batch_ids(
        self, kind: BatchKind | None = None, statuses: Sequence[BatchStatus] | None = None
    ) -> list[str]:
        """Ids of batches in the order they were planned."""
        query = "SELECT batch_id FROM journal_batches WHERE 1 = 1"
        params: list[str] = []
        if kind is not None:
            query += " AND kind = ?"
            params.append(kind.value)
        if statuses is not None:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            params.extend(status.value for status in statuses)
        return [row[0] for row in self._db.execute(query + " ORDER BY rowid", params)]

    def open_batch_ids(self, kind: BatchKind) -> list[str]:
        return self.batch_ids(kind, OPEN_STATUSES)

    def open_senders(self, kind: BatchKind) -> list[str]:
        """The accounts that own open batches of `kind`."""
        rows = self._db.execute(
            "SELECT DISTINCT sender FROM journal_batches WHERE kind = ? AND sender IS NOT NULL "
            "AND status IN (?, ?)",
            (kind.value, *OPEN_STATUSES),
        )
        return sorted(str(row[0]) for row in rows)

    def claim(self, kind: BatchKind, sender: str, idle: Sequence[str] = ()) -> list[str]:
        """The open batches of `kind` that `sender` is to send, in the order they were
        planned: its own, and those it takes over now (in one statement, so two machines
        never take the same batch): nobody's yet (journaled before batches had owners), or
        owned by one of the `idle` accounts (that run nothing now: `store.lock.idle_accounts`).
        A batch another account sent and that is not mined yet stays that account's to finish
        (`memberledger.bulk.courier` refuses to send it again under another nonce)."""
        others = [account for account in idle if account != sender]
        marks = ", ".join("?" * len(others))
        taken_over = f" OR sender IN ({marks})" if others else ""
        self._db.execute(
            "UPDATE journal_batches SET sender = ? WHERE kind = ? AND status IN (?, ?) "
            f"AND (sender IS NULL{taken_over})",
            (sender, kind.value, *OPEN_STATUSES, *others),
        )
        rows = self._db.execute(
            "SELECT batch_id FROM journal_batches WHERE kind = ? AND status IN (?, ?) "
            "AND sender = ? ORDER BY rowid",
            (kind.value, *OPEN_STATUSES, sender),
        )
        return [row[0] for row in rows]

    def batch_size(self, batch_id: str) -> int:
        row = self._db.execute(
            "SELECT size FROM journal_batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def transactions(self, batch_id: str) -> list[SentTransaction]:
        """Every transaction signed for the batch, oldest first."""
        rows = self._db.execute(
            "SELECT tx_hash, batch_id, nonce, gas_limit, max_fee, priority_fee, sent_at "
            "FROM journal_transactions WHERE batch_id = ? ORDER BY rowid",
            (batch_id,),
        ).fetchall()
        return [
            SentTransaction(h, b, int(n), int(g), int(m), int(p), s) for h, b, n, g, m, p, s in rows
        ]

    def entry_status(self, kind: BatchKind, key: str) -> BatchStatus | None:
        """The status of the live batch holding a row, if one does; confirmed for a row
        retired from the journal."""
        row = self._db.execute(
            "SELECT b.status FROM journal_entries e JOIN journal_batches b USING (batch_id) "
            "WHERE e.kind = ? AND e.entry_key = ?",
            (kind.value, key),
        ).fetchone()
        if row is None and self.retired_keys(kind, [key]):
            return BatchStatus.CONFIRMED
        return BatchStatus(row[0]) if row else None

    def entries(self, kind: BatchKind) -> dict[str, tuple[JournalEntry, BatchStatus]]:
        """Every row of a live batch by key, with its batch's status (small journals)."""
        rows = self._db.execute(
            "SELECT e.entry_key, e.wallet, e.commitment, e.consent, e.tier, e.points, b.status "
            "FROM journal_entries e JOIN journal_batches b USING (batch_id) WHERE e.kind = ?",
            (kind.value,),
        ).fetchall()
        return {row[0]: (_entry(kind, row[:6]), BatchStatus(row[6])) for row in rows}

    def match_staged_credits(self, staged: str) -> list[StagedCreditMatch]:
        """For each staged credit whose event the journal already knows, by its tag: in a
        live batch of its own or one learnt from the chain, skipped by the chain, or retired
        from the journal (then confirmed). `staged` is a query giving `(line, tag, wallet,
        points)`; the match says whether the wallet and points are the same, and the batch's
        status (None: skipped).

        CROSS JOIN keeps the staged rows as the outer loop: left to itself, SQLite scans
        every entry the journal holds and searches the staged rows for each (seconds once
        the journal holds a few hundred thousand credits)."""
        rows = self._db.execute(
            "SELECT s.line, s.wallet = e.wallet AND s.points = e.points, b.status, b.origin, "
            f"k.reason FROM ({staged}) s CROSS JOIN journal_entries e "
            "ON e.kind = 'credit' AND e.tag = s.tag JOIN journal_batches b USING (batch_id) "
            "LEFT JOIN journal_skipped k ON k.batch_id = e.batch_id AND k.tag = e.tag "
            "AND k.retried_at IS NULL "
            "UNION ALL "
            "SELECT s.line, s.wallet = r.wallet AND s.points = r.points, 'confirmed', "
            f"'journal', NULL FROM ({staged}) s CROSS JOIN journal_retired_keys r "
            "ON r.kind = 'credit' AND r.tag = s.tag"
        ).fetchall()
        return [
            StagedCreditMatch(int(line), bool(same), BatchStatus(status), origin, reason)
            for line, same, status, origin, reason in rows
        ]

    def unbatched(self, kind: BatchKind, keys: Sequence[str]) -> list[str]:
        """The keys of `keys` that no live batch holds and none was retired, in the given
        order."""
        if not keys:
            return []
        held = {
            str(key)
            for (key,) in self._db.execute(
                "SELECT entry_key FROM journal_entries WHERE kind = ? AND entry_key IN "
                "(SELECT value FROM json_each(?))",
                (kind.value, orjson.dumps(list(keys)).decode()),
            )
        }
        held.update(self.retired_keys(kind, keys))
        return [key for key in keys if key not in held]

    def confirmed_since(
        self, kind: BatchKind, block: int, sender: str | None = None
    ) -> list[ConfirmedBatch]:
        """Confirmed batches mined at or after `block` (those a rollback could undo); with
        `sender`, only that account's (another machine's are its own to reopen: two machines
        reopening one batch would trip over each other)."""
        owned = " AND sender = ?" if sender is not None else ""
        rows = self._db.execute(
            "SELECT batch_id, tx_hash, block, block_hash FROM journal_batches "
            f"WHERE kind = ? AND status = 'confirmed' AND block >= ?{owned} ORDER BY rowid",
            (kind.value, block, *([sender] if sender is not None else [])),
        ).fetchall()
        return [ConfirmedBatch(b, t, int(n), h) for b, t, n, h in rows]

    def totals(self, kind: BatchKind, batch_ids: Sequence[str] | None = None) -> JournalTotals:
        """Confirmed batches of a kind (or of `batch_ids`): count, rows and gas; of a kind,
        the retired ones included."""
        query = (
            "SELECT COUNT(*), COALESCE(SUM(size - skipped), 0), COALESCE(SUM(gas_used), 0) "
            "FROM journal_batches WHERE kind = ? AND status = 'confirmed'"
        )
        if batch_ids is None:
            row = self._db.execute(query, (kind.value,)).fetchone()
            retired = self.retired_totals(kind)
            return JournalTotals(
                int(row[0]) + retired.batches,
                int(row[1]) + retired.rows,
                int(row[2]) + retired.gas_used,
            )
        totals = JournalTotals(0, 0, 0)
        for start in range(0, len(batch_ids), 500):
            chunk = batch_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            row = self._db.execute(
                f"{query} AND batch_id IN ({marks})", (kind.value, *chunk)
            ).fetchone()
            totals = JournalTotals(
                totals.batches + int(row[0]),
                totals.rows + int(row[1]),
                totals.gas_used + int(row[2]),
            )
        return totals

    # ------------------------------------------------------------------ skipped credits

    def skipped_credits(self) -> list[SkippedCredit]:
        """Credits the chain skipped that no live batch pays instead, oldest first."""
        # A skipped event that another live batch holds (one learnt from the chain: another
        # issuer paid it meanwhile) is not waiting any more: retrying it would pay it twice.
        rows = self._db.execute(
            "SELECT k.entry_key, k.tag, k.wallet, k.points, k.batch_id, k.reason, k.status "
            "FROM journal_skipped k WHERE k.retried_at IS NULL AND NOT EXISTS ("
            "SELECT 1 FROM journal_entries e JOIN journal_batches b USING (batch_id) "
            "WHERE e.kind = 'credit' AND e.tag = k.tag AND b.status != 'failed' "
            "AND NOT EXISTS (SELECT 1 FROM journal_skipped s "
            "WHERE s.batch_id = e.batch_id AND s.tag = e.tag)) "
            "AND NOT EXISTS (SELECT 1 FROM journal_retired_keys r "
            "WHERE r.kind = 'credit' AND r.tag = k.tag) "
            "ORDER BY k.skipped_at, k.batch_id, k.position"
        ).fetchall()
        return [
            SkippedCredit(key, bytes.fromhex(tag[2:]), wallet, int(points), batch, reason, status)
            for key, tag, wallet, points, batch, reason, status in rows
        ]

    def plan_retry(
        self, credits: Sequence[SkippedCredit], batch_size: int, sender: str | None = None
    ) -> list[Batch]:
        """Plan skipped credits again, in new batches: in one transaction, each leaves the
        batch that sent it (which keeps it in `journal_skipped`, so its calldata can still be
        rebuilt) and is marked retried."""
        with self._db.transaction():
            now = _now()
            for credit in credits:
                taken = self._db.execute(
                    "UPDATE journal_skipped SET retried_at = ? WHERE batch_id = ? AND tag = ? "
                    "AND retried_at IS NULL",
                    (now, credit.batch_id, "0x" + credit.tag.hex()),
                ).rowcount
                if taken != 1:
                    raise JournalError(f"credit {credit.event_id!r} is not waiting to be retried")
                self._db.execute(
                    "DELETE FROM journal_entries "
                    "WHERE kind = 'credit' AND batch_id = ? AND tag = ?",
                    (credit.batch_id, "0x" + credit.tag.hex()),
                )
            entries = [CreditEntry(c.event_id, c.wallet, c.points) for c in credits]
            return self.plan_batches(BatchKind.CREDIT, entries, batch_size, sender=sender)

    # ------------------------------------------------------------------ the chain's own record

    def synced_block(self, name: str) -> int | None:
        """The block up to which the journal was compared with the chain's `name` logs."""
        row = self._db.execute("SELECT block FROM journal_sync WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def record_synced(self, name: str, block: int) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO journal_sync (name, block) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET block = excluded.block",
                (name, block),
            )

    def known_transactions(self, tx_hashes: Sequence[str]) -> set[str]:
        """Those of `tx_hashes` (lower-case) the journal signed, learnt, or confirmed a batch
        by (a batch found applied on chain is confirmed by the transaction its log names)."""
        known: set[str] = set()
        for start in range(0, len(tx_hashes), 500):
            chunk = list(tx_hashes[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            known.update(
                str(row[0])
                for row in self._db.execute(
                    f"SELECT tx_hash FROM journal_transactions WHERE tx_hash IN ({marks}) "
                    f"UNION SELECT tx_hash FROM journal_batches WHERE tx_hash IN ({marks})",
                    chunk + chunk,
                )
            )
        return known

    def live_batches_holding(self, tags: Sequence[bytes]) -> dict[str, BatchStatus]:
        """Open or confirmed credit batches holding any of `tags`: their status, by id."""
        found: dict[str, BatchStatus] = {}
        for start in range(0, len(tags), 500):
            chunk = ["0x" + tag.hex() for tag in tags[start : start + 500]]
            marks = ", ".join("?" * len(chunk))
            for identity, status in self._db.execute(
                "SELECT DISTINCT b.batch_id, b.status FROM journal_entries e JOIN journal_batches "
                f"b USING (batch_id) WHERE e.kind = 'credit' AND e.tag IN ({marks})",
                chunk,
            ):
                found[str(identity)] = BatchStatus(status)
        return found

    def record_chain_batch(
        self,
        identity: str,
        sent: SentTransaction,
        block: int,
        block_hash: str,
        gas_used: int,
        credits: Sequence[ChainCredit],
    ) -> None:
        """A credit batch the chain applied that the journal did not know (`journal
        rebuild`): recorded as confirmed, its rows keyed by their tags, its skipped rows as
        skipped, and its transaction as known. If the journal holds a batch of the very same
        content that is still open, that batch is confirmed by this transaction instead."""
        with self._db.transaction():
            existing = self.get(identity)
            if existing is not None and existing.status in OPEN_STATUSES:
                self.record_sent(sent)
                self.record_confirmed(
                    identity,
                    sent.tx_hash,
                    block,
                    gas_used,
                    block_hash,
                    [c for c in credits if c.skipped_reason is not None],
                )
                return
            if existing is not None:
                raise JournalError(
                    f"batch {identity} is already in the journal ({existing.status})"
                )
            now = _now()
            skipped = [c for c in credits if c.skipped_reason is not None]
            self._db.execute(
                "INSERT INTO journal_batches (batch_id, kind, status, size, tx_hash, block, "
                "block_hash, gas_used, created_at, updated_at, origin, skipped) "
                "VALUES (?, 'credit', 'confirmed', ?, ?, ?, ?, ?, ?, ?, 'chain', ?)",
                (
                    identity,
                    len(credits),
                    sent.tx_hash,
                    block,
                    block_hash,
                    gas_used,
                    now,
                    now,
                    len(skipped),
                ),
            )
            self._db.executemany(
                "INSERT INTO journal_entries (kind, entry_key, batch_id, position, wallet, "
                "points, tag) VALUES ('credit', ?, ?, ?, ?, ?, ?)",
                (
                    (
                        chain_key(c.tag, identity),
                        identity,
                        position,
                        c.wallet,
                        str(c.points),
                        "0x" + c.tag.hex(),
                    )
                    for position, c in enumerate(credits)
                ),
            )
            self._insert_transaction(sent)
            self._record_skipped(identity, skipped)

    # ------------------------------------------------------------------ retention

    def retirable(self, confirmed_before: str, at_or_below: int) -> list[RetirableBatch]:
        """Confirmed batches confirmed before `confirmed_before` (an ISO time, as the
        journal writes them) and mined at or below block `at_or_below`, oldest first; not
        one holding a credit the chain skipped that waits to be retried (`--retry-skipped`
        reads it from its batch)."""
        rows = self._db.execute(
            "SELECT batch_id, kind, tx_hash, block, block_hash, updated_at FROM journal_batches b "
            "WHERE status = 'confirmed' AND updated_at < ? AND block <= ? AND NOT EXISTS ("
            "SELECT 1 FROM journal_skipped k WHERE k.batch_id = b.batch_id "
            "AND k.retried_at IS NULL) ORDER BY block, batch_id",
            (confirmed_before, at_or_below),
        ).fetchall()
        return [RetirableBatch(b, BatchKind(k), t, int(n), h, u) for b, k, t, n, h, u in rows]

    def archived_rows(self, batch_id: str) -> Iterator[ArchivedRow]:
        """Every journal row of a batch, as an archive keeps it: the batch, then its
        entries in order, the credits the chain skipped, then its transactions in the order
        they were signed."""
        for table, columns, order in (
            ("journal_batches", _BATCH_COLUMNS, "batch_id"),
            ("journal_entries", _ENTRY_COLUMNS, "position"),
            ("journal_skipped", _SKIPPED_COLUMNS, "position"),
            ("journal_transactions", _TRANSACTION_COLUMNS, "sent_at, tx_hash"),
        ):
            cursor = self._db.execute(
                f"SELECT {columns} FROM {table} WHERE batch_id = ? ORDER BY {order}", (batch_id,)
            )
            names = [column[0] for column in cursor.description]
            for row in cursor:
                yield table, dict(zip(names, row, strict=True))

    def retire(self, batch_ids: Sequence[str]) -> JournalTotals:
        """Remove confirmed batches from the journal, in one transaction: their credit
        entries' event ids, wallets and points are kept as retired keys (see the module
        docstring) and their counts added to the retired totals. A batch that is not
        confirmed (any more) raises `JournalError` and nothing is removed. What was removed:
        batches, entries and gas."""
        removed = JournalTotals(0, 0, 0)
        with self._db.transaction():
            for identity in batch_ids:
                self._require(identity, (BatchStatus.CONFIRMED,))
                kind, size, gas_used = self._db.execute(
                    "SELECT kind, size, gas_used FROM journal_batches WHERE batch_id = ?",
                    (identity,),
                ).fetchone()
                if kind == BatchKind.CREDIT:
                    self._db.execute(
                        "INSERT INTO journal_retired_keys (kind, entry_key, wallet, points, tag) "
                        "SELECT kind, entry_key, wallet, points, tag FROM journal_entries "
                        "WHERE batch_id = ?",
                        (identity,),
                    )
                self._db.execute(
                    "INSERT INTO journal_retired_totals (kind, batches, rows, gas_used) "
                    "VALUES (?, 1, ?, ?) ON CONFLICT (kind) DO UPDATE SET "
                    "batches = journal_retired_totals.batches + 1, "
                    "rows = journal_retired_totals.rows + excluded.rows, "
                    "gas_used = journal_retired_totals.gas_used + excluded.gas_used",
                    (kind, int(size), int(gas_used or 0)),
                )
                for table in (
                    "journal_skipped",
                    "journal_transactions",
                    "journal_entries",
                    "journal_batches",
                ):
                    self._db.execute(f"DELETE FROM {table} WHERE batch_id = ?", (identity,))
                removed = JournalTotals(
                    removed.batches + 1,
                    removed.rows + int(size),
                    removed.gas_used + int(gas_used or 0),
                )
        return removed

    def retired_keys(self, kind: BatchKind, keys: Sequence[str]) -> list[str]:
        """The keys of `keys` retired from the journal, in the given order."""
        if not keys:
            return []
        retired = {
            str(key)
            for (key,) in self._db.execute(
                "SELECT entry_key FROM journal_retired_keys WHERE kind = ? AND entry_key IN "
                "(SELECT value FROM json_each(?))",
                (kind.value, orjson.dumps(list(keys)).decode()),
            )
        }
        return [key for key in keys if key in retired]

    def retired_totals(self, kind: BatchKind) -> JournalTotals:
        """Batches, rows and gas of the batches of a kind retired from the journal."""
        row = self._db.execute(
            "SELECT batches, rows, gas_used FROM journal_retired_totals WHERE kind = ?",
            (kind.value,),
        ).fetchone()
        return JournalTotals(*map(int, row)) if row else JournalTotals(0, 0, 0)

    def _batch(self, row: Any) -> Batch:
        identity, kind, status, tx_hash, block, gas_used, failure = row
        if not _BATCH_ID.fullmatch(identity):
            raise JournalError(f"journal row {identity!r} is not a batch id")
        # A batch's rows as it sent them: those planned again elsewhere after the chain
        # skipped them are kept in journal_skipped (the calldata must stay the same).
        entry_rows = self._db.execute(
            "SELECT entry_key, wallet, commitment, consent, tier, points FROM ("
            "SELECT position, entry_key, wallet, commitment, consent, tier, points "
            "FROM journal_entries WHERE batch_id = ? UNION ALL "
            "SELECT position, entry_key, wallet, NULL, NULL, NULL, points FROM journal_skipped "
            "WHERE batch_id = ? AND retried_at IS NOT NULL) sent ORDER BY position",
            (identity, identity),
        ).fetchall()
        batch_kind = BatchKind(kind)
        return Batch(
            batch_id=identity,
            kind=batch_kind,
            status=BatchStatus(status),
            entries=tuple(_entry(batch_kind, entry) for entry in entry_rows),
            tx_hash=tx_hash,
            block=block,
            gas_used=gas_used,
            failure=failure,
        )


def _entry_values(entry: JournalEntry) -> tuple[Any, ...]:
    if isinstance(entry, EnrollmentEntry):
        return (entry.commitment.hex, entry.consent, entry.tier, None, None)
    return (None, None, None, str(entry.points), "0x" + entry.tag.hex())


def entries_batch_id(kind: BatchKind, entries: Sequence[JournalEntry]) -> str:
    """The id of a batch of `entries`, in order: for credits, their identity on chain."""
    if kind is BatchKind.CREDIT:
        return credit_batch_id(entry.row for entry in entries if isinstance(entry, CreditEntry))
    return batch_id(kind, (entry.key for entry in entries))


def _entry(kind: BatchKind, row: Any) -> JournalEntry:
    key, wallet, commitment, consent, tier, points = row
    if kind is BatchKind.ENROLL:
        return EnrollmentEntry(key, wallet, Commitment.from_hex(commitment), consent, tier)
    return CreditEntry(key, wallet, int(points))


def now_text() -> str:
    return _now()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
