"""Bringing the index up to date with the chain, safe against reorganisations.

A catch-up:
1. checks that the last block read is still the node's block of that number (its hash). If
   not, the chain reorganised: the index walks back through the hashes it stored until one
   still matches, and rolls everything after it back (events, redemptions, rules; the
   records those events were about are folded again from what remains). A reorganisation
   that reaches below the final block, one with the confirmations asked for, is deeper than
   expected: it is rolled back all the same and reported as such;
2. reads both contracts' logs from the next block to the head, in ranges that adapt to what
   the provider allows (`memberledger.chain.logs.LogReader`) and that stay near
   `RANGE_LOGS` logs on a node that allows anything;
3. checks each range against the node's block headers (a log whose block hash is not the
   node's, or a block gone, means the chain moved while it was read: the catch-up starts
   over from step 1), and stores the range and the new position in one transaction, so an
   index stopped at any moment is consistent and the next catch-up carries on.

A fresh index (no event stored yet) is filled first and folded at the end: while it is
being filled the cursor says `deferred`, the indexes on wallets (events by member, records
by state) are dropped and no record is folded; once the head is reached, the indexes are
built and every wallet's record is folded from its events, in wallet order, in one
transaction. Kept up event by event, each of those indexes costs a random insert per event
(the benchmark's 283,527 events of 100,000 members: 4.3 s stored with them, 1.4 s without
them and 0.3 s to build them after) and each range loads and writes back the records it
touches; folded at the end, every record is written once (at 300,000 members, 32,500 events
a second against 30,400 folding range by range). A catch-up stopped half-way (`stop`, a
reorg, the process killed) carries on deferred, and the records are folded when it ends.

Blocks above (head - confirmations + 1) are provisional: they are in the index (a member
enrolled a second ago shows), and their hashes are checked at every catch-up. Rolling them
back unconditionally at every catch-up, and reading them again, would cost a read command the
last blocks' logs every time (on the benchmark's chain, tens of thousands of logs a block);
checking the newest hash costs one request, and a hash that changed rolls them back exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from queue import Empty, Full, Queue
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from memberledger.chain.logs import BlockChanged, LogRange, LogReader
from memberledger.chain.rpc import NodeClient
from memberledger.errors import ChainIndexError
from memberledger.index.cursor import Cursor, Position
from memberledger.index.decoding import Catalogue, DecodedEvent
from memberledger.index.events import BlockHeader, EventLog, EventRows
from memberledger.index.members import MemberIndex
from memberledger.index.redemptions import RedemptionLog
from memberledger.index.rules import RuleBook, changes_in
from memberledger.index.weekly import WeeklyFigures
from memberledger.store.database import Database

#: Logs per `eth_getLogs` answer the reader aims at on a node without limits: about 15 MB of
#: JSON, parsed and stored in well under a second.
RANGE_LOGS = 20_000
#: Blocks asked for at first: doubled after every answer under half of `RANGE_LOGS`, so a
#: sparse chain is soon read 100,000 blocks at a time, and a dense one never gets a first
#: answer of a million logs.
FIRST_SPAN = 1
#: Blocks that used more gas than this are read a few receipts at a time (a 1G-gas block of
#: the benchmark holds 76,000 of our logs; Ethereum's blocks hold at most about 36M gas).
DENSE_GAS = 60_000_000
#: Stored block hashes compared with the node's per request while looking for where a
#: reorganisation forked.
WALK_BACK = 64
#: Times a catch-up starts over because the chain moved while it was read.
ATTEMPTS = 5


@dataclass(frozen=True)
class Reorganisation:
    """The chain the index had read is no longer the node's after `fork_block`."""

    fork_block: int
    rolled_back: int
    deeper_than_confirmations: bool
    refolded: int


@dataclass(frozen=True)
class CatchUp:
    """What one catch-up did."""

    first_block: int
    read_block: int
    final_block: int
    head: int
    events: int
    seconds: float
    reorganisations: tuple[Reorganisation, ...] = ()
    rebuilt: str | None = None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


#: Hears each stored range: (blocks read so far, blocks to read in all, events so far).
OnRange = Callable[[int, int, int], None]


class _ChainMoved(Exception):
    """The node's chain changed while a range was read; start over."""


class Follower:
    """Catches the index's tables up with the chain, for one deployment."""

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        node: NodeClient,
        origin: Position,
        *,
        reader: LogReader | None = None,
    ) -> None:
        self._db = database
        self._catalogue = catalogue
        self._node = node
        self._origin = origin
        # The reader works in a thread of its own (`read_ahead`): it gets a client of its own.
        self.reader = reader or LogReader(
            node.clone(),
            first_span=FIRST_SPAN,
            max_logs=RANGE_LOGS,
            grow_after=1,
            dense_gas=DENSE_GAS,
        )
        # Block headers are asked for by the thread that decodes (`read_ahead`): its own too.
        self._header_node = node.clone()
        #: The header of the dense block whose pieces are being read (`_headers`).
        self._dense_header: BlockHeader | None = None
        self.cursor = Cursor(database)
        self.events = EventLog(database, catalogue)
        self.members = MemberIndex(database)
        self.redemptions = RedemptionLog(database)
        self.rules = RuleBook(database)
        self.weekly = WeeklyFigures(database)

    # ------------------------------------------------------------------ catching up

    def catch_up(
        self,
        confirmations: int,
        on_range: OnRange | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> CatchUp:
        """Read the chain up to its head; see the module's docstring. `stop` is asked after
        each range stored: True ends the catch-up there (the index is consistent)."""
        if confirmations < 1:
            raise ValueError("confirmations count the block itself: at least 1")
        started = time.perf_counter()
        rebuilt = self._start()
        reorganisations: list[Reorganisation] = []
        first = events = 0
        for _ in range(ATTEMPTS):
            self._discard_unfinished()
            reorganisation = self._check_fork()
            if reorganisation is not None:
                reorganisations.append(reorganisation)
            position = self._position()
            first = position.read_block + 1
            head = self._node.block_number()
            if first <= head and not position.deferred and self.events.last_block() < 0:
                position = self._defer(position)
            try:
                events = self._read(position, head, confirmations, on_range, stop)
            except (_ChainMoved, BlockChanged):
                continue
            if self._position().deferred:
                self._finish_deferred()
            position = self._position()
            return CatchUp(
                first_block=first,
                read_block=position.read_block,
                final_block=position.final_block,
                head=head,
                events=events,
                seconds=time.perf_counter() - started,
                reorganisations=tuple(reorganisations),
                rebuilt=rebuilt,
            )
        raise ChainIndexError(
            f"the chain kept changing while it was read ({ATTEMPTS} attempts): try again"
        )

    def clear(self) -> None:
        """Forget everything: the next catch-up reads the chain from the deploy block."""
        with self._db.transaction():
            for table in (
                self.events,
                self.members,
                self.redemptions,
                self.rules,
                self.weekly,
                self.cursor,
            ):
                table.clear()
            # An index whose filling stopped half-way lacks these: build them (empty) again.
            self.events.drop_wallet_indexes()
            self.events.create_wallet_indexes()
            self.members.drop_state_index()
            self.members.create_state_index()

    # ------------------------------------------------------------------ steps

    def _start(self) -> str | None:
        """Make sure the index is this deployment's, under these ABIs; say why if it is
        started afresh."""
        position = self.cursor.get()
        if position is not None and position.follows(self._origin):
            return None
        reason = (
            None
            if position is None
            else "it was built for another deployment or other contract events"
        )
        self.clear()
        with self._db.transaction():
            self.cursor.put(self._origin)
        return reason

    def _position(self) -> Position:
        position = self.cursor.get()
        assert position is not None
        return position

    def _discard_unfinished(self) -> None:
        """Rows after the last block read: the pieces of a dense block whose reading stopped
        half-way (the process was killed, the chain moved). They are read again."""
        position = self._position()
        if self.events.last_block() > position.read_block:
            with self._db.transaction():
                self._roll_back(position.read_block)

    def _check_fork(self) -> Reorganisation | None:
        position = self._position()
        if position.read_block < position.deploy_block:
            return None
        (found,) = self._node.headers([position.read_block])
        if found is not None and found[0] == position.read_hash:
            return None
        fork = self._find_fork(position.read_block)
        with self._db.transaction():
            refolded = self._roll_back(fork)
            self.cursor.put(
                replace(
                    position,
                    read_block=fork,
                    read_hash=self.events.block_hash(fork),
                    final_block=min(position.final_block, fork),
                )
            )
        return Reorganisation(
            fork_block=fork,
            rolled_back=position.read_block - fork,
            deeper_than_confirmations=fork < position.final_block,
            refolded=refolded,
        )

    def _find_fork(self, below: int) -> int:
        """The newest stored block the node still has, with the same hash (the deploy block
        minus one if none: everything is read again)."""
        start = below
        while stored := self.events.blocks_down_from(start, WALK_BACK):
            found = self._node.headers([number for number, _ in stored])
            for (number, block_hash), header in zip(stored, found, strict=True):
                if header is not None and header[0] == block_hash:
                    return number
            start = stored[-1][0] - 1
        return self._origin.deploy_block - 1

    def _roll_back(self, fork: int) -> int:
        self.weekly.subtract((e.spec, e.values, e.timestamp) for e in self.events.after(fork))
        wallets = self.events.roll_back(fork)
        self.redemptions.roll_back(fork)
        self.rules.roll_back(fork)
        if self._position().deferred:
            return 0  # no record folded yet: they all will be, from what remains
        timeline = self.rules.policy_timeline()
        return self.members.refold(
            self.events.of_wallets(sorted(wallets)), timeline, self.events.of_wallet
        )

    def _defer(self, position: Position) -> Position:
        """A fresh index: fill it first, then fold every record and build the wallet indexes
        once, at the end (see the module's docstring)."""
        deferred = replace(position, deferred=True)
        with self._db.transaction():
            self.events.drop_wallet_indexes()
            self.members.drop_state_index()
            self.cursor.put(deferred)
        return deferred

    def _finish_deferred(self) -> None:
        """Build the wallet indexes and fold every record, in one transaction: a process
        stopped during it leaves the index deferred, and the next catch-up does it again."""
        with self._db.transaction():
            self.events.create_wallet_indexes()
            timeline = self.rules.policy_timeline()
            self.members.fold_all(self.events.by_wallet(), timeline)
            self.cursor.put(replace(self._position(), deferred=False))

    def _read(
        self,
        position: Position,
        head: int,
        confirmations: int,
        on_range: OnRange | None,
        stop: Callable[[], bool] | None,
    ) -> int:
        first = position.read_block + 1
        final_at_most = head - confirmations + 1
        if first > head:
            return 0
        timeline = self.rules.policy_timeline()
        events = 0
        self._dense_header = None
        ranges = self.reader.read(self._catalogue.addresses, [], first, head)
        with read_ahead(ranges, self._catalogue, self._headers) as prepared:
            for span, decoded, headers, rows in prepared:
                timestamps = {header.number: header.timestamp for header in headers}
                changes = changes_in(decoded)
                timeline.extend(changes)
                with self._db.transaction():
                    self.rules.add(changes)
                    self.events.add(decoded, headers, rows)
                    self.redemptions.add(decoded, timestamps)
                    if not position.deferred:
                        self.members.apply(decoded, timestamps, timeline)
                    self.weekly.add((e.spec, e.values, timestamps[e.block]) for e in decoded)
                    if not span.partial:  # a dense block's pieces: read once all are in
                        position = replace(
                            position,
                            read_block=span.last,
                            read_hash=_hash_of(headers, span.last),
                            final_block=max(position.final_block, min(span.last, final_at_most)),
                        )
                        self.cursor.put(position)
                events += len(decoded)
                if on_range is not None:
                    on_range(span.last - first + 1, head - first + 1, events)
                if stop is not None and not span.partial and stop():
                    break
        return events

    def _headers(self, span: Span, decoded: Sequence[DecodedEvent]) -> list[BlockHeader]:
        """The headers of the range's blocks with events, and of its last block; raises
        `_ChainMoved` when a log's block is not the node's any more. Asked by the thread that
        decodes (`read_ahead`), through a client of its own.

        The pieces of a dense block share its header: asked for once, with the first piece
        (the reader checks every piece's receipts against the block's hash, and raises
        `BlockChanged` when they differ)."""
        numbers = sorted({event.block for event in decoded} | {span.last})
        known = self._dense_header
        if known is not None and numbers == [known.number]:
            headers = [known]
        else:
            found = self._header_node.headers(numbers)
            headers = []
            for number, header in zip(numbers, found, strict=True):
                if header is None:
                    raise _ChainMoved(number)
                headers.append(BlockHeader(number, header[0], header[1]))
        self._dense_header = headers[-1] if span.partial else None
        hashes = {header.number: header.hash for header in headers}
        if any(hashes[event.block] != event.block_hash for event in decoded):
            raise _ChainMoved(span.first)
        return headers


@dataclass(frozen=True)
class Span:
    """The blocks a range covered (its logs decoded and gone); `partial`: a piece of a dense
    block, more of it to come."""

    first: int
    last: int
    partial: bool = False


#: A range made ready to store: its span, its events, their blocks' headers, their rows.
Prepared = tuple[Span, list[DecodedEvent], list[BlockHeader], EventRows]
#: What one stage hands the next: ("range", item), ("end", None) or ("error", exception).
_Handed = tuple[str, Any]


@contextmanager
def read_ahead(
    ranges: Iterator[LogRange],
    catalogue: Catalogue,
    headers_of: Callable[[Span, list[DecodedEvent]], list[BlockHeader]],
) -> Iterator[Iterator[Prepared]]:
    """The ranges made ready by two threads of their own, ahead of the caller: one asks the
    node for the next range (the node prepares it on the other core while the thread waits
    without holding the interpreter); one decodes the range before it, checks it against its
    blocks' headers (`headers_of`) and turns it into rows; the caller stores the one before
    that (SQLite releases the interpreter while it works). A range's JSON is dropped as soon
    as it is decoded. (Asked for by the caller, the headers took about 1 s of a 12 s catch-up
    of the benchmark's chain of 100,000 members.)"""
    fetched: Queue[_Handed] = Queue(maxsize=1)
    ready: Queue[_Handed] = Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(queue: Queue[_Handed], item: _Handed) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def take(queue: Queue[_Handed]) -> _Handed | None:
        while not stop.is_set():
            try:
                return queue.get(timeout=0.1)
            except Empty:
                continue
        return None

    def fetch() -> None:
        try:
            for chunk in ranges:
                if not hand_over(fetched, ("range", chunk)):
                    return
            hand_over(fetched, ("end", None))
        except BaseException as exc:  # handed on, raised in the caller
            hand_over(fetched, ("error", exc))

    def prepare() -> None:
        try:
            while (item := take(fetched)) is not None:
                kind, chunk = item
                if kind != "range":
                    hand_over(ready, item)
                    return
                decoded = [e for log in chunk.logs if (e := catalogue.decode(log)) is not None]
                chunk.logs.clear()
                span = Span(chunk.first, chunk.last, chunk.partial)
                made = (span, decoded, headers_of(span, decoded), EventLog.rows_of(decoded))
                if not hand_over(ready, ("range", made)):
                    return
        except BaseException as exc:
            hand_over(ready, ("error", exc))

    def taken() -> Iterator[Prepared]:
        while True:
            kind, item = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item

    threads = [
        threading.Thread(target=fetch, name="index-fetch", daemon=True),
        threading.Thread(target=prepare, name="index-prepare", daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield taken()
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _hash_of(headers: Sequence[BlockHeader], number: int) -> str:
    for header in headers:
        if header.number == number:
            return header.hash
    raise KeyError(number)


# ---------------------------------------------------------------------- progress


class _EventRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        rate = task.fields.get("rate")
        return Text("" if not rate else f"{rate:,.0f} events/s")


@contextmanager
def catch_up_progress(console: Console, *, after: float = 0.5) -> Iterator[OnRange]:
    """A bar of blocks read, with events a second and time left, shown once a catch-up has
    taken longer than `after` seconds (a catch-up of a few blocks prints nothing)."""
    started = time.perf_counter()
    progress: Progress | None = None
    task = None

    def on_range(done: int, total: int, events: int) -> None:
        nonlocal progress, task
        elapsed = time.perf_counter() - started
        if progress is None:
            if elapsed < after or done >= total:
                return
            progress = Progress(
                TextColumn("[bold]indexing the chain"),
                BarColumn(),
                TextColumn("{task.completed:,} of {task.total:,} blocks"),
                _EventRate(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            progress.start()
            task = progress.add_task("index", total=total)
        assert task is not None
        progress.update(task, completed=done, total=total, rate=events / max(elapsed, 1e-9))

    try:
        yield on_range
    finally:
        if progress is not None:
            progress.stop()
