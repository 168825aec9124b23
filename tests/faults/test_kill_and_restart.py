"""Exactly once, whatever happens to the process or the node.

`ape run enroll` and `ape run issue_rewards` are killed with SIGKILL at random instants of
their work (at least 20 times each), then run to the end; the node is restarted under a
running enrollment; two copies are started at once. Afterwards every member carries exactly
one `MemberEnrolled` event, the vault agrees with the chain, every reward event paid exactly
once, and the journal holds every row once, confirmed.

The node mines a block every 0.25 s, so kills land between broadcast and receipt too, and
transactions of a killed run are mined after it died.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fault_kit import Node, start_script, wait_for_lock
from operator_kit import Operator, member_row, open_sqlite, write_members, write_rewards
from web3 import Web3

from memberledger.chain.deployment import DEFAULT_TIER_MULTIPLIERS
from memberledger.chain.reads import ChainStatus, fetch_commitments, fetch_statuses
from memberledger.chain.rpc import NodeClient
from memberledger.tiers import parse_tier

KILLS = 20
MEMBERS = 4_000
#: Reward events per member: enough work that a run still has some left at its 20th kill.
EVENTS_PER_MEMBER = 2
BATCH = "20"
#: Kills land this many seconds (at most) after the run has taken the vault's lock.
KILL_WINDOW = 1.2
SEED = random.randrange(2**32)


@pytest.fixture(scope="module")
def contracts(operator: Operator, node: Node, project: Any) -> dict[str, Any]:
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())
    web3 = node.web3()

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


@pytest.fixture(scope="module")
def members(operator: Operator) -> list[dict[str, str]]:
    return [
        member_row(f"kill-{i}", tier=["basic", "silver", "gold", "platinum"][i % 4])
        for i in range(MEMBERS)
    ]


def kill_repeatedly(
    operator: Operator, rng: random.Random, script: str, *args: str | Path
) -> list[float]:
    """Start the script again and again, killing it `KILLS` times mid-work."""
    delays: list[float] = []
    while len(delays) < KILLS:
        process = start_script(operator, script, *args, "--batch-size", BATCH, "--in-flight", "4")
        assert wait_for_lock(operator, process), process.communicate()[0]
        delay = rng.uniform(0.0, KILL_WINDOW)
        time.sleep(delay)
        if process.poll() is not None:
            output = process.communicate()[0]
            raise AssertionError(f"the run finished before kill {len(delays) + 1}:\n{output}")
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        delays.append(round(delay, 3))
    return delays


def journal_rows(operator: Operator, query: str) -> list[Any]:
    with open_sqlite(operator.vault_path) as db:
        return db.execute(query).fetchall()


def assert_enrolled_exactly_once(
    operator: Operator,
    contracts: dict[str, Any],
    rows: list[dict[str, str]],
    *,
    history_complete: bool = True,
) -> None:
    """One `MemberEnrolled` per member, with the vault's commitment, and the vault's tx.

    A node restarted from a state file written by a SIGKILLed Anvil may hold state whose
    blocks and logs were never written (the file is written every second, not atomically
    with the blocks): then the chain's state is the evidence, and no member may have more
    than one event."""
    logs = contracts["registry"].events.MemberEnrolled.get_logs(from_block=0)
    wanted = {row["wallet"] for row in rows}
    events = [log for log in logs if log.args.member in wanted]
    counts = Counter(log.args.member for log in events)
    assert set(counts.values()) <= {1}, counts.most_common(3)
    if history_complete:
        assert set(counts) == wanted, len(wanted - set(counts))
    on_chain = {log.args.member: log for log in events}
    vault = {
        member_id: (wallet, commitment, status, tx)
        for member_id, wallet, commitment, status, tx in journal_rows(
            operator, "SELECT member_id, wallet, commitment, status, enroll_tx FROM members"
        )
    }
    node = NodeClient(operator.url)
    registry = contracts["registry"].address
    wallets = [row["wallet"] for row in rows]
    held = fetch_commitments(node, registry, wallets)
    statuses = fetch_statuses(node, registry, wallets)
    for row, commitment_held, (status, _) in zip(rows, held, statuses, strict=True):
        wallet, commitment, vault_status, tx = vault[row["member_id"]]
        assert vault_status == "enrolled" and status is ChainStatus.ACTIVE
        assert commitment == "0x" + commitment_held.hex()
        if wallet in on_chain:
            log = on_chain[wallet]
            assert commitment == "0x" + bytes(log.args.commitment).hex()
            assert tx == "0x" + bytes(log.transactionHash).hex()
    ids = [row["member_id"] for row in rows]
    entries = journal_rows(
        operator,
        "SELECT e.entry_key, b.status FROM journal_entries e JOIN journal_batches b "
        "USING (batch_id) WHERE e.kind = 'enroll'",
    )
    batch_status = {key: status for key, status in entries}
    assert all(batch_status.get(member_id) == "confirmed" for member_id in ids)
    assert not journal_rows(
        operator, "SELECT 1 FROM journal_batches WHERE status IN ('planned', 'sent')"
    )
    hashes = journal_rows(
        operator,
        "SELECT tx_hash, COUNT(*) FROM journal_batches WHERE status = 'confirmed' "
        "GROUP BY tx_hash HAVING COUNT(*) > 1",
    )
    assert hashes == []


def test_enroll_killed_at_random_points_enrolls_everyone_exactly_once(
    operator: Operator, contracts: dict[str, Any], members: list[dict[str, str]]
) -> None:
    path = write_members(operator.workdir / "kill.csv", members)
    rng = random.Random(SEED)

    delays = kill_repeatedly(operator, rng, "enroll", path)
    final = operator.run("enroll", path, "--batch-size", BATCH).ok()

    print(f"seed {SEED}; killed after {delays} s")
    assert "enrolled now" in final.stdout
    assert_enrolled_exactly_once(operator, contracts, members)


def test_issue_rewards_killed_at_random_points_credits_each_event_once(
    operator: Operator, contracts: dict[str, Any], members: list[dict[str, str]]
) -> None:
    # Needs the members of the test above (enrolled whatever its outcome order: it runs first).
    points = contracts["points"]
    before = {row["wallet"]: points.functions.balanceOf(row["wallet"]).call() for row in members}
    events = [
        (f"order:{i}:{k}", row["wallet"], 10 + (i + k) % 50)
        for k in range(EVENTS_PER_MEMBER)
        for i, row in enumerate(members)
    ]
    path = write_rewards(operator.workdir / "kill-rewards.csv", events)
    rng = random.Random(SEED + 1)

    delays = kill_repeatedly(operator, rng, "issue_rewards", path)
    operator.run("issue_rewards", path, "--batch-size", BATCH).ok()
    again = operator.run("issue_rewards", path).ok()

    print(f"seed {SEED + 1}; killed after {delays} s")
    assert "nothing to do" in again.stdout
    tiers = {row["wallet"]: parse_tier(row["tier"]) for row in members}
    expected = dict(before)
    for _, wallet, amount in events:  # each credit is rounded down on its own
        expected[wallet] += amount * DEFAULT_TIER_MULTIPLIERS[tiers[wallet]] // 10_000
    for wallet, balance in expected.items():
        assert points.functions.balanceOf(wallet).call() == balance, wallet
    credited = [
        log
        for log in points.events.BatchCredited.get_logs(from_block=0)
        if log.args.count  # every batch of this vault
    ]
    assert len({log.args.contentHash for log in credited}) == len(credited)
    keys = journal_rows(
        operator,
        "SELECT COUNT(*), COUNT(DISTINCT e.entry_key) FROM journal_entries e "
        "JOIN journal_batches b USING (batch_id) WHERE e.kind = 'credit' "
        "AND b.status = 'confirmed' AND e.entry_key LIKE 'order:%'",
    )
    assert keys == [(MEMBERS * EVENTS_PER_MEMBER, MEMBERS * EVENTS_PER_MEMBER)]


def test_enroll_survives_node_restarts_and_rollback_mid_run(
    operator: Operator, node: Node, contracts: dict[str, Any]
) -> None:
    rows = [member_row(f"restart-{i}") for i in range(1_500)]
    path = write_members(operator.workdir / "restart.csv", rows)
    process = start_script(operator, "enroll", path, "--batch-size", BATCH, "--in-flight", "4")
    assert wait_for_lock(operator, process)

    # SIGTERM: Anvil writes its state on the way out. SIGKILL: it does not, and comes back
    # with the state it last wrote (each second): blocks the run saw confirmed are gone.
    for pause, how in ((0.8, signal.SIGTERM), (1.5, signal.SIGKILL)):
        time.sleep(pause)
        node.stop(how)
        time.sleep(0.5)
        node.start()

    output = process.communicate(timeout=180)[0]
    assert process.returncode == 0, output
    assert "not answering" in output
    assert_enrolled_exactly_once(operator, contracts, rows, history_complete=False)


def test_two_copies_at_once_enroll_everyone_once(
    operator: Operator, contracts: dict[str, Any]
) -> None:
    rows = [member_row(f"twin-{i}") for i in range(1_000)]
    path = write_members(operator.workdir / "twins.csv", rows)
    outputs: list[tuple[int, str]] = []

    def run() -> None:
        process = start_script(operator, "enroll", path, "--batch-size", BATCH)
        output = process.communicate(timeout=180)[0]
        outputs.append((process.returncode, output))

    copies = [threading.Thread(target=run) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()

    codes = sorted(code for code, _ in outputs)
    assert codes in ([0, 0], [0, 2]), outputs
    if codes == [0, 2]:
        refused = next(text for code, text in outputs if code == 2)
        assert "is in use by an enroll run" in refused
        assert "Traceback" not in refused
    assert_enrolled_exactly_once(operator, contracts, rows)


def test_enroll_waits_for_the_confirmations_asked_for(
    operator: Operator, node: Node, contracts: dict[str, Any]
) -> None:
    rows = [member_row(f"deep-{i}") for i in range(30)]
    path = write_members(operator.workdir / "deep.csv", rows)

    operator.run("enroll", path, "--batch-size", "10", "--confirmations", "4").ok()

    head = node.web3().eth.block_number
    blocks = journal_rows(
        operator,
        "SELECT DISTINCT b.block FROM journal_batches b JOIN journal_entries e "
        "USING (batch_id) WHERE e.entry_key LIKE 'deep-%'",
    )
    assert len(blocks) >= 1
    # Confirmed only once 3 more blocks stood on each batch's block.
    assert all(head >= block + 3 for (block,) in blocks)
    assert_enrolled_exactly_once(operator, contracts, rows)
