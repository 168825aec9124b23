"""`ape run demo`: the whole story, on an Anvil of its own that ends with it."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
from pathlib import Path

from operator_kit import ROOT, SCRIPT_TIMEOUT
from web3 import Web3


def _demo_env(tmp_path: Path) -> dict[str, str]:
    """The session's environment without its MemberLedger settings, and an Ape data folder
    of the demo's own (Ape caches contract types by address: see `operator_kit`)."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }
    return {**env, "COLUMNS": "200", "NO_COLOR": "1", "APE_DATA_FOLDER": str(tmp_path / "ape")}


def test_demo_runs_the_whole_story_on_its_own_node_and_stops_it(tmp_path: Path) -> None:
    demo = subprocess.run(
        ["ape", "run", "demo"],
        cwd=ROOT,
        # MEMBERLEDGER_NODE_HOST at its default: a developer's `make node` on 8545 is not used.
        env=_demo_env(tmp_path),
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


def test_two_demos_at_once_each_run_on_their_own_node(tmp_path: Path) -> None:
    """Two demos side by side: they shared one chain and one signing account, and one failed
    with 'nonce too low' (issue 20)."""

    def start(folder: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["ape", "run", "demo", "--members", "8", "--folder", str(folder)],
            cwd=ROOT,
            env=_demo_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    demos = [start(tmp_path / "a"), start(tmp_path / "b")]
    outputs = [demo.communicate(timeout=SCRIPT_TIMEOUT)[0] for demo in demos]

    assert [demo.returncode for demo in demos] == [0, 0], outputs
    found = [re.search(r"its own at http://127\.0\.0\.1:(\d+)", text) for text in outputs]
    assert None not in found and len({match[1] for match in found if match}) == 2


def test_a_demo_on_a_folder_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    with (tmp_path / "busy.lock").open("w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.write("a demo (pid 1, started now)")
        holder.flush()
        refused = subprocess.run(
            ["ape", "run", "demo", "--folder", str(tmp_path / "busy")],
            cwd=ROOT,
            env=_demo_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )

    assert refused.returncode == 2
    assert "is in use by a demo (pid 1" in refused.stderr and "--folder" in refused.stderr
    assert "Traceback" not in refused.stderr
