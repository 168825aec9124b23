"""One bulk run per vault at a time.

Two copies of `enroll` or `issue_rewards` on the same vault would plan and send the same
work twice over (the contracts would refuse the duplicates, but at the price of failed
transactions and a confused journal), so each run holds an exclusive lock on a file beside
the vault. The operating system releases it when the process ends, however it ends (even
SIGKILL), so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from memberledger.errors import VaultBusy


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
