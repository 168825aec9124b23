"""`make bench`: bulk enrollment and reward issuance, end to end, against a private Anvil;
then the relay section (bench/relay.py): relayed requests per second, and valid requests
served while idle connections and a flood of invalid requests hit the member site.

Starts its own Anvil on a free port, deploys both contracts, writes a members CSV and a
credits CSV (100,000 rows each by default) into a temporary folder, and runs, in this one
process, exactly what `ape run enroll` and `ape run issue_rewards` run (`enroll_file`,
`issue_rewards`): streaming validation, the vault, the journal, the chain. Then the same work
the straightforward way, one Ape transaction per member, on a sample, for the ratio.

Prints a table and writes the figures to bench/results.json. Time is measured from the call
to the package function to its return (CSV to confirmed on chain and recorded in the vault);
Python and Ape start-up (a few seconds for any `ape run`) is not included.

    .venv/bin/python bench/bench.py [--members 100000] [--baseline 50] [--section NAME]

Sections (all by default, each also on its own with `--section`): `bulk` (the above, then
bench/vault_size.py: the vault's bytes per member and per journal row, and the size after the
journal is archived and the file compacted), `fast-paths` (bench/fast_paths.py: the
hand-written fast paths against their libraries), `reads` (bench/reads.py: the reads, i.e. the
chain index, on a chain of its own with 1,000,000 members; `--read-members 100000` for
`make bench-quick`, 0 for none), `relay` (bench/relay.py: the member site's relay under load),
`dashboard` (bench/dashboard.py: the staff dashboard's reads on an index of as many members as
the reads', filled directly through the index's writer), `postgres` (bench/postgres.py: two
operator machines enrolling together against one PostgreSQL, against one alone).
Each writes its figures into bench/results.json beside the others'.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import platform
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: A block a second with room for 64 full batches (1G gas): the node packs many batches per
#: block, as a real chain does, instead of sealing a block per transaction. 100,000 first
#: credits are 2.84G gas, so the block space bounds how fast any tool could issue them: at
#: most 35,000 credits a second here (at 500M gas, 17,600).
BLOCK_TIME = "1"
BLOCK_GAS_LIMIT = "1000000000"
#: What `--section` can name.
SECTIONS = ("all", "bulk", "fast-paths", "reads", "relay", "dashboard", "postgres")
#: Sections that read a chain of `--read-members` members (none with 0).
READ_SECTIONS = ("reads", "dashboard")
#: Transactions in flight: two blocks' worth, so that when a block is sealed the next one's
#: transactions already wait in the pool. (With one block's worth, every other block went
#: out half empty while the receipts of the last one came back.)
IN_FLIGHT = 128
RESULTS = ROOT / "bench" / "results.json"
TIERS = ("basic", "silver", "gold", "platinum")
#: Phone numbers of several countries, all valid, all different (the validation of a phone
#: number is the most expensive check of a row; a benchmark of one repeated number would lie).
PHONE_FORMATS = ("+1 212 {a:03d} {b:04d}", "+49 151 {a:03d}{b:05d}", "+33 6 {a:02d} {b:06d}")


def member_rows(count: int, prefix: str) -> Iterator[list[str]]:
    from memberledger.hashing import checksum_address, keccak256

    for i in range(count):
        wallet = checksum_address(keccak256(f"bench {prefix} {i}".encode())[:20].hex())
        a, b = 200 + (i // 10_000) % 700, i % 10_000
        a += a % 100 == 11  # no N11 exchange codes (211, 311, ...) in North America
        french = 10 + a % 29  # 6 10 .. 6 38: mobile ranges in use
        phone = PHONE_FORMATS[i % len(PHONE_FORMATS)].format(a=french if i % 3 == 2 else a, b=b)
        yield [
            f"{prefix}-{i:07d}",
            wallet if i % 2 else wallet.lower(),
            f"Member  Número {i}",
            f"member.{i}@Example.org",
            phone,
            f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            TIERS[i % 4],
            "yes" if i % 2 else "no",
            "yes" if i % 3 else "no",
            "no",
        ]


def write_members(path: Path, count: int, prefix: str, *, keep_wallets: bool = True) -> list[str]:
    from memberledger.intake.enrollment_file import ENROLLMENT_COLUMNS

    wallets: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(ENROLLMENT_COLUMNS)
        for row in member_rows(count, prefix):
            writer.writerow(row)
            if keep_wallets:
                wallets.append(row[1])
    return wallets


def write_credits(path: Path, wallets: list[str], prefix: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["event_id", "wallet", "points"])
        for i, wallet in enumerate(wallets):
            writer.writerow([f"{prefix}:{i}", wallet, 10 + i % 90])


def anvil(block_time: str, gas_limit: str, extra: list[str]) -> AbstractContextManager[str]:
    """The benchmark's own Anvil on a free port: its URL while the block runs."""
    from memberledger.chain.local_node import running_anvil

    return running_anvil("--block-time", block_time, "--gas-limit", gas_limit, *extra)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def baseline_enroll(programme: Any, path: Path) -> float:
    """Members per second, one Ape transaction per member: validate the file, then for each
    row seal it into the vault, `registry.enroll(...)` through Ape, mark it enrolled."""
    from memberledger.chain.reads import tx_hex
    from memberledger.intake.enrollment_file import validate_enrollment_file
    from memberledger.pii.canonical import canonical_bytes
    from memberledger.pii.commitment import commit, new_salt
    from memberledger.store.vault import MemberRecord

    started = time.perf_counter()
    report = validate_enrollment_file(path)
    for row in report.rows:
        salt = new_salt()
        commitment = commit(canonical_bytes(row.personal), salt)
        record = MemberRecord(
            row.member_id, row.wallet, row.personal, salt, commitment, row.consent, row.tier
        )
        programme.vault.add_member(record)
        receipt = programme.registry.enroll(
            row.wallet, commitment.value, row.consent, row.tier, sender=programme.sender
        )
        programme.vault.mark_enrolled(
            [row.member_id], tx_hex(receipt.txn_hash), int(receipt.block_number)
        )
    return len(report.rows) / (time.perf_counter() - started)


def baseline_credit(programme: Any, path: Path) -> float:
    """Credits per second, one Ape `credit` transaction per reward event."""
    from memberledger.identifiers import event_tag, packed_credit_rows
    from memberledger.intake.rewards_file import validate_rewards_file

    started = time.perf_counter()
    report = validate_rewards_file(path)
    for row in report.rows:
        rows = packed_credit_rows([(row.wallet, row.points, event_tag(row.event_id))])
        programme.points.credit(rows, sender=programme.sender)
    return len(report.rows) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5_000, help="repeat credits measured")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT)
    parser.add_argument("--block-time", default=BLOCK_TIME, help="Anvil's, in seconds")
    parser.add_argument("--gas-limit", default=BLOCK_GAS_LIMIT, help="Anvil's block gas limit")
    parser.add_argument("--anvil-option", action="append", default=[], help="more for Anvil")
    parser.add_argument(
        "--section", choices=SECTIONS, default="all", help="what to measure (default: all)"
    )
    parser.add_argument(
        "--read-members",
        type=int,
        default=1_000_000,
        help="members and credits of the reads' chain (bench/reads.py); 0: no reads",
    )
    parser.add_argument("--read-sample", type=int, default=10_000, help="today's way, on this many")

    args = parser.parse_args()
    failed = 0
    took: dict[str, float] = {}  # each section's wall time: what the run's budget goes to

    def timed(name: str, run: Callable[[], int]) -> int:
        started = time.perf_counter()
        status = run()
        took[name] = round(time.perf_counter() - started)
        console_err().print(f"[bold]{name}[/]: {took[name]:,} s")
        return status

    def fast_paths() -> int:
        record(args.out, importlib.import_module("fast_paths").run())
        return 0

    def reads() -> int:
        read_options = ["--members", str(args.read_members), "--sample", str(args.read_sample)]
        return int(importlib.import_module("reads").main([*read_options, "--out", str(args.out)]))

    def dashboard() -> int:
        options = ["--members", str(args.read_members), "--out", str(args.out)]
        return int(importlib.import_module("dashboard").main(options))

    sections: dict[str, Callable[[], int]] = {
        "bulk": lambda: bulk_section(args),
        "fast-paths": fast_paths,
        "relay": lambda: relay_section(args.out),
        "reads": reads,
        "dashboard": dashboard,
        "postgres": lambda: int(importlib.import_module("postgres").main(["--out", str(args.out)])),
    }
    for name, run in sections.items():
        if args.section in ("all", name) and (args.read_members or name not in READ_SECTIONS):
            failed |= timed(name, run)
    if args.section == "all":
        record(args.out, {"bench_section_s": took})
    console_err().print(f"written to {args.out}")
    return failed


def bulk_section(args: argparse.Namespace) -> int:
    """Bulk enrollment and issuance (see the module docstring)."""
    from rich.console import Console
    from rich.table import Table

    vault_size: Any = importlib.import_module("vault_size")
    console = Console(stderr=True)
    with (
        tempfile.TemporaryDirectory(prefix="memberledger-bench-") as folder,
        anvil(args.block_time, args.gas_limit, args.anvil_option) as url,
    ):
        tmp = Path(folder)
        for name in list(os.environ):
            if name.startswith("MEMBERLEDGER_"):
                del os.environ[name]
        os.environ["MEMBERLEDGER_VAULT_KEY"] = secrets.token_hex(32)
        from memberledger.settings import reload_settings

        reload_settings()
        console.print(f"writing {args.members:,} members and {args.members:,} credits to {tmp}")
        members_csv, credits_csv = tmp / "members.csv", tmp / "credits.csv"
        wallets = write_members(members_csv, args.members, "m")
        write_credits(credits_csv, wallets, "first")
        repeat_csv = tmp / "repeat.csv"
        write_credits(repeat_csv, wallets[: args.repeat], "repeat")
        sample_csv, sample_credits = tmp / "sample.csv", tmp / "sample-credits.csv"
        sample_wallets = write_members(sample_csv, args.baseline, "baseline")
        write_credits(sample_credits, sample_wallets, "baseline")
        del wallets

        from ape import accounts, chain, networks, project
        from ape.logging import logger

        logger.set_level("WARNING")  # not a line per baseline transaction

        from memberledger.bulk.courier import SendSettings
        from memberledger.bulk.enrollment import enroll_file
        from memberledger.bulk.rewards import issue_rewards
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
                console=console,
            ) as programme:
                sizes = vault_size.VaultSizes(programme.database)
                sizes.before_enrollment()
                options = RunOptions(send=SendSettings(in_flight=args.in_flight))
                started = time.perf_counter()
                enrolled = enroll_file(programme, members_csv, options)
                enroll_seconds = time.perf_counter() - started
                rss = peak_rss_mb()
                # Children that have ended so far: the validation workers (Anvil still runs).
                workers_rss = peak_rss_mb(resource.RUSAGE_CHILDREN)
                sizes.after_enrollment(args.members)
                started = time.perf_counter()
                credited = issue_rewards(programme, credits_csv, options)
                issue_seconds = time.perf_counter() - started
                sizes.after_issuance(args.members)
                repeat = issue_rewards(programme, repeat_csv, options)
                # Before the baseline: its credits are sent by hand, outside this vault's
                # journal, and the archive compares the chain's credits with the journal first.
                vault_figures = sizes.archive_and_compact(programme, tmp / "archive")
                console.print(f"baseline: {args.baseline} members, one Ape transaction each")
                # A block per transaction, at once: the fastest the straightforward way can go.
                programme.node.call("evm_setAutomine", True)
                baseline = baseline_enroll(programme, sample_csv)
                baseline_credits = baseline_credit(programme, sample_credits)

    enrolled_rows = sum(d.rows for d in enrolled.deliveries)
    credited_rows = sum(d.rows for d in credited.deliveries)
    repeat_rows = sum(d.rows for d in repeat.deliveries)
    figures = {
        "members": args.members,
        "enroll_members_per_s": round(enrolled_rows / enroll_seconds, 1),
        "enroll_seconds": round(enroll_seconds, 2),
        "issue_credits_per_s": round(credited_rows / issue_seconds, 1),
        "issue_seconds": round(issue_seconds, 2),
        "baseline_members_per_s": round(baseline, 2),
        "baseline_credits_per_s": round(baseline_credits, 2),
        "enroll_speedup": round(enrolled_rows / enroll_seconds / baseline, 1),
        "issue_speedup": round(credited_rows / issue_seconds / baseline_credits, 1),
        "gas_per_member": round(sum(d.gas_used for d in enrolled.deliveries) / enrolled_rows),
        "gas_per_credit_first": round(sum(d.gas_used for d in credited.deliveries) / credited_rows),
        "gas_per_credit_repeat": round(sum(d.gas_used for d in repeat.deliveries) / repeat_rows),
        "enroll_phases_s": {k: round(v, 2) for k, v in enrolled.figures.phases.items()},
        "issue_phases_s": {k: round(v, 2) for k, v in credited.figures.phases.items()},
        "enroll_batches": len(enrolled.deliveries),
        "credit_batches": len(credited.deliveries),
        "peak_rss_mb": round(rss, 1),
        "peak_rss_validation_workers_mb": round(workers_rss, 1),
        **vault_figures,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
    }
    record(args.out, figures)

    table = Table(title=f"MemberLedger bulk benchmark ({args.members:,} members)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {
        "enroll_members_per_s": ">= 5,000",
        "issue_credits_per_s": ">= 10,000",
        "enroll_speedup": ">= 100",
        "issue_speedup": ">= 100",
        "peak_rss_mb": "<= 300",
    }
    for name, value in figures.items():
        shown = f"{value:,}" if isinstance(value, int | float) else str(value)
        table.add_row(name, shown, targets.get(name, ""))
    Console().print(table)
    return 0


def relay_section(out: Path) -> int:
    """The relay section (bench/relay.py), written beside the other sections' figures."""
    relay: Any = importlib.import_module("relay")
    figures = relay.run()
    record(out, {"relay": figures})
    relay.print_table(figures)
    return 0 if figures["under_attack"]["valid_within_1s"] else 1


def record(out: Path, figures: dict[str, Any]) -> None:
    """Merge `figures` into bench/results.json, keeping the other sections' figures."""
    previous = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**previous, **figures}, indent=2) + "\n")


def console_err() -> Any:
    from rich.console import Console

    return Console(stderr=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
