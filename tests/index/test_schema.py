"""The index file's page cache: small while an index is built over a filled table, the usual
one otherwise (`memberledger.index.schema.sorting`), whatever happens in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_kit import catalogue_of

from memberledger.index.events import WALLET_INDEXES, EventLog
from memberledger.index.members import MemberIndex
from memberledger.index.schema import CACHE_KIB, INDEX_SCHEMA, SORT_CACHE_KIB, sorting
from memberledger.store.database import Database

pytestmark = pytest.mark.sqlite_only  # PostgreSQL's server sorts: no page cache of ours


def _cache_kib(database: Database) -> int:
    (pages,) = database.execute("PRAGMA cache_size").fetchone()
    return -int(pages)  # negative: KiB


def test_sorting_lends_the_small_cache_and_gives_the_usual_one_back(tmp_path: Path) -> None:
    database = Database(tmp_path / "vault.db.index.db", INDEX_SCHEMA)
    during: list[int] = []
    try:
        assert _cache_kib(database) == CACHE_KIB
        with pytest.raises(RuntimeError), sorting(database):
            during.append(_cache_kib(database))
            raise RuntimeError("the build failed")
        assert during == [SORT_CACHE_KIB]
        assert _cache_kib(database) == CACHE_KIB
    finally:
        database.close()


def test_the_wallet_and_state_indexes_are_built_with_the_small_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: Any, points: Any
) -> None:
    """What a fresh catch-up's last step builds over millions of rows (its peak memory)."""
    database = Database(tmp_path / "vault.db.index.db", INDEX_SCHEMA)
    events, members = EventLog(database, catalogue_of(registry, points)), MemberIndex(database)
    events.drop_wallet_indexes()
    members.drop_state_index()
    built: dict[str, int] = {}
    execute = database.execute

    def noting_the_cache(sql: str, parameters: Any = ()) -> Any:
        if sql.startswith("CREATE INDEX"):
            built[sql.split()[2]] = _cache_kib(database)
        return execute(sql, parameters)

    monkeypatch.setattr(database, "execute", noting_the_cache)
    try:
        events.create_wallet_indexes()
        members.create_state_index()
        assert built == dict.fromkeys([*WALLET_INDEXES, "index_members_by_state"], SORT_CACHE_KIB)
        assert _cache_kib(database) == CACHE_KIB
    finally:
        database.close()
