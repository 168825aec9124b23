"""`ape run index`: the chain index beside the vault, caught up, verified against the
contracts, rebuilt; and the read commands reading from it."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

from operator_kit import BASE_MEMBERS, ROOT, Contracts, Operator, Run, open_sqlite, table_value

from memberledger.index.schema import index_path


def copied_vault(operator: Operator, name: str) -> Path:
    """A copy of the operator's vault, whose index (`<copy>.index.db`) starts empty."""
    copy = operator.workdir / name
    with open_sqlite(operator.vault_path) as live, open_sqlite(copy) as target:
        live.backup(target)  # closed afterwards: `with sqlite3.connect` leaves them open
    return copy


def test_index_catches_up_then_is_up_to_date(operator: Operator, enrolled: Run) -> None:
    vault = copied_vault(operator, "index-catch-up.db")
    env = {"MEMBERLEDGER_VAULT": str(vault)}

    first = operator.run("index", env=env).ok()
    again = operator.run("index", env=env).ok()

    assert re.search(r"read blocks \d+ to \d+: \d+ events", first.stdout)
    assert "up to date" in again.stdout
    assert index_path(vault).exists()


def test_index_verify_finds_a_planted_difference_and_rebuild_mends_it(
    operator: Operator, enrolled: Run
) -> None:
    vault = copied_vault(operator, "index-verify.db")
    env = {"MEMBERLEDGER_VAULT": str(vault)}
    clean = operator.run("index", "verify", "--all", env=env).ok()
    wallet = BASE_MEMBERS[2]["wallet"].lower()
    with open_sqlite(index_path(vault)) as index:
        index.execute("UPDATE index_members SET consent = 7 WHERE wallet = ?", (wallet,))

    planted = operator.run("index", "verify", "--all", env=env)
    operator.run("index", "rebuild", env=env).ok()
    mended = operator.run("index", "verify", "--sample", "3", env=env).ok()

    assert "the index agrees with the contracts" in clean.stdout
    assert planted.returncode == 1
    assert "DIFFERENCES FOUND" in planted.stdout and wallet in planted.stdout
    assert "consent" in planted.stdout
    assert "the index agrees with the contracts" in mended.stdout
    assert table_value(mended.stdout, "wallets compared") == "3"


def test_report_and_member_read_what_happened_after_the_index_was_built(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    vault = copied_vault(operator, "index-reads.db")
    env = {"MEMBERLEDGER_VAULT": str(vault)}
    operator.run("index", env=env).ok()
    member = BASE_MEMBERS[6]
    snapshot = contracts.snapshot()
    try:
        admin = contracts.web3.eth.accounts[0]
        contracts.registry.functions.setTier(member["wallet"], 0).transact({"from": admin})
        shown = operator.run("member", member["member_id"], env=env).ok()
        report = operator.run("report", env=env).ok()
    finally:
        contracts.revert(snapshot)

    assert "TierChanged" in shown.stdout and "tier gold -> basic" in shown.stdout
    assert "Members by status (chain)" in report.stdout


def test_index_follow_keeps_following_until_interrupted(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    vault = copied_vault(operator, "index-follow.db")
    command = ["ape", "run", "index", "--follow", "--interval", "0.5", "--network", operator.url]
    follower = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**operator.env, "MEMBERLEDGER_VAULT": str(vault)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    snapshot = contracts.snapshot()
    try:
        assert follower.stdout is not None
        first = follower.stdout.readline()  # the catch-up
        admin = contracts.web3.eth.accounts[0]
        # member 4 is a basic member no other test changes (test_erase erases member 7)
        contracts.registry.functions.setTier(BASE_MEMBERS[4]["wallet"], 1).transact({"from": admin})
        followed = follower.stdout.readline()  # the block with the TierChanged
        follower.send_signal(signal.SIGINT)
        rest, _ = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
        contracts.revert(snapshot)

    assert "read blocks" in first
    assert re.search(r"read blocks \d+ to \d+: 1 event in", followed)
    assert follower.returncode == 0 and "stopped following at block" in rest
