"""The send journal: each batch reaches the chain exactly once, whatever crashes in between.

A batch's life, each step committed to the vault's SQLite file before the next one starts:

1. **planned**: its rows and its id are fixed and recorded, before anything is signed. The id
   is deterministic, keccak256 of the kind and the sorted row keys (member ids, event ids),
   and a row key belongs to one live batch only (the table's primary key), so no row can be
   planned twice.
2. **sent**: the transaction is signed and its hash recorded, then it is broadcast.
3. **confirmed**: the receipt (block, gas used) is recorded, in the same SQLite transaction as
   what the vault learns from it (enrolled members are marked with the tx hash and block).

A batch the chain refuses (and holds none of) becomes **failed**: its rows are released, so a
later run may plan them again.

On start, every planned or sent batch is *settled* against the chain before anything new is
sent: a batch the chain already holds (every member carries the batch's commitment;
`LoyaltyPoints.batchApplied(id)` for credits) is confirmed from the chain's own logs, a
transaction the node still knows is waited for, and only a batch the chain does not hold is
sent (again). A crash between broadcast and receipt therefore never sends twice, and if a
transaction is re-sent while the first is still in flight, the contracts refuse the second
(`AlreadyEnrolled`, `BatchAlreadyApplied`), which the journal recognises as "already applied".
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ape.exceptions import ContractLogicError, TransactionError
from eth_utils.crypto import keccak

from memberledger.commitment import Commitment
from memberledger.errors import BatchFailed, JournalError
from memberledger.onchain import revert_reason
from memberledger.vault import Vault

#: Rows per batch unless the operator chooses: far below the per-transaction gas cap
#: (16,777,216 gas fits about 640 enrollments or 590 first credits).
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 500

_BATCH_ID_DOMAIN = b"MemberLedger/batch/v1"
_KEY_SEPARATOR = b"\x1f"
_BATCH_ID = re.compile(r"0x[0-9a-f]{64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal_batches (
    batch_id   TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('enroll', 'credit')),
    status     TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'confirmed', 'failed')),
    size       INTEGER NOT NULL CHECK (size > 0),
    tx_hash    TEXT,
    block      INTEGER,
    gas_used   INTEGER,
    failure    TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_entries (
    kind       TEXT NOT NULL,
    entry_key  TEXT NOT NULL,
    batch_id   TEXT NOT NULL REFERENCES journal_batches (batch_id),
    position   INTEGER NOT NULL,
    wallet     TEXT NOT NULL,
    commitment TEXT,
    consent    INTEGER,
    tier       INTEGER,
    points     TEXT,
    PRIMARY KEY (kind, entry_key)
);
CREATE INDEX IF NOT EXISTS journal_entries_by_batch ON journal_entries (batch_id, position);
"""


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
    """One reward event of a credit batch, keyed by event id."""

    event_id: str
    wallet: str
    points: int

    @property
    def key(self) -> str:
        return self.event_id


JournalEntry = EnrollmentEntry | CreditEntry


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
    def id_bytes(self) -> bytes:
        return bytes.fromhex(self.batch_id[2:])

    @property
    def enrollments(self) -> list[EnrollmentEntry]:
        return [entry for entry in self.entries if isinstance(entry, EnrollmentEntry)]

    @property
    def credits(self) -> list[CreditEntry]:
        return [entry for entry in self.entries if isinstance(entry, CreditEntry)]


def batch_id(kind: BatchKind, keys: Iterable[str]) -> str:
    """keccak256(domain, kind, sorted row keys): the same rows always make the same id."""
    ordered = sorted(keys)
    if not ordered:
        raise ValueError("a batch needs at least one row")
    data = _KEY_SEPARATOR.join(
        [_BATCH_ID_DOMAIN, kind.value.encode(), *(key.encode("utf-8") for key in ordered)]
    )
    digest: bytes = keccak(data)
    return "0x" + digest.hex()


class Journal:
    """The batches of one vault, in the vault's own SQLite file."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._db = vault.database
        self._db.executescript(_SCHEMA)

    # ------------------------------------------------------------------ planning

    def plan(
        self, kind: BatchKind, entries: Sequence[JournalEntry], batch_size: int
    ) -> list[Batch]:
        """Fix `entries` into batches of at most `batch_size` rows and record them, all in
        one transaction. A row already in a live batch raises `JournalError`."""
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise JournalError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
        planned: list[Batch] = []
        with self._vault.transaction():
            for start in range(0, len(entries), batch_size):
                planned.append(self._insert(kind, entries[start : start + batch_size]))
        return planned

    def _insert(self, kind: BatchKind, entries: Sequence[JournalEntry]) -> Batch:
        for entry in entries:
            expected = EnrollmentEntry if kind is BatchKind.ENROLL else CreditEntry
            if not isinstance(entry, expected):
                raise JournalError(f"a {kind} batch cannot hold {type(entry).__name__}")
            holder = self._db.execute(
                "SELECT batch_id FROM journal_entries WHERE kind = ? AND entry_key = ?",
                (kind.value, entry.key),
            ).fetchone()
            if holder is not None:
                raise JournalError(f"{kind} row {entry.key!r} is already in batch {holder[0]}")
        identity = batch_id(kind, (entry.key for entry in entries))
        now = _now()
        existing = self._db.execute(
            "SELECT status FROM journal_batches WHERE batch_id = ?", (identity,)
        ).fetchone()
        if existing is None:
            self._db.execute(
                "INSERT INTO journal_batches (batch_id, kind, status, size, created_at, "
                "updated_at) VALUES (?, ?, 'planned', ?, ?, ?)",
                (identity, kind.value, len(entries), now, now),
            )
        elif existing[0] == BatchStatus.FAILED:
            # The same rows again after the chain refused them once: the chain holds none of
            # them (checked when it failed), so the batch starts over.
            self._db.execute(
                "UPDATE journal_batches SET status = 'planned', size = ?, tx_hash = NULL, "
                "block = NULL, gas_used = NULL, updated_at = ? WHERE batch_id = ?",
                (len(entries), now, identity),
            )
        else:
            raise JournalError(f"batch {identity} is already {existing[0]}")
        for position, entry in enumerate(entries):
            if isinstance(entry, EnrollmentEntry):
                values: tuple[Any, ...] = (
                    entry.commitment.hex,
                    entry.consent,
                    entry.tier,
                    None,
                )
            else:
                values = (None, None, None, str(entry.points))
            self._db.execute(
                "INSERT INTO journal_entries (kind, entry_key, batch_id, position, wallet, "
                "commitment, consent, tier, points) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind.value, entry.key, identity, position, entry.wallet, *values),
            )
        batch = self.get(identity)
        assert batch is not None
        return batch

    # ------------------------------------------------------------------ recording

    def record_sent(self, batch_id: str, tx_hash: str) -> None:
        """The signed transaction's hash, recorded before it is broadcast."""
        with self._vault.transaction():
            self._require(batch_id, OPEN_STATUSES)
            self._db.execute(
                "UPDATE journal_batches SET status = 'sent', tx_hash = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (tx_hash, _now(), batch_id),
            )

    def record_confirmed(self, batch_id: str, tx_hash: str, block: int, gas_used: int) -> None:
        """The receipt. Call inside `vault.transaction()` together with what the vault
        learns from it, so both are recorded or neither."""
        with self._vault.transaction():
            self._require(batch_id, OPEN_STATUSES)
            self._db.execute(
                "UPDATE journal_batches SET status = 'confirmed', tx_hash = ?, block = ?, "
                "gas_used = ?, failure = NULL, updated_at = ? WHERE batch_id = ?",
                (tx_hash, block, gas_used, _now(), batch_id),
            )

    def record_failed(self, batch_id: str, reason: str) -> None:
        """The chain refused the batch and holds none of it: release its rows."""
        with self._vault.transaction():
            self._require(batch_id, OPEN_STATUSES)
            self._db.execute("DELETE FROM journal_entries WHERE batch_id = ?", (batch_id,))
            self._db.execute(
                "UPDATE journal_batches SET status = 'failed', failure = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (reason, _now(), batch_id),
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
        """Batches in the order they were planned."""
        query = (
            "SELECT batch_id, kind, status, tx_hash, block, gas_used, failure "
            "FROM journal_batches WHERE 1 = 1"
        )
        params: list[str] = []
        if kind is not None:
            query += " AND kind = ?"
            params.append(kind.value)
        if statuses is not None:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            params.extend(status.value for status in statuses)
        rows = self._db.execute(query + " ORDER BY rowid", params).fetchall()
        return [self._batch(row) for row in rows]

    def open_batches(self, kind: BatchKind) -> list[Batch]:
        return self.batches(kind, OPEN_STATUSES)

    def entries(self, kind: BatchKind) -> dict[str, tuple[JournalEntry, BatchStatus]]:
        """Every row of a live batch (planned, sent or confirmed) by key, with the batch's
        status: the rows that must never be planned again."""
        rows = self._db.execute(
            "SELECT e.entry_key, e.wallet, e.commitment, e.consent, e.tier, e.points, b.status "
            "FROM journal_entries e JOIN journal_batches b USING (batch_id) WHERE e.kind = ?",
            (kind.value,),
        ).fetchall()
        return {row[0]: (_entry(kind, row[:6]), BatchStatus(row[6])) for row in rows}

    def _batch(self, row: Any) -> Batch:
        identity, kind, status, tx_hash, block, gas_used, failure = row
        if not _BATCH_ID.fullmatch(identity):
            raise JournalError(f"journal row {identity!r} is not a batch id")
        entry_rows = self._db.execute(
            "SELECT entry_key, wallet, commitment, consent, tier, points FROM journal_entries "
            "WHERE batch_id = ? ORDER BY position",
            (identity,),
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


# ---------------------------------------------------------------------- delivery


class BatchTarget(Protocol):
    """What the journal needs to know about one kind of batch on the chain."""

    kind: BatchKind

    def is_applied(self, batch: Batch) -> bool:
        """Whether the chain holds the batch's effect (raise `JournalError` if it holds a
        part of it only)."""

    def applying_transaction(self, batch: Batch) -> str | None:
        """Hash of the transaction that applied the batch, from the contract's logs."""

    def transaction(self, batch: Batch, sender: Any) -> Any:
        """The prepared, unsigned transaction; raises the contract's error if it would revert."""

    def on_confirmed(self, batch: Batch, tx_hash: str, block: int) -> None:
        """Record what the receipt means for the vault (runs inside the journal's transaction)."""


@dataclass(frozen=True)
class Delivery:
    """How a batch reached its final state in this run."""

    batch: Batch
    how: str  # "sent", "found on chain", "waited for"
    tx_hash: str
    block: int
    gas_used: int


class BatchCourier:
    """Settles and sends one kind of batch for one signer."""

    def __init__(self, journal: Journal, vault: Vault, target: BatchTarget, chain: Any) -> None:
        self.journal = journal
        self.vault = vault
        self.target = target
        self.chain = chain

    def deliver(
        self,
        batches: Sequence[Batch],
        sender: Any,
        on_delivered: Callable[[Delivery], None] | None = None,
    ) -> list[Delivery]:
        """Bring every batch to `confirmed`, in order; stop at the first the chain refuses
        (`BatchFailed`)."""
        deliveries = []
        for batch in batches:
            delivery = self.settle(batch, sender)
            deliveries.append(delivery)
            if on_delivered is not None:
                on_delivered(delivery)
        return deliveries

    def settle(self, batch: Batch, sender: Any) -> Delivery:
        current = self.journal.get(batch.batch_id)
        if current is None or current.status not in OPEN_STATUSES:
            raise JournalError(f"batch {batch.batch_id} is not open in the journal")
        if self.target.is_applied(current):
            return self._confirm_from_chain(current, "found on chain")
        if current.tx_hash is not None and self._node_knows(current.tx_hash):
            receipt = self.chain.provider.get_receipt(current.tx_hash)
            if not receipt.failed:
                return self._confirm(current, "waited for", current.tx_hash, receipt)
        return self._send(current, sender)

    def _send(self, batch: Batch, sender: Any) -> Delivery:
        try:
            prepared = self.target.transaction(batch, sender)
        except ContractLogicError as exc:
            return self._refused(batch, exc)
        signed = sender.sign_transaction(prepared)
        if signed is None:
            raise JournalError("the signing account declined to sign; nothing was sent")
        tx_hash = "0x" + bytes(signed.txn_hash).hex()
        self.journal.record_sent(batch.batch_id, tx_hash)
        try:
            receipt = self.chain.provider.send_transaction(signed)
        except (ContractLogicError, TransactionError) as exc:
            return self._refused(batch, exc)
        return self._confirm(batch, "sent", tx_hash, receipt)

    def _refused(self, batch: Batch, exc: Exception) -> Delivery:
        # Refused because an earlier transaction of ours got there first? Then it is done.
        if self.target.is_applied(batch):
            return self._confirm_from_chain(batch, "found on chain")
        reason = revert_reason(exc)
        self.journal.record_failed(batch.batch_id, reason)
        raise BatchFailed(batch.kind.value, batch.batch_id, reason) from exc

    def _confirm_from_chain(self, batch: Batch, how: str) -> Delivery:
        tx_hash = self.target.applying_transaction(batch)
        if tx_hash is None:
            raise JournalError(
                f"{batch.kind} batch {batch.batch_id} is applied on chain, but no log says by "
                "which transaction (is the manifest's deploy block right?)"
            )
        return self._confirm(batch, how, tx_hash, self.chain.provider.get_receipt(tx_hash))

    def _confirm(self, batch: Batch, how: str, tx_hash: str, receipt: Any) -> Delivery:
        block, gas_used = int(receipt.block_number), int(receipt.gas_used)
        with self.vault.transaction():
            self.journal.record_confirmed(batch.batch_id, tx_hash, block, gas_used)
            self.target.on_confirmed(batch, tx_hash, block)
        confirmed = self.journal.get(batch.batch_id)
        assert confirmed is not None
        return Delivery(confirmed, how, tx_hash, block, gas_used)

    def _node_knows(self, tx_hash: str) -> bool:
        try:
            return self.chain.provider.web3.eth.get_transaction(tx_hash) is not None
        except Exception:  # web3's TransactionNotFound, or a node that forgot everything
            return False


def _entry(kind: BatchKind, row: Any) -> JournalEntry:
    key, wallet, commitment, consent, tier, points = row
    if kind is BatchKind.ENROLL:
        return EnrollmentEntry(key, wallet, Commitment.from_hex(commitment), consent, tier)
    return CreditEntry(key, wallet, int(points))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
