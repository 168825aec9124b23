"""Vaults made before migrations existed (release 0.1.0) carry no version number: they are
recognised by their tables and taken as the first version, after the one change some of them
still lack."""

from __future__ import annotations

import sqlite3


def is_unversioned_vault(db: sqlite3.Connection) -> bool:
    """A file with the vault's tables but no `alembic_version` table."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return "members" in tables and "alembic_version" not in tables


def bring_to_first_version(db: sqlite3.Connection) -> None:
    """Vaults of 0.1.0 made before the journal kept block hashes lack that column."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(journal_batches)")}
    if columns and "block_hash" not in columns:
        db.execute("ALTER TABLE journal_batches ADD COLUMN block_hash TEXT")
