"""Rewards handed out: the operator's record of which redemptions were fulfilled.

A member redeems on chain (`LoyaltyPoints.redeem`), which burns the points and emits
`Redeemed(member, rewardId, cost)`; handing the reward over happens off the chain, and is
recorded here, in the vault file, so that a redemption is handed out once. A redemption is
named by where its event sits on the chain, `<block>-<log index>` (e.g. `1532-0`): short
enough to type, and the same whoever lists the redemptions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from memberledger.store.database import Database

_REDEMPTION_ID = re.compile(r"[0-9]{1,12}-[0-9]{1,6}")


def redemption_id(block: int, log_index: int) -> str:
    return f"{block}-{log_index}"


def is_redemption_id(text: str) -> bool:
    return bool(_REDEMPTION_ID.fullmatch(text))


@dataclass(frozen=True)
class Fulfilment:
    redemption_id: str
    tx_hash: str
    log_index: int
    wallet: str
    reward_id: int
    points: int
    fulfilled_at: str


class Fulfilments:
    """The `fulfilments` table of the vault file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def record(self, fulfilments: Iterable[Fulfilment]) -> None:
        """Record these redemptions as handed out, all in one transaction; one already
        recorded keeps its first record."""
        with self._db.transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO fulfilments (redemption_id, tx_hash, log_index, wallet, "
                "reward_id, points, fulfilled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        f.redemption_id,
                        f.tx_hash,
                        f.log_index,
                        f.wallet,
                        f.reward_id,
                        f.points,
                        f.fulfilled_at,
                    )
                    for f in fulfilments
                ),
            )

    def all(self) -> dict[str, Fulfilment]:
        """Every fulfilment, by redemption id."""
        rows = self._db.rows(
            "SELECT redemption_id, tx_hash, log_index, wallet, reward_id, points, fulfilled_at "
            "FROM fulfilments ORDER BY fulfilled_at, redemption_id"
        )
        return {row[0]: Fulfilment(*row) for row in rows}


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
