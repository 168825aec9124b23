"""Index fixtures: the module's contracts on the session's Anvil (tests/conftest.py), the node
as the index talks to it, an index file per test, and the accounts of a programme's life
(the life itself and the comparisons are in tests/index_kit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from index_kit import POSTGRES_INDEXES, Life, OpenIndex
from pg_kit import PostgresServer

from memberledger.chain.logs import LogReader
from memberledger.chain.rpc import NodeClient, node_url
from memberledger.index.chain_index import ChainIndex, abis_of
from memberledger.settings import settings


@pytest.fixture(scope="module")
def node(chain: Any) -> NodeClient:
    return NodeClient(node_url(chain.provider))


@pytest.fixture
def open_index(
    tmp_path: Path,
    chain: Any,
    node: NodeClient,
    registry: Any,
    points: Any,
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[OpenIndex]:
    """Opens an index of the module's contracts (default file: `tmp_path/index.db`). On
    PostgreSQL each path stands for a database of its own (the `backend` fixture's for the
    default path), as each path is a file of its own on SQLite."""
    opened: list[ChainIndex] = []

    def database_of(path: Path) -> None:
        if backend != "postgresql":
            return
        if path not in POSTGRES_INDEXES:
            server: PostgresServer = request.getfixturevalue("postgres_server")
            default = path == tmp_path / "index.db"
            POSTGRES_INDEXES[path] = (
                settings().database_url if default else server.new_database(path.stem)
            )
        monkeypatch.setenv("MEMBERLEDGER_DATABASE_URL", POSTGRES_INDEXES[path])
        settings.cache_clear()

    def make(
        *,
        confirmations: int = 1,
        path: Path | None = None,
        through: NodeClient | None = None,
        reader: LogReader | None = None,
        registry_address: str | None = None,
    ) -> ChainIndex:
        path = path or tmp_path / "index.db"
        database_of(path)
        index = ChainIndex.open(
            path,
            through or node,
            chain_id=chain.chain_id,
            registry=registry_address or str(registry.address),
            points=str(points.address),
            deploy_block=0,
            abis=abis_of(registry, points),
            confirmations=confirmations,
        )
        if reader is not None:
            index.follower.reader = reader
        opened.append(index)
        return index

    yield make
    for index in opened:
        index.close()
    POSTGRES_INDEXES.clear()


@pytest.fixture
def life(
    admin: Any,
    registrar: Any,
    issuer: Any,
    pauser: Any,
    members: list[Any],
    registry: Any,
    points: Any,
) -> Life:
    if not registry.hasRole(registry.REGISTRAR_ROLE(), registrar):
        registry.grantRole(registry.REGISTRAR_ROLE(), registrar, sender=admin)
    return Life(admin, registrar, issuer, pauser, members, registry, points)


@pytest.fixture(autouse=True)
def _isolate(chain: Any) -> Iterator[None]:
    """Every test starts from the module's deployment (tests here snapshot and reorganise
    the chain themselves, so none may lean on another's blocks)."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)


@pytest.fixture(autouse=True)
def _on_each_backend(backend: str) -> str:
    """Every index test runs on the index's SQLite file and in PostgreSQL's `idx` schema
    (the `backend` fixture of tests/conftest.py), except those marked `sqlite_only`."""
    return backend
