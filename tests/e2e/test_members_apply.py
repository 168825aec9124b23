"""`ape run members apply changes.csv`: a file of lifecycle actions, checked whole first; data
rows one update each, status and tier rows many to a `changeBatch` transaction; each row once
even when run again, even when a run is killed between sending a batch and its receipt."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fault_kit import start_script
from operator_kit import Contracts, Operator, block_transactions, enroll_new, rpc, write_csv


def status_and_tier(contracts: Contracts, wallet: str) -> tuple[int, int]:
    record = contracts.registry.functions.memberOf(wallet).call()
    return int(record[3]), int(record[2])


def test_members_apply_carries_out_each_row_once(operator: Operator, contracts: Contracts) -> None:
    a, b, c = enroll_new(operator, "apply", 3, tier="basic")
    path = write_csv(
        operator.workdir / "changes.csv",
        ("member", "action", "value"),
        [
            {"member": a["member_id"], "action": "tier", "value": "gold"},
            {"member": b["member_id"], "action": "suspend", "value": "lost card"},
            {"member": b["wallet"], "action": "reinstate", "value": ""},
            {"member": c["member_id"], "action": "email", "value": "C.Moved@Example.org"},
            {"member": c["member_id"], "action": "phone", "value": ""},
            {"member": a["member_id"], "action": "revoke", "value": ""},
        ],
    )

    run = operator.run("members", "apply", path, "--letters", operator.workdir / "apply-l").ok()
    height = contracts.height()
    again = operator.run("members", "apply", path).ok()

    assert "2 transactions sent" in run.stdout  # c's update, then one batch of four rows
    assert status_and_tier(contracts, a["wallet"]) == (3, 2)  # gold, then revoked
    assert status_and_tier(contracts, b["wallet"]) == (1, 0)  # suspended, then reinstated
    assert len(contracts.logs(contracts.registry, "MemberSuspended", member=b["wallet"])) == 1
    with operator.vault() as vault:
        record = vault.member_record(c["member_id"])
        stored = vault.get(c["member_id"])
    assert record.shown.email == "C.Moved@Example.org" and record.shown.phone == ""
    assert stored is not None
    assert contracts.registry.functions.memberOf(c["wallet"]).call()[0] == stored.commitment.value
    assert (operator.workdir / "apply-l" / f"letter-{c['member_id']}.html").exists()
    assert "6 row(s) were carried out by an earlier run of this file: skipped" in again.stdout
    assert contracts.height() == height


def test_members_apply_refuses_a_file_with_problems_and_sends_nothing(
    operator: Operator, contracts: Contracts
) -> None:
    (d,) = enroll_new(operator, "refused")
    path = write_csv(
        operator.workdir / "bad-changes.csv",
        ("member", "action", "value"),
        [
            {"member": d["member_id"], "action": "revoke", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "gold"},
            {"member": "nobody-here", "action": "suspend", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "diamond"},
            {"member": d["member_id"], "action": "promote", "value": ""},
            {"member": d["member_id"], "action": "email", "value": "secret-but-wrong"},
        ],
    )
    height = contracts.height()

    refused = operator.run("members", "apply", path)

    assert refused.returncode == 2
    assert "line 5, field 'value': unknown tier 'diamond'" in refused.stderr
    assert "line 6, field 'action': unknown action 'promote'" in refused.stderr
    assert "line 7, field 'value': email: not a valid e-mail address" in refused.stderr
    assert "secret-but-wrong" not in refused.output  # a value is never echoed
    assert "nothing was stored or sent. Fix the file and run it again" in refused.stderr
    assert contracts.height() == height

    fixed = write_csv(
        operator.workdir / "bad-changes-2.csv",
        ("member", "action", "value"),
        [
            {"member": d["member_id"], "action": "revoke", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "gold"},
            {"member": "nobody-here", "action": "suspend", "value": ""},
        ],
    )
    state = operator.run("members", "apply", fixed)

    assert "line 3, field 'action': refused-0: cannot tier: the membership was revoked" in (
        state.stderr
    )
    assert "line 4, field 'member': no member 'nobody-here'" in state.stderr
    assert contracts.height() == height
    assert status_and_tier(contracts, d["wallet"])[0] == 1  # still active: nothing sent


def change_batches_since(contracts: Contracts, height: int) -> set[str]:
    """Hashes of the transactions that applied change batches above `height`."""
    logs = contracts.registry.events.ChangeBatchApplied.get_logs(from_block=height + 1)
    return {log["transactionHash"].hex() for log in logs}


def test_members_apply_sends_many_rows_in_few_transactions(
    operator: Operator, contracts: Contracts
) -> None:
    members = enroll_new(operator, "bulk-apply", 12, tier="basic")
    rows = [{"member": m["member_id"], "action": "tier", "value": "silver"} for m in members]
    rows += [{"member": m["wallet"], "action": "suspend", "value": ""} for m in members[:8]]
    rows += [{"member": m["member_id"], "action": "reinstate", "value": ""} for m in members[:4]]
    path = write_csv(operator.workdir / "bulk-changes.csv", ("member", "action", "value"), rows)
    height = contracts.height()

    run = operator.run("members", "apply", path, "--batch-size", "10").ok()
    after = contracts.height()
    again = operator.run("members", "apply", path, "--batch-size", "10").ok()

    assert len(rows) == 24
    assert "3 transactions sent" in run.stdout
    sent = sum(
        len(block_transactions(contracts.web3, number)) for number in range(height + 1, after + 1)
    )
    assert sent == 3 and len(change_batches_since(contracts, height)) == 3
    for i, member in enumerate(members):
        expected_status = 2 if 4 <= i < 8 else 1  # suspended; reinstated or never suspended
        assert status_and_tier(contracts, member["wallet"]) == (expected_status, 1)
    assert "24 row(s) were carried out by an earlier run of this file: skipped" in again.stdout
    assert contracts.height() == after
    with operator.vault() as vault:
        stored = vault.get(members[0]["member_id"])
    assert stored is not None and stored.tier == 1


@contextmanager
def manual_mining(contracts: Contracts) -> Iterator[None]:
    """Blocks only when the test mines them, so it can act between a send and its receipt."""
    rpc(contracts.web3, "evm_setAutomine", False)
    try:
        yield
    finally:
        rpc(contracts.web3, "evm_setAutomine", True)


def wait_for_pending(contracts: Contracts, timeout: float = 60) -> None:
    """Wait until a transaction waits in the node's pool (the script sent its batch)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = rpc(contracts.web3, "txpool_status")
        if int(str(pending["pending"]), 0):
            return
        time.sleep(0.05)
    raise AssertionError("the script never sent its batch")


def leave_as(contracts: Contracts, wallet: str) -> None:
    """`leave()` from the member's own wallet (impersonated: the test holds no key for it),
    with a tip high enough to be mined before the batch waiting in the pool."""
    web3 = contracts.web3
    rpc(web3, "anvil_impersonateAccount", wallet)
    rpc(web3, "anvil_setBalance", wallet, hex(10**18))
    base = int(web3.eth.get_block("latest")["baseFeePerGas"])
    contracts.registry.functions.leave().transact(
        {"from": wallet, "maxPriorityFeePerGas": 10**12, "maxFeePerGas": 2 * base + 10**12}
    )
    rpc(web3, "anvil_stopImpersonatingAccount", wallet)


def test_members_apply_skips_a_member_who_left_after_the_check(
    operator: Operator, contracts: Contracts
) -> None:
    leaver, stayer = enroll_new(operator, "leaver", 2, tier="basic")
    path = write_csv(
        operator.workdir / "leaver-changes.csv",
        ("member", "action", "value"),
        [
            {"member": leaver["member_id"], "action": "suspend", "value": ""},
            {"member": stayer["member_id"], "action": "tier", "value": "gold"},
        ],
    )
    height = contracts.height()

    with manual_mining(contracts):
        script = start_script(operator, "members", "apply", path)
        wait_for_pending(contracts)  # checked against the chain, batch sent, not yet mined
        leave_as(contracts, leaver["wallet"])
        rpc(contracts.web3, "evm_mine")
        output, _ = script.communicate(timeout=120)

    assert script.returncode == 0, output
    skipped = contracts.registry.events.ChangeSkipped.get_logs(from_block=height + 1)
    assert [(log["args"]["member"], log["args"]["status"]) for log in skipped] == [
        (contracts.web3.to_checksum_address(leaver["wallet"]), 3)
    ]
    assert "1 row(s) skipped by the chain, the member having changed since the check: " in output
    assert leaver["member_id"] in output.split("since the check:")[1]
    assert status_and_tier(contracts, leaver["wallet"]) == (3, 0)  # left, not suspended
    assert status_and_tier(contracts, stayer["wallet"]) == (1, 2)


def test_members_apply_killed_before_the_receipt_applies_the_batch_once(
    operator: Operator, contracts: Contracts
) -> None:
    """Killed after sending, twice: once the batch is mined anyway, once the node drops it.
    Either way the next run finds the batch it recorded and applies it exactly once."""
    first, second = enroll_new(operator, "killed", 2, tier="basic")
    mined, dropped = (
        write_csv(
            operator.workdir / f"killed-{name}.csv",
            ("member", "action", "value"),
            [{"member": member["member_id"], "action": "suspend", "value": ""}],
        )
        for name, member in (("mined", first), ("dropped", second))
    )

    for path, drop in ((mined, False), (dropped, True)):
        height = contracts.height()
        with manual_mining(contracts):
            script = start_script(operator, "members", "apply", path)
            wait_for_pending(contracts)
            script.send_signal(signal.SIGKILL)
            script.wait(timeout=30)
            if drop:
                rpc(contracts.web3, "anvil_dropAllTransactions")
            rpc(contracts.web3, "evm_mine")

        rerun = operator.run("members", "apply", path).ok()
        again = operator.run("members", "apply", path).ok()

        assert len(change_batches_since(contracts, height)) == 1
        if drop:
            assert "sent again" in rerun.stdout
        else:
            assert "found on chain" in rerun.stdout and "nothing sent" in rerun.stdout
        assert "1 row(s) were carried out by an earlier run" in again.stdout
    for member in (first, second):
        assert status_and_tier(contracts, member["wallet"]) == (2, 0)
        assert (
            len(contracts.logs(contracts.registry, "MemberSuspended", member=member["wallet"])) == 1
        )
