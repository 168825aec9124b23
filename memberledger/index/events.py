"""Every event the two contracts emitted, and where it came from: the owner of
`index_events`, `index_transactions` and `index_blocks`.

An event is a row in compact columns (see `memberledger.index.decoding`), keyed by block and
log index; its transaction hash is kept once per transaction and its block's hash and time
once per block. The block hashes are also how the index notices a reorganisation: the hash
it stored for a block is compared with the node's.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from memberledger.errors import ChainIndexError
from memberledger.index.decoding import SLOTS, WALLET_SLOTS, Catalogue, DecodedEvent, EventSpec
from memberledger.index.schema import sorting
from memberledger.store.database import Database

#: An event name as it may stand in an insert's text (a Solidity identifier).
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
#: A range's rows, by event: (its spec, its rows as `EventSpec.make_row` makes them).
EventRows = dict[int, tuple[EventSpec, list[tuple[Any, ...]]]]
_READ_COLUMNS = "e.block, e.log_index, t.tx_hash, b.timestamp, e.contract, e.event, " + ", ".join(
    f"e.{slot}" for slot in SLOTS
)
#: The indexes on wallets, as the migrations make them: what a history and a fold read by.
#: A fresh index is filled without them (each costs a random insert per event) and they are
#: built at the end, by one sort each (`memberledger.index.follower`, "a fresh index").
WALLET_INDEXES = {
    "index_events_by_member": "CREATE INDEX index_events_by_member ON index_events "
    "(member, block, log_index)",
    "index_events_by_member2": "CREATE INDEX index_events_by_member2 ON index_events "
    "(member2, block, log_index) WHERE member2 IS NOT NULL",
}
#: Rows a fold of every wallet reads per query, from each of the two wallet columns.
FOLD_PAGE = 5_000
#: A wallet's events as a fold of every record reads them: after `member` or `member2`
#: (a transfer to oneself once, under `member`), with the block's time.
_BY_WALLET = (
    "SELECT e.{slot}, e.block, e.log_index, b.timestamp, e.contract, e.event, "
    + ", ".join(f"e.{slot}" for slot in SLOTS)
    + " FROM index_events e JOIN index_blocks b ON b.number = e.block "
    "WHERE e.{slot} IS NOT NULL{only} AND (e.{slot}, e.block, e.log_index) > (?, ?, ?) "
    "ORDER BY e.{slot}, e.block, e.log_index LIMIT ?"
)
_READ_FROM = (
    "FROM index_events e "
    "JOIN index_transactions t ON t.block = e.block AND t.tx_index = e.tx_index "
    "JOIN index_blocks b ON b.number = e.block"
)


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    timestamp: int


class StoredEvent(NamedTuple):
    """An event as the index keeps it, with its transaction hash and block time (a named
    tuple: a fresh index makes one per event when it folds every record at once)."""

    block: int
    log_index: int
    tx_hash: str
    timestamp: int
    spec: EventSpec
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def contract(self) -> str:
        return self.spec.contract_name

    def arguments(self) -> dict[str, Any]:
        return self.spec.arguments(self.values)


class EventLog:
    """The events, their transactions and their blocks, in the index's database."""

    def __init__(self, database: Database, catalogue: Catalogue) -> None:
        self._db = database
        self._catalogue = catalogue
        #: Insert statements by event signature and contract (`_insert_of`).
        self._inserts: dict[str, dict[int, str]] = {}

    # ------------------------------------------------------------------ writing

    @staticmethod
    def rows_of(events: Sequence[DecodedEvent]) -> EventRows:
        """The rows `add` stores for `events`, by event (made by the thread that decodes
        them, while this one writes: `memberledger.index.follower.read_ahead`). Each event
        is stored by a statement of its own that names only the columns it can fill: a
        `Transfer` binds 7 values instead of 17 NULL-padded ones (on the benchmark's 283,527
        events, 0.5 s of the writer's time instead of 1.2 s)."""
        rows: EventRows = {}
        for e in events:
            kept = rows.get(id(e.spec))
            if kept is None:
                kept = rows[id(e.spec)] = (e.spec, [])
            kept[1].append(e.spec.make_row(e.block, e.log_index, e.tx_index, e.values))
        return rows

    def add(
        self,
        events: Sequence[DecodedEvent],
        headers: Iterable[BlockHeader],
        rows: EventRows | None = None,
    ) -> None:
        """Store decoded events (their `rows_of`, when made already) and the headers of
        their blocks (joins the open transaction)."""
        for spec, made in (self.rows_of(events) if rows is None else rows).values():
            self._db.executemany(self._insert_of(spec), made)
        transactions = {(e.block, e.tx_index): e.tx_hash for e in events}
        self._db.executemany(
            "INSERT INTO index_transactions (block, tx_index, tx_hash) VALUES (?, ?, ?) "
            "ON CONFLICT (block, tx_index) DO NOTHING",
            [(block, index, tx_hash) for (block, index), tx_hash in transactions.items()],
        )
        self.add_blocks(headers)

    def add_blocks(self, headers: Iterable[BlockHeader]) -> None:
        self._db.executemany(
            "INSERT INTO index_blocks (number, hash, timestamp) VALUES (?, ?, ?) "
            "ON CONFLICT (number) DO UPDATE SET hash = excluded.hash, "
            "timestamp = excluded.timestamp",
            [(h.number, h.hash, h.timestamp) for h in headers],
        )

    def roll_back(self, after_block: int) -> set[str]:
        """Forget every event, transaction and block after `after_block`; the wallets those
        events were about (their records must be folded again)."""
        wallets: set[str] = set()
        for member, member2 in self._db.execute(
            "SELECT member, member2 FROM index_events WHERE block > ?", (after_block,)
        ):
            wallets.update(w for w in (member, member2) if w)
        self._db.execute("DELETE FROM index_events WHERE block > ?", (after_block,))
        self._db.execute("DELETE FROM index_transactions WHERE block > ?", (after_block,))
        self._db.execute("DELETE FROM index_blocks WHERE number > ?", (after_block,))
        return wallets

    def _insert_of(self, spec: EventSpec) -> str:
        """The statement that stores `spec`'s rows: its contract and name written in, its
        `stored_slots` bound."""
        statement = self._inserts.get(spec.signature, {}).get(spec.contract)
        if statement is None:
            if not _IDENTIFIER.fullmatch(spec.name):
                raise ChainIndexError(f"event {spec.name!r}: not a name the index can store")
            columns = ", ".join(["block", "log_index", "tx_index", "contract", "event"])
            columns += "".join(f", {SLOTS[slot]}" for slot in spec.stored_slots)
            bound = "".join(", ?" for _ in spec.stored_slots)
            statement = (
                f"INSERT INTO index_events ({columns}) "
                f"VALUES (?, ?, ?, {int(spec.contract)}, '{spec.name}'{bound})"
            )
            self._inserts.setdefault(spec.signature, {})[spec.contract] = statement
        return statement

    def drop_wallet_indexes(self) -> None:
        for name in WALLET_INDEXES:
            self._db.execute(f"DROP INDEX IF EXISTS {name}")

    def create_wallet_indexes(self) -> None:
        """Build the wallet indexes the migrations made (none may exist), with a small page
        cache (`sorting`)."""
        with sorting(self._db):
            for statement in WALLET_INDEXES.values():
                self._db.execute(statement)

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_events")
        self._db.execute("DELETE FROM index_transactions")
        self._db.execute("DELETE FROM index_blocks")

    # ------------------------------------------------------------------ reading

    def of_wallet(self, wallet: str) -> list[StoredEvent]:
        """Every event about `wallet`, oldest first (a transfer to oneself once)."""
        wallet = wallet.lower()
        rows = self._db.rows(
            f"SELECT {_READ_COLUMNS} {_READ_FROM} WHERE e.member = ? "
            f"UNION ALL SELECT {_READ_COLUMNS} {_READ_FROM} "
            "WHERE e.member2 = ? AND (e.member IS NULL OR e.member <> ?) "
            "ORDER BY 1, 2",
            (wallet, wallet, wallet),
        )
        return [event for row in rows if (event := self._stored(row)) is not None]

    def in_transaction(self, block: int, tx_hash: str) -> list[StoredEvent]:
        """Every event transaction `tx_hash` (in `block`) emitted, in log order: a credit's
        `BatchCredited` names no member, so a member's mint finds its batch this way."""
        rows = self._db.rows(
            f"SELECT {_READ_COLUMNS} {_READ_FROM} WHERE e.block = ? AND t.tx_hash = ? "
            "ORDER BY e.log_index",
            (block, tx_hash),
        )
        return [event for row in rows if (event := self._stored(row)) is not None]

    def after(self, block: int, chunk: int = 10_000) -> Iterator[StoredEvent]:
        """Every event after `block`, oldest first, read a chunk at a time (what a roll-back
        takes away, for the figures kept from them)."""
        at = (block + 1, -1)
        while rows := self._db.rows(
            f"SELECT {_READ_COLUMNS} {_READ_FROM} "
            "WHERE e.block > ? OR (e.block = ? AND e.log_index > ?) "
            "ORDER BY e.block, e.log_index LIMIT ?",
            (at[0], at[0], at[1], chunk),
        ):
            at = (int(rows[-1][0]), int(rows[-1][1]))
            yield from (event for row in rows if (event := self._stored(row)) is not None)

    def of_wallets(self, wallets: Iterable[str]) -> Iterator[tuple[str, list[StoredEvent]]]:
        """Each wallet with its events (for folding records again after a roll-back)."""
        for wallet in wallets:
            yield wallet, self.of_wallet(wallet)

    def by_wallet(self) -> Iterator[tuple[str, list[StoredEvent]]]:
        """Every wallet with its events, oldest first, in wallet order, read a page at a
        time through the wallet indexes: what folding every record at once reads. The
        events carry no transaction hash (a fold needs none)."""
        streams = [self._in_wallet_order(slot) for slot in WALLET_SLOTS]
        merged = heapq.merge(*streams, key=lambda item: (item[0], item[1].block, item[1].log_index))
        for wallet, items in itertools.groupby(merged, key=lambda item: item[0]):
            yield wallet, [event for _, event in items]

    def _in_wallet_order(self, slot: str) -> Iterator[tuple[str, StoredEvent]]:
        only = " AND e.member2 <> e.member" if slot == "member2" else ""
        query = _BY_WALLET.format(slot=slot, only=only)
        specs = self._catalogue.by_names()
        after: tuple[Any, ...] = ("", -1, -1)
        while rows := self._db.rows(query, (*after, FOLD_PAGE)):
            after = tuple(rows[-1][:3])
            for wallet, block, log_index, timestamp, contract, name, *slots in rows:
                spec = specs.get((int(contract), str(name)))
                if spec is not None:
                    values = spec.values_from(slots)
                    event = StoredEvent(
                        int(block), int(log_index), "", int(timestamp), spec, values
                    )
                    yield str(wallet), event

    def blocks_down_from(self, block: int, limit: int) -> list[tuple[int, str]]:
        """(number, hash) of the stored blocks at or below `block`, newest first."""
        rows = self._db.rows(
            "SELECT number, hash FROM index_blocks WHERE number <= ? ORDER BY number DESC LIMIT ?",
            (block, limit),
        )
        return [(int(number), str(block_hash)) for number, block_hash in rows]

    def block_hash(self, number: int) -> str | None:
        row = self._db.execute(
            "SELECT hash FROM index_blocks WHERE number = ?", (number,)
        ).fetchone()
        return str(row[0]) if row else None

    def last_block(self) -> int:
        """The block of the newest event (-1 when there is none)."""
        (block,) = self._db.execute("SELECT MAX(block) FROM index_events").fetchone()
        return -1 if block is None else int(block)

    def count(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM index_events").fetchone()
        return int(count)

    def _stored(self, row: Sequence[Any]) -> StoredEvent | None:
        block, log_index, tx_hash, timestamp, contract, name, *slots = row
        spec = self._catalogue.by_name(int(contract), str(name))
        if spec is None:  # not in today's ABIs: the index is rebuilt when they change
            return None
        values = spec.values_from(slots)
        return StoredEvent(int(block), int(log_index), str(tx_hash), int(timestamp), spec, values)
