"""The vault file's one SQLite connection, shared by the modules that own its tables.

The vault's members, the send journal's batches and a bulk run's staging tables live in one
file (or, for staging, in its temporary schema) so that a member row and the journal row that
enrolls it commit together. Each table has one owner, the module that creates it; only that
module writes or reads it (`tests/test_architecture.py` checks the SQL of every module). A
`Database` is what the owners share: the connection, its settings, and transactions that
nest (an owner's method called inside another's transaction joins it).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from memberledger.errors import VaultError
from memberledger.store.migrations.adoption import bring_to_first_version, is_unversioned_vault

#: The migrations' folder (Alembic's script location).
MIGRATIONS = Path(__file__).with_name("migrations")
#: The first version: the file of release 0.1.0, which kept no version number.
FIRST_VERSION = "0001"

#: Pages (4 KiB) the write-ahead log may hold before a commit copies them into the file.
#: SQLite's default is 1,000 (4 MiB); a bulk run writes about 1 KiB per member, and
#: checkpointing sixteen times as often cost its storing phase about a tenth of its time.
#: Durability is the same: a commit is on disk once it is in the log.
WAL_CHECKPOINT_PAGES = 16_384
#: Milliseconds a statement waits for another connection's lock before failing.
BUSY_TIMEOUT_MS = 5_000

Parameters = Sequence[object] | dict[str, object]


@dataclass(frozen=True)
class Schema:
    """What a database file holds: the Alembic folder of its migrations and the table that
    records its version. The vault file is one schema; the chain index
    (`memberledger.index`), derived data kept in a file of its own, is another."""

    #: The migrations' folder (Alembic's script location).
    migrations: Path
    #: The table holding the file's version (distinct per schema, so that two schemas could
    #: share one database, as they will in PostgreSQL).
    version_table: str = "alembic_version"
    #: Zero freed pages: on for files holding personal data, pointless for public data.
    secure_delete: bool = True
    #: Whether a file of release 0.1.0 (vault tables, no version) is adopted as version 0001.
    adopts_unversioned_vaults: bool = False
    #: What the file is, for error messages ("a MemberLedger vault").
    kind: str = "a MemberLedger vault"
    #: `PRAGMA synchronous`: FULL syncs the log at every commit; NORMAL only at checkpoints
    #: (a power cut may lose the last commits, never consistency: enough for derived data).
    synchronous: str = "FULL"
    #: Page cache in KiB (None: SQLite's 2 MiB).
    cache_kib: int | None = None


#: The vault file: members, the key check, the send journal.
VAULT_SCHEMA = Schema(MIGRATIONS, adopts_unversioned_vaults=True)


class Database:
    """One SQLite connection in WAL mode, with `secure_delete` on (freed pages are zeroed)
    unless the schema holds nothing secret.

    A new file is created readable by its owner only; SQLite gives its `-wal` and `-shm`
    files the same permissions."""

    def __init__(self, path: Path, schema: Schema = VAULT_SCHEMA) -> None:
        self.path = Path(path)
        self.schema = schema
        self._db = _connect(self.path, schema)
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ statements

    def execute(self, sql: str, parameters: Parameters = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Parameters]) -> sqlite3.Cursor:
        return self._db.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self._db.executescript(script)

    def columns(self, table: str) -> set[str]:
        """The column names of `table` (for owners that add columns to older files)."""
        return {str(row[1]) for row in self._db.execute(f"PRAGMA table_info({table})")}

    # ------------------------------------------------------------------ transactions

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Inside a transaction
        already open, it joins that one: all commit or none."""
        return self._transaction("BEGIN IMMEDIATE")

    def scratch_transaction(self) -> AbstractContextManager[None]:
        """A deferred transaction for writes to temporary tables only: it takes no lock on
        the file (each statement on its own would be a transaction of its own, and several
        times slower)."""
        return self._transaction("BEGIN")

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        if self._db.in_transaction:
            yield
            return
        self._db.execute(begin)
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ versions

    @property
    def version(self) -> str | None:
        """The schema version of the file (None: no version recorded)."""
        table = self.schema.version_table
        if not self._has_table(table):
            return None
        row = self._db.execute(f"SELECT version_num FROM {table}").fetchone()
        return str(row[0]) if row else None

    def _migrate(self) -> None:
        """Bring the file to the latest version. Opening a file that is already there costs
        one query; Alembic is loaded only when there is something to do."""
        if self.version == latest_version(self.schema):
            return
        from alembic import command
        from sqlalchemy import create_engine
        from sqlalchemy.pool import StaticPool

        config = _alembic_config(self.schema)
        engine = create_engine("sqlite://", creator=lambda: self._db, poolclass=StaticPool)
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            config.attributes["version_table"] = self.schema.version_table
            if self.schema.adopts_unversioned_vaults and is_unversioned_vault(self._db):
                bring_to_first_version(self._db)
                command.stamp(config, FIRST_VERSION)
            command.upgrade(config, "head")
            connection.commit()

    def _has_table(self, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ the log

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the file and empty it (`wal_checkpoint(TRUNCATE)`):
        True when every page was copied, False when another connection's reader kept part of
        it (its old page images then stay in the log until a later checkpoint)."""
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    # ------------------------------------------------------------------ size

    def size(self) -> int:
        """Bytes the vault takes on disk: the file and its write-ahead log."""
        return sum(
            path.stat().st_size
            for path in (self.path, self.path.with_name(self.path.name + "-wal"))
            if path.exists()
        )

    def space_by_table(self) -> dict[str, int]:
        """Bytes of pages each table takes in the file, its indexes included (SQLite's
        `dbstat`), for measuring what a member or a journal row costs."""
        owners = dict(self.rows("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))
        space: dict[str, int] = {}
        for name, size in self.rows("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owners.get(name, name)
            space[table] = space.get(table, 0) + int(size)
        return space

    def compact(self) -> tuple[int, int]:
        """Give the space of deleted rows back to the file system: rebuild the file without
        its free pages (`VACUUM`), then copy the write-ahead log into it and empty the log.
        The size before and after (see `size`). Needs up to the file's size again in free
        disk space while it runs, and no other connection writing.

        Erased members stay erased: `secure_delete` already zeroed their pages, and the
        rebuilt file holds live rows only. (A PostgreSQL vault, when there is one, does the
        same with `VACUUM FULL` and measures with `pg_total_relation_size`.)"""
        if self._db.in_transaction:
            raise VaultError("cannot compact the vault inside a transaction")
        self.checkpoint()
        before = self.size()
        self._db.execute("VACUUM")
        if not self.checkpoint():
            raise VaultError(
                f"{self.path} was compacted, but another connection still reads it: its old "
                "pages stay in the write-ahead log until that connection ends"
            )
        return before, self.size()

    def use_scratch_files(self, cache_kib: int) -> None:
        """Keep temporary tables in files (not memory), with a cache of `cache_kib` KiB, so a
        bulk run's staging stays bounded in memory whatever the file size."""
        self._db.execute("PRAGMA temp_store = FILE")
        self._db.execute(f"PRAGMA temp.cache_size = {-int(cache_kib)}")

    def rows(self, sql: str, parameters: Parameters = ()) -> list[Any]:
        return self._db.execute(sql, parameters).fetchall()


@cache
def latest_version(schema: Schema = VAULT_SCHEMA) -> str:
    """The newest version in the schema's migrations (`memberledger.store.migrations` for
    the vault file)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(schema)).get_current_head()
    assert head is not None, "no migrations"
    return head


def _alembic_config(schema: Schema) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(schema.migrations))
    return config


def _connect(path: Path, schema: Schema) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA secure_delete = {'ON' if schema.secure_delete else 'OFF'}")
        db.execute(f"PRAGMA synchronous = {schema.synchronous}")
        if schema.cache_kib is not None:
            db.execute(f"PRAGMA cache_size = {-int(schema.cache_kib)}")
        # Reading the header fails here for a file that is not a database at all.
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise VaultError(f"{path} is not {schema.kind}: {exc}") from exc
    return db
