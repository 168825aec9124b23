"""`ape run demo --network ethereum:local:foundry`: the whole story, on its own Anvil."""

from __future__ import annotations

import os
import subprocess

from operator_kit import ROOT, SCRIPT_TIMEOUT


def test_demo_runs_the_whole_story() -> None:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }

    demo = subprocess.run(
        ["ape", "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT,
        # Its own throw-away Anvil, never a developer's `make node` on port 8545.
        env={**env, "MEMBERLEDGER_NODE_HOST": "auto", "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    for step in ("Enroll 20 members", "nothing happens twice", "changes their own consent"):
        assert step in demo.stdout
    assert "redeemed a coffee voucher" in demo.stdout
    assert "all match" in demo.stdout
    assert "Demo done" in demo.stdout
