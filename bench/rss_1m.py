"""The memory bound of a large file: `enroll --dry-run` of a 1,000,000-row file.

A dry run is the real enrollment path up to the last step before anything is stored: the
file is streamed, validated (in worker processes), sealed into the staging area, checked
against the vault and the chain, and the batches and gas are estimated. Prints the peak RSS
of this process (the one an operator's `ape run enroll` would be) and of the largest worker.

    .venv/bin/python bench/rss_1m.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
# The CSV writer and the node of the main benchmark (bench/bench.py), as a module of its own.
bench: Any = importlib.import_module("bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "rss_1m.json")
    args = parser.parse_args()

    from rich.console import Console

    console = Console(stderr=True)
    with (
        tempfile.TemporaryDirectory(prefix="memberledger-rss-") as folder,
        bench.anvil(bench.BLOCK_TIME, bench.BLOCK_GAS_LIMIT, []) as url,
    ):
        tmp = Path(folder)
        os.environ["MEMBERLEDGER_VAULT_KEY"] = secrets.token_hex(32)
        members_csv = tmp / "members.csv"
        console.print(f"writing {args.rows:,} members")
        bench.write_members(members_csv, args.rows, "big", keep_wallets=False)
        size_mb = members_csv.stat().st_size / 2**20
        before = bench.peak_rss_mb()

        from ape import accounts, chain, networks, project
        from ape.logging import logger

        logger.set_level("WARNING")

        from memberledger.bulk.enrollment import enroll_file
        from memberledger.bulk.run import RunOptions
        from memberledger.chain.deployment import deploy, save_manifest
        from memberledger.programme import open_programme

        with networks.parse_network_choice(url):
            save_manifest(deploy(project, chain, accounts.test_accounts[0]), tmp / "deployments")
            with open_programme(
                project,
                chain,
                accounts,
                vault_path=tmp / "vault.db",
                deployments_root=tmp / "deployments",
                console=console,
            ) as programme:
                started = time.perf_counter()
                result = enroll_file(programme, members_csv, RunOptions(dry_run=True))
                seconds = time.perf_counter() - started
                workers = bench.peak_rss_mb(resource.RUSAGE_CHILDREN)
        figures = {
            "rows": args.rows,
            "file_mb": round(size_mb, 1),
            "rows_checked": result.figures.rows_read,
            "would_enroll": result.new,
            "batches": result.estimate.batches if result.estimate else 0,
            "seconds": round(seconds, 1),
            "rows_per_s": round(result.figures.rows_read / seconds),
            "peak_rss_mb_before_run": round(before, 1),
            "peak_rss_mb": round(bench.peak_rss_mb(), 1),
            "peak_rss_worker_mb": round(workers, 1),
        }
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    Console().print_json(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
