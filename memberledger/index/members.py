"""Each wallet's record as the events left it: the owner of `index_members`.

The registry keeps a member's record in one storage slot and says every change of it in an
event; the points token says every movement of points in a `Transfer`. Folding a wallet's
events in order gives what the contracts hold for it: status, tier, consent and the policy
version it was given against, commitment, enrollment time, and the points balance, with what
was credited, redeemed and forfeited. `ape run index verify` checks the fold against the
contracts' storage.

The fold is one function used two ways: forwards, a range of events at a time, while the
index catches up (records are loaded for the range's wallets, folded in memory, written
back in one statement); and from scratch, for the wallets whose events a reorganisation
took away.

Points are summed in database integers (64 bits): a total beyond 2^63 - 1 points stops the
index with an error naming the wallet, rather than being stored wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from memberledger.errors import ChainIndexError
from memberledger.index.decoding import CONTRACTS, ZERO_WALLET, DecodedEvent, EventSpec
from memberledger.index.events import StoredEvent
from memberledger.index.schema import sorting
from memberledger.store.database import Database

REGISTRY, POINTS = CONTRACTS.index("registry"), CONTRACTS.index("points")

#: `IMembershipRegistry.Status`: None, Active, Suspended, Revoked, Erased (and Moved, when
#: the registry has it).
NONE, ACTIVE, SUSPENDED, REVOKED, ERASED, MOVED = range(6)
#: The largest number a database integer holds.
LARGEST = (1 << 63) - 1
#: Wallets per `IN (...)` list (SQLite's older builds allow 999 parameters).
CHUNK = 500


@dataclass(slots=True)
class IndexedMember:
    """A wallet's record in the index (all zero for a wallet only ever sent points)."""

    wallet: str
    status: int = NONE
    tier: int = 0
    consent: int = 0
    policy_version: int = 0
    commitment: str | None = None
    since: int = 0
    moved_to: str | None = None
    balance: int = 0
    credited: int = 0
    redeemed: int = 0
    forfeited: int = 0
    first_block: int = -1
    updated_block: int = -1


_COLUMNS = tuple(f.name for f in fields(IndexedMember))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM index_members"
_UPSERT = (
    f"INSERT INTO index_members ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (wallet) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])
)
#: The index on status, tier and consent, as the migration makes it (a fresh index builds it
#: after folding every record: `fold_all`).
STATE_INDEX = "CREATE INDEX index_members_by_state ON index_members (status, tier, consent)"
#: Records written per statement when every record is folded at once.
FOLD_WRITE = 10_000
#: A record whose membership did not change, only its points: the index on status, tier
#: and consent is left alone (a million credits are a million of these).
_UPDATE_POINTS = (
    "UPDATE index_members SET balance = ?, credited = ?, redeemed = ?, forfeited = ?, "
    "updated_block = ? WHERE wallet = ?"
)


@dataclass(frozen=True)
class StateCount:
    """How many records have this status, tier and consent."""

    status: int
    tier: int
    consent: int
    members: int


@dataclass(frozen=True)
class PointTotals:
    credited: int
    redeemed: int
    forfeited: int
    outstanding: int


class Records(dict[str, IndexedMember]):
    """Records by wallet; a wallet not seen before gets a blank record. `stored` keeps the
    membership fields of the records as they were loaded, to tell what changed."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[str, tuple[object, ...]] = {}

    def __missing__(self, wallet: str) -> IndexedMember:
        record = self[wallet] = IndexedMember(wallet)
        return record


#: What one event does to the records it is about.
Fold = Callable[[Records, EventSpec, Sequence[Any], int, int, int], None]
#: The policy version in force at (block, log index): a member enrolled then agreed to it.
PolicyAt = Callable[[int, int], int]
#: An event folded as it is read from the chain, or as the index stored it.
_Event = TypeVar("_Event", DecodedEvent, StoredEvent)


class MemberIndex:
    """The records of every wallet the contracts' events name."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------------ writing

    def apply(
        self, events: Sequence[DecodedEvent], timestamps: Mapping[int, int], policy_at: PolicyAt
    ) -> int:
        """Fold a range of events (oldest first) into the records they are about; returns
        how many records changed. Joins the open transaction."""
        wanted = {
            wallet
            for event in events
            if (event.spec.contract, event.spec.name) in _FOLDS
            for wallet in event.spec.wallets(event.values)
        }
        records = self._load(wanted)
        _fold_into(records, events, lambda event: timestamps[event.block], policy_at)
        points_only = [
            record
            for wallet, record in records.items()
            if records.stored.get(wallet) == _membership(record)
        ]
        self._db.executemany(
            _UPDATE_POINTS,
            [
                (r.balance, r.credited, r.redeemed, r.forfeited, r.updated_block, r.wallet)
                for r in _checked(points_only)
            ],
        )
        unchanged = {record.wallet for record in points_only}
        self._save(record for wallet, record in records.items() if wallet not in unchanged)
        return len(records)

    def refold(
        self,
        wallet_events: Iterable[tuple[str, Sequence[StoredEvent]]],
        policy_at: PolicyAt,
        events_of: Callable[[str], Sequence[StoredEvent]],
    ) -> int:
        """Fold each wallet's events again from scratch (after a roll-back took some of them
        away); a wallet with no events left loses its record. A wallet a membership moved
        to or from is folded together with the other wallets of its moves (their events
        from `events_of`). Returns the records kept."""
        kept: list[IndexedMember] = []
        gone: list[tuple[str]] = []
        moving: dict[str, Sequence[StoredEvent]] = {}
        for wallet, events in wallet_events:
            if _moves(events):
                moving[wallet] = events
                continue
            record = _folded(wallet, events, policy_at)
            if record is not None:
                kept.append(record)
            else:
                gone.append((wallet,))
        todo = list(moving)
        while todo:  # the other wallets of their moves, and of those wallets' moves
            for event in moving[todo.pop()]:
                if (event.spec.contract, event.spec.name) == _MOVED:
                    for other in event.spec.wallets(event.values):
                        if other not in moving:
                            moving[other] = events_of(other)
                            todo.append(other)
        for wallet, folded in _folded_together(moving, policy_at).items():
            if folded is not None:
                kept.append(folded)
            else:
                gone.append((wallet,))
        self._db.executemany("DELETE FROM index_members WHERE wallet = ?", gone)
        self._save(kept)
        return len(kept)

    def fold_all(
        self, wallet_events: Iterable[tuple[str, Sequence[StoredEvent]]], policy_at: PolicyAt
    ) -> int:
        """Fold every wallet's events (given in wallet order) into a table with no record
        yet: a fresh index, filled first (`memberledger.index.follower`). The records are
        written in key order, a page at a time, and the index on state is built after them.
        Returns the records written. Joins the open transaction."""
        self.drop_state_index()
        written = 0
        page: list[IndexedMember] = []
        moving: dict[str, Sequence[StoredEvent]] = {}
        for wallet, events in wallet_events:
            if _moves(events):
                moving[wallet] = events  # folded with the other wallets of its moves, below
                continue
            record = _folded(wallet, events, policy_at)
            if record is not None:
                page.append(record)
            if len(page) >= FOLD_WRITE:
                self._save(page)
                written += len(page)
                page = []
        self._save(page)
        written += len(page)
        moved = [r for r in _folded_together(moving, policy_at).values() if r is not None]
        self._save(moved)
        self.create_state_index()
        return written + len(moved)

    def drop_state_index(self) -> None:
        self._db.execute("DROP INDEX IF EXISTS index_members_by_state")

    def create_state_index(self) -> None:
        """Build the index on state the migrations made (it may not exist), with a small
        page cache (`sorting`)."""
        with sorting(self._db):
            self._db.execute(STATE_INDEX)

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_members")

    # ------------------------------------------------------------------ reading

    def get(self, wallet: str) -> IndexedMember | None:
        row = self._db.execute(f"{_SELECT} WHERE wallet = ?", (wallet.lower(),)).fetchone()
        return IndexedMember(*row) if row else None

    def state_counts(self) -> list[StateCount]:
        """Records by status, tier and consent (one pass over an index of those columns)."""
        rows = self._db.rows(
            "SELECT status, tier, consent, COUNT(*) FROM index_members "
            "GROUP BY status, tier, consent"
        )
        return [StateCount(int(s), int(t), int(c), int(n)) for s, t, c, n in rows]

    def point_totals(self) -> PointTotals:
        row = self._db.execute(
            "SELECT COALESCE(SUM(credited), 0), COALESCE(SUM(redeemed), 0), "
            "COALESCE(SUM(forfeited), 0), COALESCE(SUM(balance), 0) FROM index_members"
        ).fetchone()
        return PointTotals(*(int(value) for value in row))

    def count(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM index_members").fetchone()
        return int(count)

    def iter_all(self, chunk: int = 4_000) -> Iterator[list[IndexedMember]]:
        """Every record, a chunk at a time, in wallet order."""
        after = ""
        while rows := self._db.rows(
            f"{_SELECT} WHERE wallet > ? ORDER BY wallet LIMIT ?", (after, chunk)
        ):
            after = rows[-1][0]
            yield [IndexedMember(*row) for row in rows]

    def at_or_after(self, wallets: Iterable[str]) -> list[IndexedMember]:
        """For each of `wallets` (any addresses), the first record at or after it in wallet
        order that no earlier one of `wallets` took (past the last wallet: from the first): a
        uniform sample of distinct records when the addresses are random, since wallets are
        hashes, as many as `wallets` while the index has that many."""
        found: dict[str, IndexedMember] = {}
        for wallet in wallets:
            taken = len(found) + 1  # enough rows for one that is not taken yet
            for query, parameters in (
                (f"{_SELECT} WHERE wallet >= ? ORDER BY wallet LIMIT ?", (wallet.lower(), taken)),
                (f"{_SELECT} ORDER BY wallet LIMIT ?", (taken,)),
            ):
                row = next(
                    (r for r in self._db.execute(query, parameters) if r[0] not in found), None
                )
                if row is not None:
                    found[row[0]] = IndexedMember(*row)
                    break
        return list(found.values())

    # ------------------------------------------------------------------ internals

    def _load(self, wallets: set[str]) -> Records:
        records = Records()
        ordered = sorted(wallets)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            rows = self._db.rows(
                f"{_SELECT} WHERE wallet IN ({', '.join('?' for _ in chunk)})", chunk
            )
            for row in rows:
                record = records[row[0]] = IndexedMember(*row)
                records.stored[row[0]] = _membership(record)
        return records

    def _save(self, records: Iterable[IndexedMember]) -> None:
        rows = []
        for record in _checked(records):
            rows.append(
                (
                    record.wallet,
                    record.status,
                    record.tier,
                    record.consent,
                    record.policy_version,
                    record.commitment,
                    record.since,
                    record.moved_to,
                    record.balance,
                    record.credited,
                    record.redeemed,
                    record.forfeited,
                    record.first_block,
                    record.updated_block,
                )
            )
        self._db.executemany(_UPSERT, rows)


def _folded(
    wallet: str, events: Iterable[StoredEvent], policy_at: PolicyAt
) -> IndexedMember | None:
    """`wallet`'s record folded from scratch from all its events, oldest first (None: no
    event left that makes one)."""
    return _folded_records(events, policy_at).get(wallet)


def _folded_records(events: Iterable[StoredEvent], policy_at: PolicyAt) -> Records:
    """The records `events` (oldest first) make, from none."""
    records = Records()
    _fold_into(records, events, lambda event: event.timestamp, policy_at)
    return records


def _fold_into(
    records: Records,
    events: Iterable[_Event],
    timestamp_of: Callable[[_Event], int],
    policy_at: PolicyAt,
) -> None:
    """Fold `events` (oldest first) into `records`, each by its fold (`_FOLDS`; the events
    that change no record are passed over), at its block's time `timestamp_of(event)`."""
    for event in events:
        fold = _FOLDS.get((event.spec.contract, event.spec.name))
        if fold is not None:
            fold(
                records,
                event.spec,
                event.values,
                event.block,
                timestamp_of(event),
                policy_at(event.block, event.log_index),
            )


def _moves(events: Iterable[StoredEvent]) -> bool:
    """Whether a membership moved to or from the wallet these events are about."""
    return any((e.spec.contract, e.spec.name) == _MOVED for e in events)


def _folded_together(
    wallet_events: Mapping[str, Sequence[StoredEvent]], policy_at: PolicyAt
) -> dict[str, IndexedMember | None]:
    """The records of wallets a membership moved between (None: no record), in wallet
    order, folded from all their events together in chain order: a move copies the old
    wallet's record to the new one as it was at that moment, so the new wallet's record
    cannot be folded from its own events alone. `wallet_events` must hold every wallet the
    moves in it name."""
    seen: set[tuple[int, int]] = set()
    merged = []
    for events in wallet_events.values():
        for event in events:
            if (event.block, event.log_index) not in seen:
                seen.add((event.block, event.log_index))
                merged.append(event)
    merged.sort(key=lambda event: (event.block, event.log_index))
    records = _folded_records(merged, policy_at)
    return {wallet: records.get(wallet) for wallet in sorted(wallet_events)}


def _membership(record: IndexedMember) -> tuple[object, ...]:
    """The fields of a record that are not points (those the index on state covers and
    the rest of the registry's record)."""
    return (
        record.status,
        record.tier,
        record.consent,
        record.policy_version,
        record.commitment,
        record.since,
        record.moved_to,
        record.first_block,
    )


def _checked(records: Iterable[IndexedMember]) -> Iterator[IndexedMember]:
    """The records, each checked to hold points a database integer can sum."""
    for record in records:
        if max(record.credited, record.redeemed, record.forfeited, abs(record.balance)) > LARGEST:
            raise ChainIndexError(
                f"wallet {record.wallet}: more points than the index can sum ({LARGEST:,}): "
                f"credited {record.credited:,}, redeemed {record.redeemed:,}, forfeited "
                f"{record.forfeited:,}, balance {record.balance:,}"
            )
        yield record


# ---------------------------------------------------------------------- the fold


def _touch(record: IndexedMember, block: int) -> IndexedMember:
    if record.first_block < 0:
        record.first_block = block
    record.updated_block = block
    return record


def _enrolled(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    # The registry writes a fresh record: commitment, tier, active, the current policy
    # version, the enrollment time. Consent is in the event on registries that say it there;
    # newer ones say it in a ConsentChanged of the same transaction (a re-enrollment keeps
    # what the member had, narrowed).
    record = _touch(records[spec.value(v, "member")], block)
    record.status = ACTIVE
    record.commitment = spec.value(v, "commitment")
    record.tier = spec.value(v, "tier")
    if spec.has("consent"):
        record.consent = spec.value(v, "consent")
    record.policy_version = policy
    record.since = time
    record.moved_to = None


def _rotated(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    _touch(records[spec.value(v, "member")], block).commitment = spec.value(v, "newCommitment")


def _tier(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    _touch(records[spec.value(v, "member")], block).tier = spec.value(v, "newTier")


def _consent(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    record = _touch(records[spec.value(v, "member")], block)
    record.consent = spec.value(v, "newFlags")
    record.policy_version = spec.value(v, "policyVersion")


def _status(status: int) -> Fold:
    def fold(
        records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
    ) -> None:
        _touch(records[spec.value(v, "member")], block).status = status

    return fold


def _erased(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    # Only the tombstone stays: status Erased and the enrollment time.
    record = _touch(records[spec.value(v, "member")], block)
    record.status = ERASED
    record.commitment = None
    record.consent = 0
    record.tier = 0
    record.policy_version = 0


def _moved(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    # The registry copies the whole record to the new wallet and leaves a tombstone with
    # status Moved and the enrollment time (`completeMove`); points follow by a Transfer
    # (`carryOver`), which the Transfer fold counts.
    old = _touch(records[spec.value(v, "old")], block)
    new = _touch(records[spec.value(v, "newWallet")], block)
    new.status, new.tier, new.consent = old.status, old.tier, old.consent
    new.policy_version, new.commitment, new.since = old.policy_version, old.commitment, old.since
    new.moved_to = None
    old.status = MOVED
    old.commitment = None
    old.consent = 0
    old.tier = 0
    old.policy_version = 0
    old.moved_to = spec.value(v, "newWallet")


def _transfer(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    sender, receiver = spec.value(v, "from"), spec.value(v, "to")
    value = spec.value(v, "value")
    if sender != ZERO_WALLET:
        _touch(records[sender], block).balance -= value
    if receiver != ZERO_WALLET:
        record = _touch(records[receiver], block)
        record.balance += value
        if sender == ZERO_WALLET:
            record.credited += value


def _redeemed(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    _touch(records[spec.value(v, "member")], block).redeemed += spec.value(v, "cost")


def _forfeited(
    records: Records, spec: EventSpec, v: Sequence[Any], block: int, time: int, policy: int
) -> None:
    _touch(records[spec.value(v, "member")], block).forfeited += spec.value(v, "amount")


_FOLDS: dict[tuple[int, str], Fold] = {
    (REGISTRY, "MemberEnrolled"): _enrolled,
    (REGISTRY, "CommitmentRotated"): _rotated,
    (REGISTRY, "TierChanged"): _tier,
    (REGISTRY, "ConsentChanged"): _consent,
    (REGISTRY, "MemberSuspended"): _status(SUSPENDED),
    (REGISTRY, "MemberReinstated"): _status(ACTIVE),
    (REGISTRY, "MemberRevoked"): _status(REVOKED),
    (REGISTRY, "MemberLeft"): _status(REVOKED),
    (REGISTRY, "MemberErased"): _erased,
    (REGISTRY, "MemberMoved"): _moved,
    (POINTS, "Transfer"): _transfer,
    (POINTS, "Redeemed"): _redeemed,
    (POINTS, "PointsForfeited"): _forfeited,
}
_MOVED = (REGISTRY, "MemberMoved")
#: The events that change a record, by contract: the others only go into the history.
FOLDED_EVENTS = frozenset(_FOLDS)
