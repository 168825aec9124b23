"""The run locks: on SQLite the vault file's (a second copy is refused); on PostgreSQL the
database's advisory locks: bulk runs of one kind by different accounts go on together, a
second run by the same account waits, upkeep waits for every run of its kinds, and storing
is one machine at a time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from memberledger.errors import VaultBusy
from memberledger.store.database import Database
from memberledger.store.lock import account_run, idle_accounts, shared_run, storing


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


ALICE, BOB = "0x" + "a1" * 20, "0x" + "b2" * 20


@pytest.mark.sqlite_only
def test_a_second_bulk_run_on_a_sqlite_vault_is_refused_whatever_its_account(
    tmp_path: Path,
) -> None:
    first, second = Database(tmp_path / "vault.db"), Database(tmp_path / "vault.db")
    try:
        with (
            account_run(first, "enroll", ALICE, "an enroll run"),
            pytest.raises(VaultBusy, match="is in use by an enroll run"),
            account_run(second, "enroll", BOB, "an enroll run"),
        ):
            pass
    finally:
        first.close()
        second.close()


@pytest.mark.postgres_only
def test_on_postgres_runs_of_one_kind_by_two_accounts_go_on_together_and_one_account_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.lock.RUN_LOCK_POLL_SECONDS", 0.05)
    machines = [Database(tmp_path / f"machine-{i}.db") for i in range(4)]
    told: list[str] = []
    order: list[str] = []
    try:
        with account_run(machines[0], "enroll", ALICE, "an enroll run"):
            with account_run(machines[1], "enroll", BOB, "an enroll run", told.append):
                order.append("bob's run beside alice's")
                with idle_accounts(machines[2], "enroll", [ALICE, BOB]) as idle:
                    assert idle == []  # both are running: neither's batches may be taken
            with idle_accounts(machines[2], "enroll", [ALICE, BOB]) as idle:
                assert idle == [BOB]

            def alice_again() -> None:
                with account_run(
                    machines[2],
                    "enroll",
                    ALICE.upper().replace("0X", "0x"),
                    "an enroll run",
                    told.append,
                ):
                    order.append("alice's second run")

            def prune() -> None:
                with shared_run(machines[3], ("enroll", "credit"), "vault prune", told.append):
                    order.append("prune")

            waiting = [threading.Thread(target=alice_again), threading.Thread(target=prune)]
            for thread in waiting:
                thread.start()
            time.sleep(0.5)
            order.append("alice's first run ends")
        for thread in waiting:
            thread.join(10)
    finally:
        for machine in machines:
            machine.close()

    # Prune waits for the kind's lock, which alice's second run holds shared while it waits.
    assert order == [
        "bob's run beside alice's",
        "alice's first run ends",
        "alice's second run",
        "prune",
    ]
    assert len(told) == 2 and all("waits for it to finish" in text for text in told)


@pytest.mark.postgres_only
def test_on_postgres_storing_is_one_machine_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.lock.RUN_LOCK_POLL_SECONDS", 0.05)
    machines = [Database(tmp_path / f"machine-{i}.db") for i in range(2)]
    told: list[str] = []
    order: list[str] = []
    try:
        with storing(machines[0], "credit", "an issue_rewards run"):

            def second() -> None:
                with storing(machines[1], "credit", "an issue_rewards run", told.append):
                    order.append("second stores")

            waiting = threading.Thread(target=second)
            waiting.start()
            time.sleep(0.3)
            order.append("first stored")
        waiting.join(10)
        with storing(machines[1], "enroll", "an enroll run"):  # another kind: no wait
            order.append("enroll stores")
    finally:
        for machine in machines:
            machine.close()

    assert order == ["first stored", "second stores", "enroll stores"]
    assert len(told) == 1 and "storing credit rows" in told[0]
