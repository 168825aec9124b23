"""What only PostgreSQL has: its schemas, its migrations under a lock, the URL's checks, and
the rewrites of the store's SQLite spellings (`memberledger.store.dialect`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from memberledger.errors import ConfigError, VaultError
from memberledger.index.schema import INDEX_SCHEMA
from memberledger.settings import settings
from memberledger.store.database import VAULT_SCHEMA, Database, latest_version
from memberledger.store.dialect import postgres_sql

pytestmark = pytest.mark.postgres_only


def _tables(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as pg:
        rows = pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_vault_and_index_migrate_into_their_own_schemas(tmp_path: Path) -> None:
    url = settings().database_url

    vault = Database(tmp_path / "vault.db")
    index = Database(tmp_path / "vault.db.index.db", INDEX_SCHEMA)

    assert vault.version == latest_version(VAULT_SCHEMA)
    assert index.version == latest_version(INDEX_SCHEMA)
    vault.close()
    index.close()
    assert {"members", "journal_batches", "journal_entries"} <= _tables(url, "public")
    assert "index_events" in _tables(url, "idx")
    assert not _tables(url, "idx") & _tables(url, "public")
    assert not (tmp_path / "vault.db").exists()  # nothing written beside the vault's name


def test_machines_opening_a_new_database_together_migrate_it_once(tmp_path: Path) -> None:
    def open_and_tell(number: int) -> str | None:
        database = Database(tmp_path / f"machine-{number}.db")
        try:
            return database.version
        finally:
            database.close()

    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(open_and_tell, range(4)))

    assert versions == [latest_version(VAULT_SCHEMA)] * 4


def test_a_url_of_another_database_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MEMBERLEDGER_DATABASE_URL must be postgresql://"):
        Database(tmp_path / "vault.db", url="mysql://localhost/members")


def test_an_unreachable_server_is_said_with_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="cannot reach the PostgreSQL database") as caught:
        Database(tmp_path / "vault.db", url="postgresql://nobody:secret@127.0.0.1:1/none")

    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        (
            "SELECT a FROM t WHERE b = ? AND c LIKE '50%'",
            "SELECT a FROM t WHERE b = %s AND c LIKE '50%%'",
        ),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING",
        ),
        (
            "SELECT * FROM temp.staged s CROSS JOIN members m ON m.w = s.w",
            "SELECT * FROM pg_temp.staged s JOIN members m ON m.w = s.w",
        ),
        ("SELECT value FROM json_each(?)", "SELECT value FROM json_array_elements_text(%s::json)"),
        (
            "CREATE TABLE t (seq INTEGER PRIMARY KEY, b BLOB) WITHOUT ROWID",
            "CREATE TABLE t (seq BIGSERIAL PRIMARY KEY, b BYTEA)",
        ),
        ("SELECT '?' FROM t WHERE a = ?", "SELECT '?' FROM t WHERE a = %s"),
    ],
)
def test_postgres_sql_rewrites_the_sqlite_spellings(written: str, sent: str) -> None:
    assert postgres_sql(written) == sent
