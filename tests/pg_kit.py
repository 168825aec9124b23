"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a cluster made with
`initdb` in a fresh temporary folder, started on a free port (its unix socket in that folder
too), stopped when the session ends. Nothing to configure: `make` installs the package when it
is missing.

PostgreSQL refuses to run as root. Run by root (CI), the cluster belongs to a system user of
its own (`memberledger-pg`, created here if `make` did not already) and `initdb` and `pg_ctl`
run as that user through `runuser`; run by anyone else, they run as that user directly.

    server = PostgresServer.start()        # once per session (tests/conftest.py)
    url = server.new_database("store")     # a database of its own per module or test
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from memberledger.chain.local_node import free_port

#: Where Debian puts the server's programs (the newest version installed is used).
POSTGRES_ROOT = Path("/usr/lib/postgresql")
#: The system user that owns the cluster when the tests run as root.
SERVER_USER = "memberledger-pg"
#: Seconds `pg_ctl` waits for the server to start or stop.
WAIT_SECONDS = 60
#: Test settings: durability is not under test here (crash tests kill clients, not the
#: server), and fsync off keeps a 2-core machine from waiting on the disk.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c shared_buffers=64MB -c max_connections=60 -c listen_addresses=127.0.0.1"
)
_numbers = itertools.count(1)


def binaries() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, if any."""
    if not POSTGRES_ROOT.is_dir():
        return None
    versions = sorted(
        (p for p in POSTGRES_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
    )
    return versions[-1] / "bin" if versions else None


def server_user() -> str | None:
    """The user the server runs as: None for the current user, else `SERVER_USER` (made
    here if missing, as `make`'s install step does)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _as_server(user: str | None, command: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


@dataclass
class PostgresServer:
    """One running cluster: its folder, port and superuser URL."""

    folder: Path
    port: int
    bin: Path
    user: str | None
    stopped: bool = field(default=False)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb a cluster in a new temporary folder and start it on a free port."""
        found = binaries()
        if found is None:
            raise RuntimeError(
                f"no PostgreSQL under {POSTGRES_ROOT}: `make test` installs Debian's "
                "`postgresql` (or: apt-get install postgresql)"
            )
        user = server_user()
        folder = Path(tempfile.mkdtemp(prefix="memberledger-pg-"))
        if user:
            info = pwd.getpwnam(user)
            os.chown(folder, info.pw_uid, info.pw_gid)
        folder.chmod(0o700)
        server = cls(folder, free_port(), found, user)
        subprocess.run(
            _as_server(
                user,
                [
                    str(found / "initdb"),
                    "-D",
                    str(server.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {server.port} -k {folder} {SERVER_OPTIONS}"
        subprocess.run(
            _as_server(
                user,
                [
                    str(found / "pg_ctl"),
                    "-D",
                    str(server.data),
                    "-l",
                    str(folder / "server.log"),
                    "-o",
                    options,
                    "-t",
                    str(WAIT_SECONDS),
                    "-w",
                    "start",
                ],
            ),
            check=True,
            capture_output=True,
        )
        atexit.register(server.stop)
        return server

    def new_database(self, label: str) -> str:
        """A fresh, empty database: its URL."""
        name = f"t{next(_numbers)}_{''.join(c for c in label.lower() if c.isalnum())[:40]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def execute(self, database_url: str, sql: str) -> list[tuple[object, ...]]:
        """Run one statement as the superuser in a database (for checks tests make)."""
        with psycopg.connect(database_url, autocommit=True) as db:
            cursor = db.execute(sql.encode())
            return list(cursor.fetchall()) if cursor.description else []

    def stop(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected) and remove its folder."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_server(
                    self.user,
                    [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                ),
                check=True,
                capture_output=True,
                timeout=WAIT_SECONDS,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def relation_bytes(
    database_url: str, *, tables: tuple[str, ...] = (), with_log: bool = False
) -> bytes:
    """What an attacker copying the server's files would read of a database, after a
    CHECKPOINT has written every changed page to them: the files of `tables` (each with its
    TOAST table and indexes), or of the whole database when none is named, and the
    write-ahead log's segments too with `with_log`. The test owns the cluster, so it reads
    the files directly (as root, or as the user that owns them)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(b"CHECKPOINT")
        row = db.execute(b"SELECT current_setting('data_directory')").fetchone()
        assert row is not None
        data = Path(str(row[0]))
        if tables:
            paths = [
                data / str(found[0])
                for table in tables
                for found in db.execute(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                    "WHERE c.oid = %s::regclass OR c.oid = (SELECT reltoastrelid FROM pg_class "
                    "WHERE oid = %s::regclass) OR c.oid IN (SELECT indexrelid FROM pg_index "
                    "WHERE indrelid = %s::regclass)",
                    (table, table, table),
                )
                if found[0] is not None
            ]
            files = [
                p
                for base in paths
                for p in base.parent.iterdir()
                if p.name == base.name or p.name.startswith((base.name + ".", base.name + "_"))
            ]
        else:
            oid = db.execute(b"SELECT oid FROM pg_database WHERE datname = current_database()")
            found_oid = oid.fetchone()
            assert found_oid is not None
            files = sorted((data / "base" / str(found_oid[0])).iterdir())
        if with_log:
            files += sorted((data / "pg_wal").glob("0*"))
    return b"".join(p.read_bytes() for p in files if p.is_file())
