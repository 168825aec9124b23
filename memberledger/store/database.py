"""The vault's one database connection, shared by the modules that own its tables.

The vault's members, the send journal's batches and a bulk run's staging tables live in one
database (for staging, in the connection's temporary schema) so that a member row and the
journal row that enrolls it commit together. Each table has one owner, the module that
creates it; only that module writes or reads it (`tests/test_architecture.py` checks the SQL
of every module). A `Database` is what the owners share: the connection, its settings, and
transactions that nest (an owner's method called inside another's transaction joins it).

Two databases stand behind the same interface:
- SQLite (the default): the vault's file, nothing to install, one machine;
- PostgreSQL, when `MEMBERLEDGER_DATABASE_URL` is `postgresql://...`: several operator
  machines share one programme. Each schema (`Schema`) lives in a PostgreSQL schema of its
  own in the same database (the vault in `public`, the chain index in `idx`). The owners'
  SQL is written once; `memberledger.store.dialect` rewrites the few SQLite-only forms.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from memberledger.errors import ConfigError, VaultError
from memberledger.settings import settings
from memberledger.store.dialect import is_postgres_url, is_pragma, postgres_sql
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


#: PostgreSQL: how long the rewrite after an erasure waits for other connections' open
#: transactions on the table before giving up (`Database.vacuum` answers False: try again).
VACUUM_LOCK_TIMEOUT_MS = 2_000


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
    #: On PostgreSQL: the schema (namespace) its tables live in, in the shared database.
    pg_schema: str = "public"


#: The vault file: members, the key check, the send journal.
VAULT_SCHEMA = Schema(MIGRATIONS, adopts_unversioned_vaults=True)


class Database:
    """One SQLite connection in WAL mode, with `secure_delete` on (freed pages are zeroed)
    unless the schema holds nothing secret; or, with a `postgresql://` URL (`url`, default
    `MEMBERLEDGER_DATABASE_URL`), one PostgreSQL connection in autocommit mode whose
    transactions are opened and closed here, as on SQLite.

    A new file is created readable by its owner only; SQLite gives its `-wal` and `-shm`
    files the same permissions. On PostgreSQL `path` only names the vault (its run lock and
    messages)."""

    def __init__(
        self, path: Path, schema: Schema = VAULT_SCHEMA, *, url: str | None = None
    ) -> None:
        self.path = Path(path)
        self.schema = schema
        self.url = settings().database_url if url is None else url
        if self.url and not is_postgres_url(self.url):
            raise ConfigError(
                "MEMBERLEDGER_DATABASE_URL must be postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                "(or empty, for the vault's SQLite file)"
            )
        self.is_postgres = bool(self.url)
        self._pg: psycopg.Connection[Any] | None = None
        if self.is_postgres:
            self._pg = _connect_postgres(self.url, schema)
            self._db: Any = self._pg
        else:
            self._db = _connect(self.path, schema)
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ statements

    def execute(self, sql: str, parameters: Parameters = ()) -> Any:
        """Run one statement; the cursor (sqlite3's or psycopg's: `fetchone`, `fetchall`,
        iteration, `rowcount`, `description` behave alike)."""
        if self._pg is None:
            return self._db.execute(sql, parameters)
        if is_pragma(sql):
            return _NO_ROWS
        if parameters:
            return self._pg.execute(postgres_sql(sql), parameters)
        return self._pg.execute(postgres_sql(sql, with_parameters=False).encode())

    def executemany(self, sql: str, rows: Iterable[Parameters]) -> Any:
        if self._pg is None:
            return self._db.executemany(sql, rows)
        cursor = self._pg.cursor()
        cursor.executemany(postgres_sql(sql), rows)
        return cursor

    def executescript(self, script: str) -> None:
        if self._pg is None:
            self._db.executescript(script)
            return
        self._pg.execute(postgres_sql(script, with_parameters=False).encode())

    def columns(self, table: str) -> set[str]:
        """The column names of `table` (for owners that add columns to older files)."""
        if self._pg is not None:
            return {
                str(row[0])
                for row in self._pg.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s",
                    (table,),
                )
            }
        return {str(row[1]) for row in self._db.execute(f"PRAGMA table_info({table})")}

    def tables(self) -> list[str]:
        """The schema's tables (its version table left out), each after the tables its
        foreign keys name: an order in which they can be filled."""
        if self._pg is not None:
            names = [
                str(row[0])
                for row in self._pg.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ]
            references = {
                (str(child), str(parent))
                for child, parent in self._pg.execute(
                    "SELECT cl.relname, pa.relname FROM pg_constraint c "
                    "JOIN pg_class cl ON cl.oid = c.conrelid "
                    "JOIN pg_class pa ON pa.oid = c.confrelid "
                    "JOIN pg_namespace n ON n.oid = cl.relnamespace "
                    "WHERE c.contype = 'f' AND n.nspname = current_schema()"
                )
            }
        else:
            names = [
                str(row[0])
                for row in self._db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            references = {
                (name, str(row[2]))
                for name in names
                for row in self._db.execute(f"PRAGMA foreign_key_list({name})")
            }
        order = TopologicalSorter({name: set() for name in names})
        for child, parent in references:
            if child != parent:
                order.add(child, parent)
        return [name for name in order.static_order() if name != self.schema.version_table]

    def copy_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> int:
        """Append `rows` (values of `columns`, in order) to `table`; how many. On PostgreSQL
        through `COPY ... FROM STDIN` (one stream, several times faster than INSERTs);
        identity columns not named are numbered by the server in the order given."""
        names = ", ".join(columns)
        count = 0
        if self._pg is None:
            marks = ", ".join("?" * len(columns))
            for row in rows:
                self._db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", row)
                count += 1
            return count
        with self._pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def restart_sequences(self) -> None:
        """PostgreSQL: after `copy_rows` gave serial columns their values, set each column's
        sequence past its largest value, so the next row the server numbers is new."""
        if self._pg is None:
            return
        serial = self._pg.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%%'"
        ).fetchall()
        for table, column in serial:
            self._pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)".encode()
            )

    # ------------------------------------------------------------------ transactions

    @property
    def in_transaction(self) -> bool:
        if self._pg is not None:
            return self._pg.info.transaction_status != TransactionStatus.IDLE
        return bool(self._db.in_transaction)

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Inside a transaction
        already open, it joins that one: all commit or none. (On PostgreSQL a plain BEGIN,
        read committed: rows are locked by the statements that write them, and runs of one
        kind never write at the same time: `memberledger.store.lock.shared_run`.)"""
        return self._transaction("BEGIN IMMEDIATE")

    def scratch_transaction(self) -> AbstractContextManager[None]:
        """A deferred transaction for writes to temporary tables only: it takes no lock on
        the file (each statement on its own would be a transaction of its own, and several
        times slower)."""
        return self._transaction("BEGIN")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Statements whose failure the caller handles inside a transaction: on PostgreSQL a
        failed statement spoils the whole transaction, so they run under a savepoint that
        is rolled back to on any exception (which goes on up). SQLite undoes a failed
        statement by itself."""
        if self._pg is None or not self.in_transaction:
            yield
            return
        self._pg.execute("SAVEPOINT memberledger")
        try:
            yield
        except BaseException:
            self._pg.execute("ROLLBACK TO SAVEPOINT memberledger")
            raise
        self._pg.execute("RELEASE SAVEPOINT memberledger")

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        if self.in_transaction:
            yield
            return
        if self._pg is not None:
            begin = "BEGIN"  # row locks are taken by the statements themselves
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
        if self._pg is not None:
            self._migrate_postgres(self._pg)
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

    def _migrate_postgres(self, pg: psycopg.Connection[Any]) -> None:
        """The same migrations on PostgreSQL, in one transaction, under an advisory lock per
        schema: two machines opening a new database at once migrate it once (the second
        waits, then finds it done)."""
        from alembic import command
        from sqlalchemy import create_engine
        from sqlalchemy.pool import StaticPool

        pg.execute("SELECT pg_advisory_lock(%s)", (_migration_lock(self.schema),))
        try:
            if self.version == latest_version(self.schema):
                return
            pg.autocommit = False
            config = _alembic_config(self.schema)
            engine = create_engine(
                "postgresql+psycopg://", creator=lambda: pg, poolclass=StaticPool
            )
            with engine.connect() as connection:
                config.attributes["connection"] = connection
                config.attributes["version_table"] = self.schema.version_table
                command.upgrade(config, "head")
                connection.commit()
        finally:
            if not pg.closed:
                pg.rollback()
                pg.autocommit = True
                pg.execute("SELECT pg_advisory_unlock(%s)", (_migration_lock(self.schema),))

    def _has_table(self, name: str) -> bool:
        if self._pg is not None:
            found = self._pg.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (name,),
            ).fetchone()
            return found is not None
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ the log

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the file and empty it (`wal_checkpoint(TRUNCATE)`):
        True when every page was copied, False when another connection's reader kept part of
        it (its old page images then stay in the log until a later checkpoint). On
        PostgreSQL the server checkpoints by itself: nothing to do."""
        if self._pg is not None:
            return True
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    # ------------------------------------------------------------------ size

    def size(self) -> int:
        """Bytes the vault takes on disk: the file and its write-ahead log (on PostgreSQL:
        the schema's tables with their indexes and TOAST)."""
        if self._pg is not None:
            return sum(self.space_by_table().values())
        return sum(
            path.stat().st_size
            for path in (self.path, self.path.with_name(self.path.name + "-wal"))
            if path.exists()
        )

    def space_by_table(self) -> dict[str, int]:
        """Bytes of pages each table takes in the file, its indexes included (SQLite's
        `dbstat`; PostgreSQL's `pg_total_relation_size`), for measuring what a member or a
        journal row costs."""
        if self._pg is not None:
            return {
                str(name): int(size)
                for name, size in self._pg.execute(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            }
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
        rebuilt file holds live rows only. On PostgreSQL: `VACUUM FULL` of the schema's
        tables (each rewritten with its live rows only, under an exclusive lock while it
        runs), measured with `pg_total_relation_size`."""
        if self.in_transaction:
            raise VaultError("cannot compact the vault inside a transaction")
        if self._pg is not None:
            before = self.size()
            for table in sorted(self.space_by_table()):
                self._pg.execute(f'VACUUM FULL "{table}"'.encode())
            return before, self.size()
        self.checkpoint()
        before = self.size()
        self._db.execute("VACUUM")
        if not self.checkpoint():
            raise VaultError(
                f"{self.path} was compacted, but another connection still reads it: its old "
                "pages stay in the write-ahead log until that connection ends"
            )
        return before, self.size()

    def vacuum(self, table: str) -> bool:
        """PostgreSQL: rewrite `table` with its live row versions only (`VACUUM FULL`), so
        the bytes of the dead ones (an erased member's sealed data, see `Vault.erase`) are
        gone from the database's files now. Plain VACUUM is not enough: it prunes dead
        tuples but leaves their bytes in the page's free space (tests/store/test_vault.py
        reads the pages). The rewrite takes the table's size in time and disk, under an
        exclusive lock: erasure is rare, enrollment waits meanwhile.

        True when no other connection's open snapshot still needed the dead versions (they
        were dropped), False when one did (they were copied; a later call after that
        snapshot ends drops them). SQLite: nothing to do, True (`secure_delete` zeroed the
        freed cells at the delete)."""
        if self._pg is None:
            return True
        if self.in_transaction:
            raise VaultError("cannot vacuum inside a transaction")
        row = self._pg.execute(b"SELECT pg_current_xact_id()::text").fetchone()
        horizon = int(row[0]) if row else 0
        self._pg.execute(f"SET lock_timeout = '{VACUUM_LOCK_TIMEOUT_MS}ms'".encode())
        try:
            self._pg.execute(f'VACUUM FULL "{table}"'.encode())
        except psycopg.errors.LockNotAvailable:
            return False  # another connection is in a transaction on the table
        finally:
            self._pg.execute(f"SET lock_timeout = '{BUSY_TIMEOUT_MS * 12}ms'".encode())
        return not self._older_snapshot_than(horizon)

    def _older_snapshot_than(self, xid: int) -> bool:
        """Whether another connection to the database holds a snapshot taken before
        transaction `xid` (the one after the change): VACUUM keeps what it may read."""
        assert self._pg is not None
        row = self._pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND datname = current_database() AND backend_xmin IS NOT NULL "
            "AND age(backend_xmin) > age(%s::text::xid)",
            (str(xid % 2**32),),
        ).fetchone()
        return bool(row and row[0])

    def try_session_lock(self, key: str, shared: bool = False) -> bool:
        """PostgreSQL: take a session-level advisory lock on `key` (a name) unless another
        connection holds it (False then); held until `release_session_lock` or until the
        connection ends, however the process ends (the server drops a dead client's locks).
        A `shared` lock is held by any number of connections at once, and keeps out only the
        exclusive one. SQLite: always True (one machine: `memberledger.store.lock`'s file
        does this)."""
        if self._pg is None:
            return True
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        row = self._pg.execute(f"SELECT {function}(hashtextextended(%s, 0))", (key,)).fetchone()
        return bool(row[0]) if row else False

    def release_session_lock(self, key: str, shared: bool = False) -> None:
        if self._pg is not None:
            function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
            self._pg.execute(f"SELECT {function}(hashtextextended(%s, 0))", (key,))

    def use_scratch_files(self, cache_kib: int) -> None:
        """Keep temporary tables in files (not memory), with a cache of `cache_kib` KiB, so a
        bulk run's staging stays bounded in memory whatever the file size. (PostgreSQL's
        temporary tables spill to disk past `temp_buffers` by themselves.)"""
        if self._pg is not None:
            return
        self._db.execute("PRAGMA temp_store = FILE")
        self._db.execute(f"PRAGMA temp.cache_size = {-int(cache_kib)}")

    def rows(self, sql: str, parameters: Parameters = ()) -> list[Any]:
        return list(self.execute(sql, parameters).fetchall())


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


class _NoRows:
    """The answer to a statement PostgreSQL is not sent (an SQLite `PRAGMA`)."""

    rowcount = 0
    description = None

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())


_NO_ROWS = _NoRows()


def _migration_lock(schema: Schema) -> int:
    """The advisory lock key of a schema's migrations (a stable 32-bit number)."""
    import zlib

    return zlib.crc32(f"memberledger migrations {schema.pg_schema}".encode())


def _connect_postgres(url: str, schema: Schema) -> psycopg.Connection[Any]:
    """An autocommit connection whose unqualified names are the schema's tables."""
    try:
        db = psycopg.connect(url, autocommit=True, application_name="memberledger")
    except psycopg.OperationalError as exc:
        raise VaultError(
            f"cannot reach the PostgreSQL database of MEMBERLEDGER_DATABASE_URL: "
            f"{_first_line(exc)}; check the server is running and the URL's host, port, "
            "user, password and database"
        ) from None
    try:
        if schema.pg_schema != "public":
            db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema.pg_schema}"'.encode())
            db.execute(f'SET search_path TO "{schema.pg_schema}", public'.encode())
        # A statement waits this long for another machine's row lock before failing.
        db.execute(f"SET lock_timeout = '{BUSY_TIMEOUT_MS * 12}ms'".encode())
    except psycopg.Error as exc:
        db.close()
        raise VaultError(f"the PostgreSQL database refused to set up: {_first_line(exc)}") from None
    return db


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or ["(no message)"])[0]


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
