"""The vault file: its schema comes from the versioned migrations, a vault of release 0.1.0
(no version recorded) is adopted as the first version, and opening a current file is cheap."""

from __future__ import annotations

from pathlib import Path

import pytest
from operator_kit import open_sqlite

from memberledger.store.database import Database, latest_version

#: The schema release 0.1.0 wrote (its `vault.py` and `journal.py`), before the journal's
#: block hashes were added.
pytestmark = pytest.mark.sqlite_only  # the file itself (PostgreSQL: test_postgres.py)

SCHEMA_0_1_0 = """
CREATE TABLE vault_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE members (
    member_id TEXT PRIMARY KEY, wallet TEXT UNIQUE NOT NULL, commitment TEXT NOT NULL,
    consent INTEGER NOT NULL CHECK (consent BETWEEN 0 AND 65535),
    tier INTEGER NOT NULL CHECK (tier BETWEEN 0 AND 255), sealed BLOB,
    status TEXT NOT NULL CHECK (status IN ('pending', 'enrolled', 'erased')),
    enroll_tx TEXT, enroll_block INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    CHECK ((status = 'erased') = (sealed IS NULL))
);
CREATE TABLE journal_batches (
    batch_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, size INTEGER NOT NULL,
    tx_hash TEXT, block INTEGER, gas_used INTEGER, failure TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE journal_entries (
    kind TEXT NOT NULL, entry_key TEXT NOT NULL, batch_id TEXT NOT NULL, position INTEGER NOT NULL,
    wallet TEXT NOT NULL, commitment TEXT, consent INTEGER, tier INTEGER, points TEXT,
    PRIMARY KEY (kind, entry_key)
);
CREATE TABLE journal_transactions (
    tx_hash TEXT PRIMARY KEY, batch_id TEXT NOT NULL, nonce INTEGER NOT NULL,
    gas_limit INTEGER NOT NULL, max_fee TEXT NOT NULL, priority_fee TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
INSERT INTO journal_batches VALUES
    ('0xab', 'credit', 'confirmed', 1, '0xcd', 7, 50000, NULL, 'then', 'then');
"""


def test_a_new_file_is_created_at_the_latest_version(tmp_path: Path) -> None:
    database = Database(tmp_path / "vault.db")

    assert database.version == latest_version()
    assert {"members", "vault_meta", "journal_batches"} <= _tables(tmp_path / "vault.db")
    database.close()


def test_a_vault_of_release_0_1_0_is_adopted_and_migrated_keeping_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with open_sqlite(path) as old:
        old.executescript(SCHEMA_0_1_0)

    database = Database(path)

    assert database.version == latest_version()
    row = database.execute("SELECT batch_id, tx_hash, block_hash FROM journal_batches").fetchone()
    assert tuple(row) == ("0xab", "0xcd", None)
    database.close()


def test_opening_a_current_file_again_changes_nothing(tmp_path: Path) -> None:
    Database(tmp_path / "vault.db").close()
    before = (tmp_path / "vault.db").read_bytes()

    Database(tmp_path / "vault.db").close()

    assert (tmp_path / "vault.db").read_bytes() == before


def _tables(path: Path) -> set[str]:
    with open_sqlite(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
