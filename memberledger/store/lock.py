"""One bulk run per vault at a time.

Two copies of `enroll` or `issue_rewards` on the same vault would plan and send the same
work twice over (the contracts would refuse the duplicates, but at the price of failed
transactions and a confused journal), so each run holds an exclusive lock on a file beside
the vault. The operating system releases it when the process ends, however it ends (even
SIGKILL), so a crash never leaves a stale lock behind.

On PostgreSQL (`MEMBERLEDGER_DATABASE_URL`) several operator machines share one programme, and
a file on one of them coordinates nothing: `shared_run` holds a session advisory lock in the
database instead, one per kind of run (enrollment, crediting). Runs of different kinds go on
at the same time on different machines (each with its own signing account, so their nonces
never meet); a second run of the same kind waits for the first, then finds the rows it did
already done (the vault's unique member ids and wallets, the journal's unique entry keys:
nothing is enrolled or credited twice). The server drops the lock of a machine that dies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from memberledger.errors import VaultBusy
from memberledger.store.database import Database

#: Seconds between two tries of a PostgreSQL run lock another machine holds.
RUN_LOCK_POLL_SECONDS = 0.5


def lock_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".lock")


@contextlib.contextmanager
def exclusive_run(vault_path: Path, what: str) -> Iterator[None]:
    """Hold the vault's run lock for the block, or raise `VaultBusy` at once."""
    path = lock_path(vault_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another run"
            raise VaultBusy(
                f"{vault_path} is in use by {holder}; wait for it to finish, then run again "
                "(an interrupted run is finished by running it again)"
            ) from None
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()}, started {started})".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def shared_run(
    database: Database,
    scope: str | tuple[str, ...],
    what: str,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the run lock of `scope` (a kind of run, or several: upkeep that must not meet
    any run) for the block: on SQLite the vault's file lock (`exclusive_run`, refused at
    once when taken); on PostgreSQL the database's advisory lock of each kind, taken in one
    order by everyone (so two machines never hold one each and wait for the other), waited
    for (told once through `on_wait`) while another machine holds it."""
    if not database.is_postgres:
        with exclusive_run(database.path, what):
            yield
        return
    keys = [
        f"memberledger run {kind}"
        for kind in sorted({scope} if isinstance(scope, str) else set(scope))
    ]
    held: list[str] = []
    try:
        told = False
        for key in keys:
            while not database.try_session_lock(key):
                if not told and on_wait is not None:
                    on_wait(
                        "another machine is running a bulk run or upkeep of this programme's "
                        f"database; {what.removeprefix('an ').removeprefix('a ')} waits for it "
                        "to finish"
                    )
                told = True
                time.sleep(RUN_LOCK_POLL_SECONDS)
            held.append(key)
        yield
    finally:
        for key in reversed(held):
            database.release_session_lock(key)
