"""Points are money: each reward event is credited at most once, whatever happens to the
journal, whoever else holds the issuer role, and whoever leaves while a batch is on its way.

Each case below was reproduced against release 0.1.0 (issue 14) and is run here against a real
Anvil through the real scripts; balances are checked member by member, and total supply.
The members are Anvil's own accounts 3 to 9, so they can sign their own `leave()`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fault_kit import start_script
from operator_kit import (
    Operator,
    member_row,
    new_operator,
    open_sqlite,
    rpc,
    write_members,
    write_rewards,
)
from web3 import Web3
from web3.types import Wei

from memberledger.chain.local_node import anvil_command, free_port, local_url, start_node, stop_node
from memberledger.hashing import keccak256
from memberledger.identifiers import event_tag, packed_credit_rows

#: Anvil's first ten accounts (public development keys, never holding real funds).
MNEMONIC_ACCOUNTS = 10
#: Base points per reward event; members are basic tier (1.00x), so points credited = base.
POINTS = 10


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    """A private Anvil that mines a block per transaction (automine), so a test can stop it
    to line transactions up in one block."""
    port = free_port()
    process = start_node(anvil_command(port), local_url(port))
    yield local_url(port)
    stop_node(process)


@pytest.fixture(scope="module")
def web3(node: str) -> Web3:
    return Web3(Web3.HTTPProvider(node))


@pytest.fixture
def operator(node: str, tmp_path: Path) -> Operator:
    """A fresh deployment and vault per test: the cases do not share a programme."""
    return new_operator(node, tmp_path)


@pytest.fixture
def contracts(operator: Operator, web3: Web3, project: Any) -> dict[str, Any]:
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())

    def contract(name: str, address: str) -> Any:
        abi = [
            item.model_dump(mode="json", by_alias=True, exclude_none=True)
            for item in getattr(project, name).contract_type.abi
        ]
        return web3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

    return {
        "registry": contract("MembershipRegistry", manifest["registry"]),
        "points": contract("LoyaltyPoints", manifest["points"]),
    }


@pytest.fixture
def members(operator: Operator, web3: Web3) -> list[str]:
    """Anvil accounts 3..9, enrolled (basic tier) through `ape run enroll`."""
    wallets = [account(web3, i) for i in range(3, MNEMONIC_ACCOUNTS)]
    rows = [member_row(f"m-{i}", wallet=w, tier="basic") for i, w in enumerate(wallets)]
    operator.run("enroll", write_members(operator.workdir / "members.csv", rows)).ok()
    return wallets


def account(web3: Web3, index: int) -> str:
    """Anvil's development account `index` (unlocked: the node signs for it)."""
    return str(list(web3.eth.accounts)[index])


def balances(contracts: dict[str, Any], wallets: list[str]) -> dict[str, int]:
    return {w: int(contracts["points"].functions.balanceOf(w).call()) for w in wallets}


def supply(contracts: dict[str, Any]) -> int:
    return int(contracts["points"].functions.totalSupply().call())


def events_for(wallets: list[str], prefix: str, per_member: int = 2) -> list[tuple[str, str, int]]:
    return [
        (f"{prefix}:{i}:{n}", w, POINTS) for i, w in enumerate(wallets) for n in range(per_member)
    ]


def backup(operator: Operator, to: Path) -> None:
    """A consistent copy of the vault file, as a backup tool would take it."""
    with open_sqlite(operator.vault_path) as live, open_sqlite(to) as copy:
        live.backup(copy)


def restore(operator: Operator, copy: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(operator.vault_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, operator.vault_path)


# ---------------------------------------------------------------- 1. a lost or restored journal


def test_restored_journal_refuses_until_rebuilt_then_pays_nothing_twice(
    operator: Operator, contracts: dict[str, Any], members: list[str], tmp_path: Path
) -> None:
    rewards = events_for(members, "order")
    path = write_rewards(tmp_path / "rewards.csv", rewards)
    backup(operator, tmp_path / "before-credits.db")
    operator.run("issue_rewards", path, "--batch-size", "2").ok()
    paid = balances(contracts, members)
    assert paid == {w: 2 * POINTS for w in members}
    total = supply(contracts)

    restore(operator, tmp_path / "before-credits.db")
    # Another batch size, the file reordered and a row dropped: new batch ids all round.
    shuffled = write_rewards(tmp_path / "again.csv", list(reversed(rewards))[1:])
    refused = operator.run("issue_rewards", shuffled)

    assert refused.returncode == 2
    assert "journal does not know" in refused.stderr
    assert "ape run journal rebuild" in refused.stderr
    assert supply(contracts) == total

    rebuilt = operator.run("journal", "rebuild").ok()
    assert "credit batches learnt" in rebuilt.stdout
    again = operator.run("issue_rewards", shuffled).ok()
    assert "nothing to do" in again.stdout
    assert balances(contracts, members) == paid
    assert supply(contracts) == total


def test_lost_journal_a_new_vault_learns_every_credit_from_the_chain(
    operator: Operator, contracts: dict[str, Any], members: list[str], tmp_path: Path
) -> None:
    path = write_rewards(tmp_path / "rewards.csv", events_for(members, "visit"))
    operator.run("issue_rewards", path).ok()
    total = supply(contracts)

    lost = operator.env | {"MEMBERLEDGER_VAULT": str(tmp_path / "new-vault.db")}
    assert operator.run("issue_rewards", path, env=lost).returncode == 2
    operator.run("journal", "rebuild", env=lost).ok()
    again = operator.run("issue_rewards", path, env=lost).ok()

    assert "nothing to do" in again.stdout
    assert supply(contracts) == total


# ---------------------------------------------------------------- 2. a hostile issuer


def test_hostile_issuer_crediting_our_batch_first_pays_each_event_once(
    operator: Operator, contracts: dict[str, Any], members: list[str], web3: Web3, tmp_path: Path
) -> None:
    rewards = events_for(members, "promo", per_member=1)
    path = write_rewards(tmp_path / "promo.csv", rewards)
    hostile = account(web3, 2)
    points = contracts["points"]
    points.functions.grantRole(points.functions.ISSUER_ROLE().call(), hostile).transact(
        {"from": account(web3, 0)}
    )
    # The very content our tool is about to send, sent first by another issuer.
    ours = packed_credit_rows((w, p, event_tag(e)) for e, w, p in rewards)
    points.functions.credit(ours).transact({"from": hostile})
    paid = balances(contracts, members)
    total = supply(contracts)

    refused = operator.run("issue_rewards", path)
    assert refused.returncode == 2 and "issuer " + hostile in refused.stderr
    operator.run("journal", "rebuild").ok()
    run = operator.run("issue_rewards", path).ok()

    assert "nothing to do" in run.stdout
    assert balances(contracts, members) == paid == {w: POINTS for w in members}
    assert supply(contracts) == total


def test_hostile_issuer_paying_our_events_to_someone_else_is_shown_not_hidden(
    operator: Operator, contracts: dict[str, Any], members: list[str], web3: Web3, tmp_path: Path
) -> None:
    rewards = events_for(members[:2], "gift", per_member=1)
    path = write_rewards(tmp_path / "gift.csv", rewards)
    hostile = account(web3, 2)
    points = contracts["points"]
    points.functions.grantRole(points.functions.ISSUER_ROLE().call(), hostile).transact(
        {"from": account(web3, 0)}
    )
    # Our event ids' tags, paid to another member.
    stolen = packed_credit_rows((members[6], 1, event_tag(e)) for e, _, _ in rewards)
    points.functions.credit(stolen).transact({"from": hostile})
    operator.run("journal", "rebuild").ok()
    before = balances(contracts, members)

    run = operator.run("issue_rewards", path)

    assert run.returncode == 2
    assert "already credited on chain" in run.stderr and "another wallet" in run.stderr
    assert balances(contracts, members) == before


def test_batch_ids_are_per_issuer_so_nobody_can_use_ours_up(
    operator: Operator, contracts: dict[str, Any], members: list[str], web3: Web3, tmp_path: Path
) -> None:
    """Today a second issuer could call `credit` with the id of our next batch and our tool
    recorded it as ours. Now the id is the content, kept per issuer, and the tool confirms a
    batch only by its own transaction."""
    hostile = account(web3, 2)
    points = contracts["points"]
    points.functions.grantRole(points.functions.ISSUER_ROLE().call(), hostile).transact(
        {"from": account(web3, 0)}
    )
    rows = packed_credit_rows([(members[0], POINTS, event_tag("squat:1"))])
    points.functions.credit(rows).transact({"from": hostile})
    operator_address = account(web3, 0)
    identity = keccak256(rows)

    assert points.functions.batchApplied(hostile, identity).call()
    assert not points.functions.batchApplied(operator_address, identity).call()


# ---------------------------------------------------------------- 3. a member leaves mid-batch


def _send_while_held(
    operator: Operator, web3: Web3, path: Path, interrupt: Any, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run issue_rewards with mining stopped; once its batch is sent, call `interrupt()`
    (a transaction that must land first: it pays a higher tip), then mine."""
    rpc(web3, "evm_setAutomine", False)
    try:
        process = start_script(operator, "issue_rewards", path, *args)
        deadline = time.monotonic() + 120
        while not _has_sent_batch(operator):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the batch was never sent"
            time.sleep(0.05)
        interrupt()
        rpc(web3, "evm_mine")
    finally:
        rpc(web3, "evm_setAutomine", True)
    output, _ = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def _has_sent_batch(operator: Operator) -> bool:
    try:
        with open_sqlite(operator.vault_path, timeout=1) as db:
            return bool(
                db.execute("SELECT 1 FROM journal_batches WHERE status = 'sent'").fetchone()
            )
    except sqlite3.OperationalError:
        return False


def test_member_leaving_while_a_batch_waits_is_skipped_and_the_rest_credited(
    operator: Operator, contracts: dict[str, Any], members: list[str], web3: Web3, tmp_path: Path
) -> None:
    leaver = members[3]
    path = write_rewards(tmp_path / "week.csv", events_for(members, "week", per_member=1))
    before = balances(contracts, members)

    def leave() -> None:
        contracts["registry"].functions.leave().transact(
            {"from": leaver, "maxPriorityFeePerGas": 50 * 10**9, "maxFeePerGas": 100 * 10**9}
        )

    run = _send_while_held(operator, web3, path, leave)

    assert run.returncode == 0, run.stdout
    assert "skipped by the chain now (member not active)" in run.stdout
    after = balances(contracts, members)
    assert after[leaver] == before[leaver]
    assert all(after[w] == before[w] + POINTS for w in members if w != leaver)
    listed = operator.run("journal", "skipped").ok()
    assert leaver in listed.stdout and "revoked" in listed.stdout
    # Running the file again neither pays the leaver nor refuses the file.
    again = operator.run("issue_rewards", path).ok()
    assert "nothing to do" in again.stdout
    assert balances(contracts, members) == after


def test_suspended_mid_batch_is_credited_once_after_reinstatement_with_retry_skipped(
    operator: Operator, contracts: dict[str, Any], members: list[str], web3: Web3, tmp_path: Path
) -> None:
    member = members[4]
    registry = contracts["registry"]
    admin = account(web3, 0)
    path = write_rewards(tmp_path / "month.csv", events_for(members, "month", per_member=1))
    before = balances(contracts, members)
    # Another registrar (support staff, on another machine) suspends the member while the
    # operator's credit batch waits to be mined.
    registrar = Account.create()
    web3.eth.send_transaction({"from": admin, "to": registrar.address, "value": Wei(10**18)})
    registry.functions.grantRole(
        registry.functions.REGISTRAR_ROLE().call(), registrar.address
    ).transact({"from": admin})

    def suspend_by_other_registrar() -> None:
        tx = registry.functions.suspend(member).build_transaction(
            {
                "from": registrar.address,
                "nonce": web3.eth.get_transaction_count(registrar.address),
                "maxPriorityFeePerGas": 50 * 10**9,
                "maxFeePerGas": 100 * 10**9,
                "gas": 100_000,
            }
        )
        web3.eth.send_raw_transaction(registrar.sign_transaction(tx).raw_transaction)

    run = _send_while_held(operator, web3, path, suspend_by_other_registrar)
    assert run.returncode == 0, run.stdout
    assert balances(contracts, members)[member] == before[member]

    waiting = operator.run("issue_rewards", "--retry-skipped").ok()
    assert "still waiting (member not active)" in waiting.stdout
    registry.functions.reinstate(member).transact({"from": admin})
    retried = operator.run("issue_rewards", "--retry-skipped").ok()
    again = operator.run("issue_rewards", "--retry-skipped").ok()
    rerun = operator.run("issue_rewards", path).ok()

    assert "sent again (member active now)" in retried.stdout
    assert balances(contracts, members)[member] == before[member] + POINTS
    assert "nothing to send" in again.stdout
    assert "nothing to do" in rerun.stdout
    assert balances(contracts, members) == {w: before[w] + POINTS for w in members}


# ---------------------------------------------------------------- 4. a vault and its deployment


def test_vault_pointed_at_another_deployment_is_refused_naming_both(
    operator: Operator, members: list[str], tmp_path: Path
) -> None:
    redeploy = operator.env | {"MEMBERLEDGER_DEPLOYMENTS": str(tmp_path / "elsewhere")}
    operator.run("deploy", env=redeploy).ok()

    run = operator.run("member", "m-0", env=redeploy)

    assert run.returncode == 2
    first = json.loads((operator.workdir / "deployments" / "31337.json").read_text())
    second = json.loads((tmp_path / "elsewhere" / "31337.json").read_text())
    assert first["registry"] in run.stderr and second["registry"] in run.stderr
    assert "use a new vault" in run.stderr
