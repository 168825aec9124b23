"""How a long-lived local Anvil's memory grows, with the programme's state loaded: the figures
behind `make node`'s flags (README, "A long-lived local node").

Three steps, each its own command (a state of 1,000,000 members takes minutes to build, so it
is built once and loaded by every measurement):

    .venv/bin/python bench/node_memory.py build --members 100000 --state /tmp/state-100k.json
    .venv/bin/python bench/node_memory.py idle --state /tmp/state-100k.json --seconds 120 \
        -- --block-time 1
    .venv/bin/python bench/node_memory.py blocks --state /tmp/state-100k.json --blocks 100 \
        -- --prune-history 64

`build` enrolls the members through the real bulk run on a private Anvil and saves its state
(`--dump-state`, written when the node stops). `idle` loads it into an Anvil started with the
options after `--` and samples the node's resident memory (VmRSS) and CPU time for the given
time, doing nothing: how it grows per hour left alone. `blocks` mines blocks one at a time
(`evm_mine`, what every transaction does under Anvil's default automine) and reports the
growth per block. Each measurement is appended to bench/node_memory.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "node_memory.json"
#: Seconds between samples of an idle node.
SAMPLE_SECONDS = 5.0
#: Seconds to let a freshly loaded node settle before the first sample counts.
SETTLE_SECONDS = 10.0
#: Seconds a node loading (or dumping) a large state may take.
STATE_SECONDS = 900.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    covariance = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    variance = sum((t - mean_t) ** 2 for t, _ in samples)
    return covariance / variance * 3600 if variance else 0.0


def build(members: int, state: Path) -> dict[str, Any]:
    """Enroll `members` on a fresh Anvil through the bulk run; its state saved to `state`."""
    write_members = importlib.import_module("bench").write_members  # bench/bench.py
    from memberledger.chain.local_node import (
        anvil_command,
        free_port,
        local_url,
        start_node,
        stop_node,
    )

    port = free_port()
    url = local_url(port)
    # A block a second of 1G gas, as make bench; 16 states kept, not every block's (that would
    # take gigabytes; with one, a call for "latest" can miss the state of a block just replaced);
    # the state saved once, on exit (Anvil saves every 60 s by default, and a save of a large
    # state holds the node for many seconds).
    options = ["--block-time", "1", "--gas-limit", "1000000000", "--prune-history", "16"]
    options += ["--dump-state", str(state), "--state-interval", "86400"]
    node = start_node(anvil_command(port, *options), url)
    try:
        with tempfile.TemporaryDirectory(prefix="memberledger-node-memory-") as folder:
            tmp = Path(folder)
            os.environ["MEMBERLEDGER_VAULT_KEY"] = secrets.token_hex(32)
            from memberledger.settings import reload_settings

            reload_settings()
            members_csv = tmp / "members.csv"
            write_members(members_csv, members, "node", keep_wallets=False)
            from ape import accounts, chain, networks, project
            from ape.logging import logger

            logger.set_level("WARNING")
            from memberledger.bulk.courier import SendSettings
            from memberledger.bulk.enrollment import enroll_file
            from memberledger.bulk.run import RunOptions
            from memberledger.chain.deployment import deploy, save_manifest
            from memberledger.programme import open_programme

            with networks.parse_network_choice(url):
                deployment = deploy(project, chain, accounts.test_accounts[0])
                save_manifest(deployment, tmp / "deployments")
                with open_programme(
                    project,
                    chain,
                    accounts,
                    vault_path=tmp / "vault.db",
                    deployments_root=tmp / "deployments",
                ) as programme:
                    started = time.perf_counter()
                    enroll_file(
                        programme,
                        members_csv,
                        RunOptions(send=SendSettings(in_flight=128)),
                    )
                    seconds = time.perf_counter() - started
                    count = int(programme.registry.memberCount())
            rss = rss_mb(node.pid)
    finally:
        started = time.perf_counter()
        stop_node(node, timeout=STATE_SECONDS)  # SIGTERM: Anvil writes --dump-state
        dump_seconds = time.perf_counter() - started
    return {
        "step": "build",
        "members": count,
        "enroll_seconds": round(seconds, 1),
        "node_rss_mb_after_enroll": round(rss, 1),
        "state_file_mb": round(state.stat().st_size / 2**20, 1),
        "dump_seconds": round(dump_seconds, 1),
    }


def _loaded(state: Path | None, options: list[str]) -> tuple[Any, str]:
    from memberledger.chain.local_node import anvil_command, free_port, local_url, start_node

    port = free_port()
    url = local_url(port)
    load = ["--load-state", str(state)] if state else []
    node = start_node(anvil_command(port, *load, *options), url, timeout=STATE_SECONDS)
    return node, url


def idle(state: Path | None, seconds: float, options: list[str]) -> dict[str, Any]:
    """Sample an untouched node's memory for `seconds`."""
    from web3 import Web3

    from memberledger.chain.local_node import stop_node

    node, url = _loaded(state, options)
    try:
        web3 = Web3(Web3.HTTPProvider(url))
        time.sleep(SETTLE_SECONDS)
        first_block, first_cpu = int(web3.eth.block_number), cpu_seconds(node.pid)
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        while (elapsed := time.monotonic() - started) < seconds:
            samples.append((elapsed, rss_mb(node.pid)))
            time.sleep(SAMPLE_SECONDS)
        samples.append((time.monotonic() - started, rss_mb(node.pid)))
        blocks = int(web3.eth.block_number) - first_block
        cpu = cpu_seconds(node.pid) - first_cpu
    finally:
        stop_node(node, timeout=STATE_SECONDS)
    duration = samples[-1][0]
    return {
        "step": "idle",
        "seconds": round(duration),
        "blocks_mined": blocks,
        "rss_mb_start": round(samples[0][1], 1),
        "rss_mb_end": round(samples[-1][1], 1),
        "rss_mb_max": round(max(m for _, m in samples), 1),
        "growth_mb_per_hour": round(slope_per_hour(samples), 1),
        "growth_mb_per_block": round((samples[-1][1] - samples[0][1]) / blocks, 2)
        if blocks
        else None,
        "cpu_percent": round(100 * cpu / duration, 1),
        "rss_mb_each_minute": [round(m) for t, m in samples if t % 60 < SAMPLE_SECONDS],
    }


def blocks(state: Path | None, count: int, options: list[str]) -> dict[str, Any]:
    """Mine `count` blocks one at a time and measure the growth per block."""
    from web3 import Web3

    from memberledger.chain.local_node import stop_node

    node, url = _loaded(state, options)
    try:
        web3 = Web3(Web3.HTTPProvider(url))
        time.sleep(SETTLE_SECONDS)
        before = rss_mb(node.pid)
        started = time.monotonic()
        for _ in range(count):
            web3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        seconds = time.monotonic() - started
        time.sleep(2.0)
        after = rss_mb(node.pid)
    finally:
        stop_node(node, timeout=STATE_SECONDS)
    return {
        "step": "blocks",
        "blocks_mined": count,
        "seconds": round(seconds, 1),
        "rss_mb_start": round(before, 1),
        "rss_mb_end": round(after, 1),
        "growth_mb_per_block": round((after - before) / count, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Anvil's options follow `--`."
    )
    parser.add_argument("step", choices=("build", "idle", "blocks"))
    parser.add_argument("--state", type=Path, help="the saved state (build: where to save it)")
    parser.add_argument("--members", type=int, default=100_000, help="build: how many")
    parser.add_argument("--seconds", type=float, default=120.0, help="idle: how long")
    parser.add_argument("--blocks", type=int, default=100, help="blocks: how many")
    parser.add_argument("--label", default="", help="a name for the measurement")
    argv = sys.argv[1:]
    anvil = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: len(argv) - len(anvil) - (1 if anvil else 0)])
    args.anvil = anvil
    if args.step == "build":
        if args.state is None:
            parser.error("build needs --state")
        figures = build(args.members, args.state)
    elif args.step == "idle":
        figures = idle(args.state, args.seconds, args.anvil)
    else:
        figures = blocks(args.state, args.blocks, args.anvil)
    figures.update(
        label=args.label,
        state=str(args.state) if args.state else None,
        anvil_options=" ".join(args.anvil),
        load=round(os.getloadavg()[0], 1),
    )
    print(json.dumps(figures))
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    RESULTS.write_text(json.dumps([*previous, figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
