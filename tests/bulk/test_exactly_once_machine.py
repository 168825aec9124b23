"""A Hypothesis state machine for the credit path: whatever happens to the journal, the batch
size, the issuers and the members, each reward event is credited at most once, and exactly once
after a final run.

The machine runs `issue_rewards` in this process against the chain of `ape test` (Anvil), with
a vault file of its own, and mixes in what goes wrong in real life: the journal is lost, or an
old backup of it is restored; the batch size changes between runs and files come reordered or
with rows missing; a hostile issuer credits some of the events first, grouped its own way; a
member is suspended while a batch waits in the mempool, and reinstated later. After every
step it counts, from the chain alone (each `BatchCredited` transaction's rows, minus its
`CreditSkipped` logs), how often each event was paid.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from operator_kit import open_sqlite
from rich.console import Console

from memberledger.bulk.chain_credits import rebuild_journal
from memberledger.bulk.rewards import issue_rewards, retry_skipped_credits
from memberledger.bulk.run import RunOptions
from memberledger.chain import calldata
from memberledger.chain.deployment import Deployment
from memberledger.chain.rpc import NodeClient, node_url
from memberledger.errors import JournalError
from memberledger.identifiers import event_tag, packed_credit_rows
from memberledger.programme import Programme
from memberledger.store.database import Database
from memberledger.store.journal import Journal
from memberledger.store.vault import Vault

#: Reward events of one example: (event id, member index, base points).
EVENTS = [(f"ev-{n}", n % 5, 3 + n) for n in range(12)]
KEY = secrets.token_bytes(32)


@pytest.fixture(scope="module")
def enrolled(registry: Any, registrar: Any, members: list[Any]) -> list[Any]:
    for member in members:
        registry.enroll(member, b"\x01" * 20, 0, 0, sender=registrar)
    return members


class CreditMachine(RuleBasedStateMachine):
    chain: Any
    accounts: Any
    registry: Any
    points: Any
    members: list[Any]
    registrar: Any
    hostile: Any
    folder: Path

    @initialize()
    def start(self) -> None:
        self.snapshot = self.chain.snapshot()
        self.generation = 0
        self.vault_path = self._new_vault_path()
        self.backups: list[Path] = []
        self.suspended: set[int] = set()
        self.node = NodeClient(node_url(self.chain.provider))
        self.deployment = Deployment(
            chain_id=self.chain.chain_id,
            registry=str(self.registry.address),
            points=str(self.points.address),
            deploy_block=0,
            deployer=str(self.accounts.test_accounts[0].address),
            policy_version=1,
            policy_hash="0x" + "11" * 32,
        )

    def teardown(self) -> None:
        if hasattr(self, "snapshot"):
            self.node.call("evm_setAutomine", True)
            self.chain.restore(self.snapshot)

    # ------------------------------------------------------------------ what operators do

    @rule(
        size=st.integers(1, 6),
        chosen=st.lists(st.sampled_from(range(len(EVENTS))), min_size=1, unique=True),
    )
    def issue(self, size: int, chosen: list[int]) -> None:
        """A reward file (any subset, any order) at any batch size."""
        self._issue([EVENTS[i] for i in chosen], size)

    @rule()
    def rebuild(self) -> None:
        with self._programme() as programme:
            rebuild_journal(programme)

    @rule()
    def back_up(self) -> None:
        copy = self.folder / f"backup-{len(self.backups)}-{secrets.token_hex(4)}.db"
        with open_sqlite(self.vault_path) as live, open_sqlite(copy) as target:
            live.backup(target)
        self.backups.append(copy)

    @precondition(lambda self: bool(self.backups))
    @rule(data=st.data())
    def restore_an_old_journal(self, data: st.DataObject) -> None:
        copy = data.draw(st.sampled_from(self.backups))
        for suffix in ("-wal", "-shm"):
            Path(str(self.vault_path) + suffix).unlink(missing_ok=True)
        shutil.copyfile(copy, self.vault_path)

    @rule()
    def lose_the_journal(self) -> None:
        self.vault_path = self._new_vault_path()

    @rule()
    def retry_skipped(self) -> None:
        # JournalError: the chain holds what the journal lacks; a rebuild comes first.
        with self._programme() as programme, contextlib.suppress(JournalError):
            retry_skipped_credits(programme, RunOptions())

    # ------------------------------------------------------------------ what goes wrong

    @rule(chosen=st.lists(st.sampled_from(range(len(EVENTS))), min_size=1, unique=True))
    def hostile_issuer_credits_first(self, chosen: list[int]) -> None:
        """Another issuer credits events nobody paid yet, right wallets and points, grouped
        its own way: it front-runs what our next run would send. (Paying an event twice
        itself is what an issuer's role allows and no tool can stop; the tool must not add
        a second payment.)"""
        paid = self._paid_on_chain()
        rows = [
            (self._wallet(m), p, event_tag(e))
            for e, m, p in (EVENTS[i] for i in chosen)
            if not paid[event_tag(e)]
        ]
        if rows:
            self.points.credit(packed_credit_rows(rows), sender=self.hostile)

    @rule(
        member=st.integers(0, 4),
        chosen=st.lists(st.sampled_from(range(len(EVENTS))), min_size=1, unique=True),
    )
    def member_suspended_while_a_batch_waits(self, member: int, chosen: list[int]) -> None:
        if member in self.suspended:
            return
        failures: list[BaseException] = []

        def issue() -> None:
            try:
                self._issue([EVENTS[i] for i in chosen], 50)
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        self.node.call("evm_setAutomine", False)
        run = threading.Thread(target=issue)
        run.start()
        deadline = time.monotonic() + 60
        while run.is_alive() and not self._batch_sent() and time.monotonic() < deadline:
            time.sleep(0.02)
        # The registrar's suspension pays a higher tip: it is mined before the batch.
        suspend = bytes(self.registry.suspend.encode_input(self._wallet(member)))
        self.node.call(
            "eth_sendTransaction",
            {
                "from": str(self.registrar.address),
                "to": self.deployment.registry,
                "data": "0x" + suspend.hex(),
                "maxPriorityFeePerGas": hex(50 * 10**9),
                "maxFeePerGas": hex(100 * 10**9),
            },
        )
        self.suspended.add(member)
        self.node.call("evm_mine")
        self.node.call("evm_setAutomine", True)
        run.join(timeout=120)
        assert not run.is_alive()
        if failures:
            raise failures[0]

    @precondition(lambda self: bool(self.suspended))
    @rule(data=st.data())
    def reinstate(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(sorted(self.suspended)))
        self.registry.reinstate(self._wallet(member), sender=self.registrar)
        self.suspended.discard(member)

    # ------------------------------------------------------------------ what must hold

    @invariant()
    def each_event_credited_at_most_once(self) -> None:
        if not hasattr(self, "deployment"):
            return
        paid = self._paid_on_chain()
        assert all(count <= 1 for count in paid.values()), paid

    def final_run(self) -> None:
        """Rebuild, reinstate everyone, run every event, retry what was skipped: then every
        event has been credited exactly once."""
        for member in sorted(self.suspended):
            self.registry.reinstate(self._wallet(member), sender=self.registrar)
        self.suspended.clear()
        with self._programme() as programme:
            rebuild_journal(programme)
        self._issue(EVENTS, 5)
        with self._programme() as programme:
            retry_skipped_credits(programme, RunOptions())
        paid = self._paid_on_chain()
        assert {e: paid.get(event_tag(e), 0) for e, _, _ in EVENTS} == {e: 1 for e, _, _ in EVENTS}

    # ------------------------------------------------------------------ helpers

    def _issue(self, events: list[tuple[str, int, int]], size: int) -> None:
        path = self.folder / f"rewards-{secrets.token_hex(4)}.csv"
        with path.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["event_id", "wallet", "points"])
            writer.writerows((e, self._wallet(m), p) for e, m, p in events)
        with self._programme() as programme:
            try:
                issue_rewards(programme, path, RunOptions(batch_size=size, skip_invalid=True))
            except JournalError as exc:
                assert "ape run journal rebuild" in str(exc), exc

    def _programme(self) -> Any:
        machine = self

        class Opened:
            def __enter__(self) -> Programme:
                self.database = Database(machine.vault_path)
                vault = Vault(self.database, KEY)
                return Programme(
                    machine.chain,
                    machine.accounts,
                    machine.deployment,
                    machine.registry,
                    machine.points,
                    self.database,
                    vault,
                    Journal(self.database),
                    console=Console(quiet=True),
                )

            def __exit__(self, *exc: object) -> None:
                self.database.close()

        return Opened()

    def _paid_on_chain(self) -> Counter[bytes]:
        """How often each event tag was credited: rows of every `BatchCredited` transaction,
        minus the rows its `CreditSkipped`/`CreditRoundedToZero` logs name."""
        paid: Counter[bytes] = Counter()
        logs = self.node.logs(self.deployment.points, [calldata.BATCH_CREDITED_TOPIC], 0)
        skip_topics = frozenset(
            {calldata.CREDIT_SKIPPED_TOPIC, calldata.CREDIT_ROUNDED_TO_ZERO_TOPIC}
        )
        for log in logs:
            tx_hash = str(log["transactionHash"])
            tx = self.node.call("eth_getTransactionByHash", tx_hash)
            rows = calldata.decode_credit(bytes.fromhex(str(tx["input"])[2:])) or []
            (receipt,) = self.node.receipts([tx_hash], skip_topics)
            assert receipt is not None
            skipped = {bytes.fromhex(str(s["topics"][2])[2:34]) for s in receipt.logs}
            paid.update(row.tag for row in rows if row.tag not in skipped)
        return paid

    def _batch_sent(self) -> bool:
        try:
            with open_sqlite(self.vault_path, timeout=0.5) as db:
                return bool(
                    db.execute("SELECT 1 FROM journal_batches WHERE status = 'sent'").fetchone()
                )
        except sqlite3.OperationalError:
            return False

    def _wallet(self, member: int) -> str:
        return str(self.members[member].address)

    def _new_vault_path(self) -> Path:
        self.generation += 1
        return self.folder / f"vault-{self.generation}-{secrets.token_hex(4)}.db"


def test_each_event_is_credited_at_most_once_and_exactly_once_after_a_final_run(
    chain: Any,
    accounts: Any,
    registry: Any,
    points: Any,
    enrolled: list[Any],
    registrar: Any,
    issuer: Any,
    tmp_path: Path,
) -> None:
    class Machine(CreditMachine):
        def teardown(self) -> None:
            try:
                if hasattr(self, "deployment"):
                    self.final_run()
            finally:
                super().teardown()

    from ape import accounts as account_manager  # what the scripts see: has test_accounts

    Machine.chain, Machine.accounts = chain, account_manager
    Machine.registry, Machine.points = registry, points
    Machine.members, Machine.registrar, Machine.hostile = enrolled, registrar, issuer
    Machine.folder = tmp_path
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    examples, steps = (12, 8) if profile == "ci" else (200, 20)
    run_state_machine_as_test(
        Machine,
        settings=settings(
            settings.get_profile(profile), max_examples=examples, stateful_step_count=steps
        ),
    )
