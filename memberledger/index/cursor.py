"""How far the index has read, and for which contracts: the owner of `index_cursor`.

`read_block` is the last block whose events are in the index, `read_hash` that block's hash
when it was read. Blocks up to `final_block` had the confirmations asked for when they were
read; the blocks after it are provisional: their hashes are checked against the node at
every catch-up, and their rows are rolled back the moment one differs. A difference at or
below `final_block` is a reorganisation deeper than the confirmations: it is rolled back
all the same, and said out loud.

The cursor also names the chain, the two contracts, their deploy block and the ABIs'
fingerprint: an index opened for another deployment, or after the contracts' events
changed, is rebuilt instead of being read wrongly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from memberledger.store.database import Database

_NAME = "chain"


@dataclass(frozen=True)
class Position:
    chain_id: int
    registry: str
    points: str
    deploy_block: int
    catalogue: str
    read_block: int
    read_hash: str | None
    final_block: int
    #: A fresh index being filled: no record folded yet, the wallet indexes not built
    #: (`memberledger.index.follower`, "a fresh index").
    deferred: bool = False

    def follows(self, other: Position) -> bool:
        """Whether both positions are in the same programme under the same ABIs."""
        return (
            self.chain_id,
            self.registry.lower(),
            self.points.lower(),
            self.deploy_block,
            self.catalogue,
        ) == (
            other.chain_id,
            other.registry.lower(),
            other.points.lower(),
            other.deploy_block,
            other.catalogue,
        )


class Cursor:
    """The one row of `index_cursor`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self) -> Position | None:
        row = self._db.execute(
            "SELECT chain_id, registry, points, deploy_block, catalogue, read_block, read_hash, "
            "final_block, deferred FROM index_cursor WHERE name = ?",
            (_NAME,),
        ).fetchone()
        if row is None:
            return None
        chain_id, registry, points, deploy, catalogue, read, read_hash, final, deferred = row
        return Position(
            int(chain_id),
            str(registry),
            str(points),
            int(deploy),
            str(catalogue),
            int(read),
            read_hash,
            int(final),
            bool(deferred),
        )

    def put(self, position: Position) -> None:
        self._db.execute(
            "INSERT INTO index_cursor (name, chain_id, registry, points, deploy_block, catalogue, "
            "read_block, read_hash, final_block, deferred, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "chain_id = excluded.chain_id, registry = excluded.registry, "
            "points = excluded.points, deploy_block = excluded.deploy_block, "
            "catalogue = excluded.catalogue, read_block = excluded.read_block, "
            "read_hash = excluded.read_hash, final_block = excluded.final_block, "
            "deferred = excluded.deferred, updated_at = excluded.updated_at",
            (
                _NAME,
                position.chain_id,
                position.registry,
                position.points,
                position.deploy_block,
                position.catalogue,
                position.read_block,
                position.read_hash,
                position.final_block,
                position.deferred,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_cursor")
