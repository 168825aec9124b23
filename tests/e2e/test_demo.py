"""`ape run demo`: the whole story, on an Anvil of its own that ends with it."""

from __future__ import annotations

import os
import re
import subprocess

from operator_kit import ROOT, SCRIPT_TIMEOUT
from web3 import Web3


def test_demo_runs_the_whole_story_on_its_own_node_and_stops_it() -> None:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }

    demo = subprocess.run(
        ["ape", "run", "demo"],
        cwd=ROOT,
        # MEMBERLEDGER_NODE_HOST at its default: a developer's `make node` on 8545 is not used.
        env={**env, "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    found = re.search(r"Running on an Anvil of its own at (http://127\.0\.0\.1:(\d+))", demo.stdout)
    assert found is not None, demo.stdout
    assert found[2] != "8545"
    for step in ("Enroll 20 members", "nothing happens twice", "changes their own consent"):
        assert step in demo.stdout
    assert "redeemed a coffee voucher" in demo.stdout
    assert "all match" in demo.stdout
    assert "the chain was the demo's own Anvil and is gone with it" in demo.stdout
    assert not Web3(Web3.HTTPProvider(found[1])).is_connected()  # stopped with the demo
