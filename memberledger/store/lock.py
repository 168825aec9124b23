"""One bulk run per vault at a time on SQLite; on PostgreSQL, one run per kind and account.

Two copies of `enroll` or `issue_rewards` on the same vault would plan and send the same
work twice over (the contracts would refuse the duplicates, but at the price of failed
transactions and a confused journal), so each run holds an exclusive lock on a file beside
the vault. The operating system releases it when the process ends, however it ends (even
SIGKILL), so a crash never leaves a stale lock behind.

On PostgreSQL (`MEMBERLEDGER_DATABASE_URL`) several operator machines share one programme, and
a file on one of them coordinates nothing: the database's session advisory locks do, which the
server drops when a machine dies.

- A bulk run (`account_run`) holds its kind's lock *shared* and the lock of its kind and
  signing account exclusively: runs of any kind go on at the same time on machines with
  different accounts (their nonces never meet, and each sends only the batches its account
  owns: `memberledger.store.journal`); a second run with the same account waits for the first.
- Storing and planning (`storing`) is one machine at a time per kind, for the few seconds it
  takes: a run checks its file against the vault and the journal and stores its new rows
  while holding it, so what another machine stored a moment ago reads as done or pending,
  never as new twice. Sending, the long part, overlaps.
- Upkeep (`shared_run`: pruning, compacting, rebuilding the journal) holds the kind's lock
  exclusively, so it waits for every run of that kind and they wait for it.
- A run takes over the batches of an account whose machine runs nothing now (`idle_accounts`),
  holding that account's lock while it does, so a machine that died leaves no batch behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    any run) exclusively for the block: on SQLite the vault's file lock (`exclusive_run`,
    refused at once when taken); on PostgreSQL the database's advisory lock of each kind,
    taken in one order by everyone (so two machines never hold one each and wait for the
    other), waited for (told once through `on_wait`) while any run of that kind goes on."""
    if not database.is_postgres:
        with exclusive_run(database.path, what):
            yield
        return
    kinds = sorted({scope} if isinstance(scope, str) else set(scope))
    keys = [(_run_key(kind), False) for kind in kinds]
    with _held(database, keys, _waits_for_runs(what), on_wait):
        yield


@contextlib.contextmanager
def account_run(
    database: Database,
    kind: str,
    account: str,
    what: str,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the lock of a bulk run of `kind` signed by `account` for the block: on SQLite the
    vault's file lock (one run at a time, refused at once when taken); on PostgreSQL the
    kind's lock shared (upkeep waits) and the kind's and account's lock exclusively (another
    run with the same account waits: two runs under one nonce sequence would trip over each
    other)."""
    if not database.is_postgres:
        with exclusive_run(database.path, what):
            yield
        return
    keys = [(_run_key(kind), True), (_account_key(kind, account), False)]
    with _held(database, keys, _waits_for_runs(what), on_wait):
        yield


@contextlib.contextmanager
def storing(
    database: Database, kind: str, what: str, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """On PostgreSQL, hold the lock of checking and storing rows of `kind` for the block (one
    machine at a time; waited for); on SQLite the run lock already is one run at a time."""
    if not database.is_postgres:
        yield
        return
    message = (
        f"another machine is storing {kind} rows of this programme; "
        f"{_named(what)} waits for it to finish storing (seconds, not its sending)"
    )
    with _held(database, [(f"memberledger store {kind}", False)], message, on_wait):
        yield


@contextlib.contextmanager
def idle_accounts(database: Database, kind: str, accounts: Iterable[str]) -> Iterator[list[str]]:
    """Those of `accounts` that run nothing of `kind` now, their run locks held for the block
    (so none of them starts a run meanwhile and finds its batches gone). On SQLite every
    other account is idle: the vault's file lock is this run's alone."""
    if not database.is_postgres:
        yield list(accounts)
        return
    idle: list[str] = []
    try:
        for account in sorted(set(accounts)):
            if database.try_session_lock(_account_key(kind, account)):
                idle.append(account)
        yield idle
    finally:
        for account in idle:
            database.release_session_lock(_account_key(kind, account))


def _waits_for_runs(what: str) -> str:
    return (
        "another machine is running a bulk run or upkeep of this programme's database "
        f"(or a run with the same account); {_named(what)} waits for it to finish"
    )


def _named(what: str) -> str:
    return what.removeprefix("an ").removeprefix("a ")


def _run_key(kind: str) -> str:
    return f"memberledger run {kind}"


def _account_key(kind: str, account: str) -> str:
    return f"memberledger run {kind} by {account.lower()}"


@contextlib.contextmanager
def _held(
    database: Database,
    keys: Sequence[tuple[str, bool]],
    message: str,
    on_wait: Callable[[str], None] | None,
) -> Iterator[None]:
    """Take each advisory lock of `keys` (name, shared) in turn, waiting while another
    machine holds it (told once through `on_wait`, with `message`); release them all at the
    end."""
    held: list[tuple[str, bool]] = []
    try:
        told = False
        for key, shared in keys:
            while not database.try_session_lock(key, shared):
                if not told and on_wait is not None:
                    on_wait(message)
                told = True
                time.sleep(RUN_LOCK_POLL_SECONDS)
            held.append((key, shared))
        yield
    finally:
        for key, shared in reversed(held):
            database.release_session_lock(key, shared)
