"""The run lock: on SQLite the vault file's (a second copy is refused), on PostgreSQL the
database's advisory lock per kind of run (another machine's run waits for it)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from memberledger.errors import VaultBusy
from memberledger.store.database import Database
from memberledger.store.lock import shared_run


@pytest.mark.sqlite_only
def test_a_second_run_on_a_sqlite_vault_is_refused(tmp_path: Path) -> None:
    first, second = Database(tmp_path / "vault.db"), Database(tmp_path / "vault.db")
    try:
        with (
            shared_run(first, "enroll", "an enroll run"),
            pytest.raises(VaultBusy, match="is in use by an enroll run"),
            shared_run(second, "credit", "an issue_rewards run"),
        ):
            pass
    finally:
        first.close()
        second.close()


@pytest.mark.postgres_only
def test_on_postgres_a_run_of_the_same_kind_waits_and_another_kind_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.lock.RUN_LOCK_POLL_SECONDS", 0.05)
    machines = [Database(tmp_path / f"machine-{i}.db") for i in range(3)]
    told: list[str] = []
    order: list[str] = []
    try:
        with shared_run(machines[0], "credit", "an issue_rewards run"):
            with shared_run(machines[1], "enroll", "an enroll run", on_wait=told.append):
                order.append("enroll ran beside the credit run")

            def upkeep() -> None:
                with shared_run(machines[2], ("enroll", "credit"), "vault prune", told.append):
                    order.append("prune")

            waiting = threading.Thread(target=upkeep)
            waiting.start()
            time.sleep(0.5)
            order.append("credit run ends")
        waiting.join(10)
    finally:
        for machine in machines:
            machine.close()

    assert order == ["enroll ran beside the credit run", "credit run ends", "prune"]
    assert len(told) == 1 and "vault prune waits for it to finish" in told[0]
