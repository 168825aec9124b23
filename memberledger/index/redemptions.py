"""Every redemption: the owner of `index_redemptions`.

A member redeems points for a reward on chain (`Redeemed(member, rewardId, cost)`); someone
at the programme hands the reward out. The list of redemptions, with when and in which
transaction, is what that person works from (`ape run redemptions`), so it is kept in a table
of its own rather than picked out of a million other events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from memberledger.index.decoding import CONTRACTS, DecodedEvent
from memberledger.store.database import Database

_POINTS = CONTRACTS.index("points")
_COLUMNS = "block, log_index, tx_hash, timestamp, member, reward_id, cost"


@dataclass(frozen=True)
class Redemption:
    block: int
    log_index: int
    tx_hash: str
    timestamp: int
    member: str
    reward_id: int
    cost: int

    @property
    def when(self) -> str:
        moment = dt.datetime.fromtimestamp(self.timestamp, dt.UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class RedemptionLog:
    """The redemptions in the index's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, events: Iterable[DecodedEvent], timestamps: dict[int, int]) -> None:
        rows = [
            (
                e.block,
                e.log_index,
                e.tx_hash,
                timestamps[e.block],
                e.spec.value(e.values, "member"),
                str(e.spec.value(e.values, "rewardId")),
                e.spec.value(e.values, "cost"),
            )
            for e in events
            if e.spec.contract == _POINTS and e.spec.name == "Redeemed"
        ]
        self._db.executemany(
            f"INSERT INTO index_redemptions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )

    def roll_back(self, after_block: int) -> None:
        self._db.execute("DELETE FROM index_redemptions WHERE block > ?", (after_block,))

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_redemptions")

    def redemptions(self, member: str | None = None, chunk: int = 10_000) -> Iterator[Redemption]:
        """Every redemption (of one member, if named), oldest first, read a chunk at a time."""
        after = (-1, -1)
        where = "AND member = ? " if member else ""
        extra = (member.lower(),) if member else ()
        while rows := self._db.rows(
            f"SELECT {_COLUMNS} FROM index_redemptions "
            f"WHERE (block > ? OR (block = ? AND log_index > ?)) {where}"
            "ORDER BY block, log_index LIMIT ?",
            (after[0], after[0], after[1], *extra, chunk),
        ):
            after = (rows[-1][0], rows[-1][1])
            for block, log_index, tx_hash, timestamp, wallet, reward_id, cost in rows:
                yield Redemption(
                    int(block),
                    int(log_index),
                    str(tx_hash),
                    int(timestamp),
                    str(wallet),
                    int(reward_id),
                    int(cost),
                )

    def by_reward(self) -> dict[int, tuple[int, int]]:
        """Reward id -> (times redeemed, points spent)."""
        rows = self._db.rows(
            "SELECT reward_id, COUNT(*), SUM(cost) FROM index_redemptions GROUP BY reward_id"
        )
        return {int(reward): (int(times), int(points)) for reward, times, points in rows}
