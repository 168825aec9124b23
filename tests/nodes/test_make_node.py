"""`make node`'s Anvil flags (the Makefile's NODE_FLAGS, chosen to keep a long-lived node's
memory bounded) keep what a programme needs: its history readable long after, its state
saved and loaded again across a restart, and exactly-once across both."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from operator_kit import ROOT, member_row, new_operator, rpc, write_members, write_rewards
from web3 import Web3

from memberledger.chain.local_node import (
    anvil_command,
    free_port,
    local_url,
    start_node,
    stop_node,
)

#: Blocks mined after the programme's transactions: far more than any state kept in memory.
LATER_BLOCKS = 300


def node_flags() -> list[str]:
    """NODE_FLAGS as the Makefile sets them."""
    found = re.search(r"^NODE_FLAGS\s*\?=(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found is not None, "the Makefile sets no NODE_FLAGS"
    return shlex.split(found[1])


def test_node_flags_mine_on_demand() -> None:
    """No block on an idle chain: an idle node's memory does not grow (README)."""
    flags = node_flags()
    assert "--block-time" not in flags and "-b" not in flags and "--no-mining" not in flags
    assert "--prune-history" in flags


def test_a_programme_on_make_nodes_flags_survives_time_and_a_restart(tmp_path: Path) -> None:
    port = free_port()
    url = local_url(port)
    command = anvil_command(port, "--state", str(tmp_path / "state.json"), *node_flags())
    node = start_node(command, url, cwd=ROOT)
    try:
        operator = new_operator(url, tmp_path)
        rows = [member_row(f"long-{i}") for i in range(3)]
        members = write_members(tmp_path / "members.csv", rows)
        operator.run("enroll", members).ok()
        rewards = write_rewards(tmp_path / "rewards.csv", [("long-visit", rows[0]["wallet"], 40)])
        operator.run("issue_rewards", rewards).ok()
        rpc(Web3(Web3.HTTPProvider(url)), "anvil_mine", hex(LATER_BLOCKS))

        history = operator.run("member", "long-0").ok().stdout
        assert "MemberEnrolled" in history and "PointsCredited" in history
    finally:
        stop_node(node)  # SIGTERM: Anvil saves its state

    node = start_node(command, url, cwd=ROOT)
    try:
        web3 = Web3(Web3.HTTPProvider(url))
        assert int(web3.eth.block_number) >= LATER_BLOCKS
        assert "all match" in operator.run("verify").ok().stdout
        history = operator.run("member", "long-0").ok().stdout
        assert "MemberEnrolled" in history and "PointsCredited" in history
        assert "nothing to do" in operator.run("issue_rewards", rewards).ok().stdout
        assert "nothing to do" in operator.run("enroll", members).ok().stdout
    finally:
        stop_node(node)
