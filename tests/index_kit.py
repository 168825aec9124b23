"""What the index tests share besides fixtures (tests/index/conftest.py): a programme's life
to index, and two ways to compare an index with the chain: with the contracts' storage
(`audit`, the same check as `ape run index verify`), and with an index rebuilt from scratch
(every table, row by row), which is what "reorganisations are rolled back exactly" means.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from memberledger.chain.rpc import NodeClient
from memberledger.hashing import keccak256
from memberledger.identifiers import event_tag, packed_credit_rows
from memberledger.index.audit import AuditResult, audit
from memberledger.index.chain_index import ChainIndex, abis_of
from memberledger.index.decoding import Catalogue
from memberledger.store.dialect import postgres_sql

POLICY_V2 = b"\x22" * 32
#: The tables of an index, each as compared: ordered by its key; of the blocks, only those
#: with events (the index also keeps the last block of each range it read, and ranges
#: depend on what the provider allowed at the time).
TABLES = {
    "index_events": "ORDER BY block, log_index",
    "index_transactions": "ORDER BY block, tx_index",
    "index_blocks": "WHERE number IN (SELECT block FROM index_events) ORDER BY number",
    "index_members": "ORDER BY wallet",
    "index_redemptions": "ORDER BY block, log_index",
    "index_rules": "ORDER BY block, log_index",
    "index_weekly": "ORDER BY series, week, grp",
}


def commitment(label: str) -> bytes:
    return keccak256(b"index test " + label.encode())[:20]


def rpc(node: NodeClient, method: str, *params: Any) -> Any:
    return node.call(method, *params)


OpenIndex = Callable[..., ChainIndex]


def catalogue_of(registry: Any, points: Any) -> Catalogue:
    """The index's catalogue of the two contracts' events."""
    return Catalogue([str(registry.address), str(points.address)], abis_of(registry, points))


def audit_of(index: ChainIndex, node: NodeClient, registry: Any, points: Any) -> AuditResult:
    """Every wallet of the index against the contracts' storage."""
    return audit(
        index,
        node,
        registry=str(registry.address),
        points=str(points.address),
        bulk_view=False,
        sample=None,
    )


#: On PostgreSQL: the database that stands for each index "file" a test opens (one of its
#: own per path, as each path is a file of its own on SQLite; tests/index/conftest.py).
POSTGRES_INDEXES: dict[Path, str] = {}


def index_sql(path: Path, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on an index past `ChainIndex` (to read it whole, or to spoil it):
    its SQLite file, or its PostgreSQL database's `idx` schema. The rows it answers."""
    if url := POSTGRES_INDEXES.get(path):
        with psycopg.connect(url) as pg:
            pg.execute(b"SET search_path TO idx")
            cursor = pg.execute(postgres_sql(sql), parameters)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with sqlite3.connect(path) as db:
        rows = db.execute(sql, parameters).fetchall()
    db.close()
    return rows


def table_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every index table, in key order."""
    return {
        table: index_sql(path, f"SELECT * FROM {table} {rest}") for table, rest in TABLES.items()
    }


def rebuilt_rows(open_index: OpenIndex, tmp_path: Path, name: str = "rebuilt.db") -> Any:
    """The tables of an index built from scratch now, in another file."""
    fresh = open_index(path=tmp_path / name)
    fresh.catch_up()
    return table_rows(tmp_path / name)


@dataclass
class Life:
    """The accounts of a programme's life (tests/conftest.py's roles)."""

    admin: Any
    registrar: Any
    issuer: Any
    pauser: Any
    members: list[Any]
    registry: Any
    points: Any

    def enroll(self, member: Any, label: str, consent: int = 1, tier: int = 2) -> Any:
        return self.registry.enroll(member, commitment(label), consent, tier, sender=self.registrar)

    def credit(self, member: Any, amount: int, label: str) -> Any:
        """One credit of one reward event (the only place that knows `credit`'s rows)."""
        wallet = str(member.address)
        rows = packed_credit_rows([(wallet, amount, event_tag(f"index test {label}"))])
        return self.points.credit(rows, sender=self.issuer)


def live_a_month(life: Life, tag: str) -> None:
    """Every kind of event the index folds: enrollment (with its consent), consent by the
    member, tier, suspend and reinstate, credits under tier multipliers and one skipped, a
    redemption, a transfer between members, revocation and forfeit, erasure, a new policy,
    reward and multiplier changes, roles."""
    a, b, c, d = life.members[:4]
    registry, points, admin = life.registry, life.points, life.admin
    points.setReward(7, 40, sender=admin)
    points.setTierMultiplier(2, 15_000, sender=admin)
    for member, label in ((a, "a"), (b, "b"), (c, "c"), (d, "d")):
        life.enroll(member, f"{tag}-{label}")
    registry.setConsent(3, registry.policyVersion(), sender=a)
    registry.setTier(b, 3, sender=life.registrar)
    registry.rotateCommitment(c, commitment(f"{tag}-c-rotated"), sender=life.registrar)
    life.credit(a, 100, f"{tag}-a")
    life.credit(b, 60, f"{tag}-b")
    life.credit(c, 30, f"{tag}-c")
    points.redeem(7, sender=a)
    registry.suspend(b, sender=life.registrar)
    life.credit(b, 5, f"{tag}-b-while-suspended")  # skipped, not credited
    registry.reinstate(b, sender=life.registrar)
    points.setTransfersEnabled(True, sender=admin)
    points.transfer(b, 10, sender=a)
    points.setTransfersEnabled(False, sender=admin)
    registry.revoke(c, sender=life.registrar)
    points.forfeit(c, sender=life.registrar)
    registry.erase(d, sender=life.registrar)
    registry.publishPolicy(POLICY_V2, sender=admin)
    registry.setConsent(1, registry.policyVersion(), sender=b)
    registry.grantRole(registry.PAUSER_ROLE(), b, sender=admin)
    registry.revokeRole(registry.PAUSER_ROLE(), b, sender=admin)
    points.setReward(7, 0, sender=admin)
