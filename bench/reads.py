"""`make bench`, the reads: the chain index against today's way, on a million members.

On a private Anvil (blocks of 1G gas, see BUILD_BLOCK_TIME), the bulk path enrolls 1,000,000
members and credits 1,000,000 reward events into one deployment, and 10,000 of each into a
second one, the sample. Then each read runs in a process of its own, as an `ape run` would,
so that its peak RSS is its own (Python and Ape start-up are not in the times):
- index catch-up: the whole chain of the big deployment into a fresh index (events/s);
- report: `programme_report` on the big deployment, the index already up to date;
- history: one member's history from the index (the median of 20 members, ms);
- verify: `verify_commitments` on the big deployment (every vault row against the chain);
then the same four with the programme in PostgreSQL (a server of its own, the vault copied in
by `ape run vault copy-to-postgresql`'s code, the index caught up into it; `--no-postgres`
skips them); and the same reads done today's way (before the index: `MemberEnrolled` logs
from the deploy block and one Ape call per member; a member's logs through Ape from the
deploy block; one Ape call per member) on the 10,000-member sample, printed side by side, per
member, as a ratio.

    .venv/bin/python bench/reads.py [--members 1000000] [--sample 10000]

To measure the reads again without building the chain again, run a node yourself
(`anvil --port 8546 --block-time 3 --gas-limit 1000000000 --prune-history 4`) and pass
`--node http://127.0.0.1:8546 --workdir DIR`: the first run builds the programmes there (their
vaults and manifests in DIR), later runs only read. Figures go into bench/results.json
(report_s_1m, history_ms, verify_s_1m, index_events_per_s, reads_peak_rss_mb, the details).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
#: Blocks of 1G gas (64 full batches), one every 3 s while the programmes are built, then one
#: every 10 s while they are read. Anvil copies its whole state at every block, empty or not
#: (even with `--prune-history`), so the interval is a trade (measured, a million members):
#: - 10 s throughout: the block space bounds the build (64 batches a block): 623 s;
#: - 3 s while building: 240-246 s, Anvil at 3.2 GB; 2 s: Anvil grew past 14 GB before the
#:   credits were done (at a block a second the kernel killed it past 20 GB);
#: - a block every 3 s while reading too (measured on 3G-gas blocks): verify took 123 s
#:   instead of 41-44 s and the catch-up read 26,000 events/s instead of 32,000 (a call
#:   waits while the node copies its state).
BUILD_BLOCK_TIME = "3"
READ_BLOCK_TIME = 10
BLOCK_GAS_LIMIT = "1000000000"
IN_FLIGHT = 128
#: Block states Anvil keeps (`--prune-history`): a few, so that a call made against the
#: latest block is not answered "block out of range" when the next block prunes its state.
PRUNE_HISTORY = "4"
#: Members whose history is timed (the median is reported).
HISTORY_MEMBERS = 20
#: Targets of issue 16.
TARGETS = {
    "report_s_1m": "<= 5",
    "history_ms": "<= 200",
    "verify_s_1m": "<= 180",
    "index_events_per_s": ">= 20,000",
    "reads_peak_rss_mb": "<= 300",
}


# ---------------------------------------------------------------------- the chain


def build(workdir: Path, name: str, members: int, url: str, console: Any) -> None:
    """Deploy a programme into `workdir/name` and enroll and credit `members` through the
    bulk path (what `ape run enroll` and `ape run issue_rewards` run)."""
    sys.path.insert(0, str(ROOT / "bench"))
    writers: Any = importlib.import_module("bench")  # the bulk benchmark's CSV writers
    from ape import accounts, chain, networks, project

    from memberledger.bulk.courier import SendSettings
    from memberledger.bulk.enrollment import enroll_file
    from memberledger.bulk.rewards import issue_rewards
    from memberledger.bulk.run import RunOptions
    from memberledger.chain.deployment import deploy, save_manifest
    from memberledger.programme import open_programme

    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    members_csv, credits_csv = folder / "members.csv", folder / "credits.csv"
    console.print(f"{name}: writing {members:,} members and {members:,} credits")
    wallets = writers.write_members(members_csv, members, name)
    writers.write_credits(credits_csv, wallets, name)
    del wallets
    with networks.parse_network_choice(url):
        deployment = deploy(project, chain, accounts.test_accounts[0])
        save_manifest(deployment, folder / "deployments")
        with open_programme(
            project,
            chain,
            accounts,
            vault_path=folder / "vault.db",
            deployments_root=folder / "deployments",
            console=console,
        ) as programme:
            options = RunOptions(send=SendSettings(in_flight=IN_FLIGHT))
            started = time.perf_counter()
            enroll_file(programme, members_csv, options)
            issue_rewards(programme, credits_csv, options)
            console.print(f"{name}: built in {time.perf_counter() - started:,.0f} s")
    members_csv.unlink()
    credits_csv.unlink()
    (folder / "built").write_text(str(members))


def built(workdir: Path, name: str, members: int, url: str) -> bool:
    """Whether `workdir/name` holds a programme of `members` members on the node at `url`
    (a `--node` given again after the chain was built there)."""
    from memberledger.chain import calldata
    from memberledger.chain.rpc import NodeClient

    marker, manifest = workdir / name / "built", workdir / name / "deployments" / "31337.json"
    if not marker.exists() or marker.read_text() != str(members) or not manifest.exists():
        return False
    registry = json.loads(manifest.read_text())["registry"]
    try:
        answer = NodeClient(url, patience=5).eth_call(registry, calldata.selector("memberCount()"))
    except Exception:
        return False
    return int.from_bytes(answer[:32], "big") == members


# ---------------------------------------------------------------------- one read, one process


def run_child(
    what: str, url: str, folder: Path, console: Any, database_url: str | None = None
) -> dict[str, Any]:
    """Run one read in a fresh process (on the PostgreSQL database `database_url` if given);
    its figures (with its own peak RSS)."""
    started = time.perf_counter()
    env = {**os.environ, **({"MEMBERLEDGER_DATABASE_URL": database_url} if database_url else {})}
    completed = subprocess.run(
        [sys.executable, __file__, "--child", what, "--url", url, "--folder", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{completed.stdout}\n{completed.stderr}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    on = f"{folder.name}{' (PostgreSQL)' if database_url else ''}"
    console.print(
        f"{what} on {on}: {json.dumps(figures)} "
        f"({time.perf_counter() - started:,.0f} s with start-up)"
    )
    return figures


def child(what: str, url: str, folder: Path) -> dict[str, Any]:
    """Inside the child process: open the programme and time one read."""
    from ape import accounts, chain, networks, project
    from ape.logging import logger

    from memberledger.index.chain_index import open_index
    from memberledger.ops.history import member_history
    from memberledger.ops.report import programme_report
    from memberledger.ops.verification import verify_commitments
    from memberledger.programme import open_programme

    logger.set_level("WARNING")
    with (
        networks.parse_network_choice(url),
        open_programme(
            project,
            chain,
            accounts,
            vault_path=folder / "vault.db",
            deployments_root=folder / "deployments",
        ) as programme,
    ):
        figures: dict[str, Any] = {}
        started, cpu_started = time.perf_counter(), time.process_time()
        if what == "catch-up":
            for suffix in ("", "-wal", "-shm"):  # a fresh index, from the deploy block
                Path(f"{folder / 'vault.db'}.index.db{suffix}").unlink(missing_ok=True)
            started = time.perf_counter()
            with open_index(programme, quiet=True) as index:
                done = index.catch_up()
            figures = {"events": done.events, "seconds": round(done.seconds, 2)}
            figures["events_per_s"] = round(done.events_per_second)
        elif what == "report":
            report = programme_report(programme)
            figures = {"seconds": round(time.perf_counter() - started, 3)}
            figures["members"] = sum(report.by_status.values())
        elif what == "history":
            wallets = _some_wallets(programme, HISTORY_MEMBERS)
            with open_index(programme, quiet=True) as index:
                index.catch_up()
                times = []
                for wallet in wallets:
                    started = time.perf_counter()
                    events = member_history(index, wallet)
                    times.append((time.perf_counter() - started) * 1000)
            figures = {"ms": round(statistics.median(times), 2), "events": len(events)}
            figures["max_ms"] = round(max(times), 2)
        elif what == "verify":
            result = verify_commitments(programme)
            figures = {"seconds": round(time.perf_counter() - started, 2)}
            figures.update(checked=result.checked, mismatches=len(result.mismatches))
        elif what == "report-today":
            counted = report_today(programme)
            figures = {"seconds": round(time.perf_counter() - started, 2), "members": counted}
        elif what == "history-today":
            wallets = _some_wallets(programme, 3)
            times = []
            for wallet in wallets:
                started = time.perf_counter()
                found = history_today(programme, wallet)
                times.append((time.perf_counter() - started) * 1000)
            figures = {"ms": round(statistics.median(times), 2), "events": found}
        elif what == "verify-today":
            checked = verify_today(programme)
            figures = {"seconds": round(time.perf_counter() - started, 2), "checked": checked}
        elif what == "decode-today":
            count = decode_today(programme)
            seconds = time.perf_counter() - started
            figures = {"events": count, "events_per_s": round(count / seconds)}
        else:
            raise ValueError(what)
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["cpu_s"] = round(time.process_time() - cpu_started, 1)
    return figures


def peak_rss_mb(pid: int | str = "self") -> float:
    """The peak resident memory (`VmHWM`) of process `pid`, this one by default. Not
    `getrusage`: after fork and exec, Linux reports the larger of the child's peak and the
    parent's RSS at the fork, and the parent here has just enrolled a million members."""
    status = Path(f"/proc/{pid}/status")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM in {status} (a process that has ended)")


def _some_wallets(programme: Any, count: int) -> list[str]:
    """`count` members' wallets spread over the vault."""
    wallets: list[str] = []
    for chunk in programme.vault.members_with_sealed(4_000):
        wallets.append(chunk[0][0].wallet)
        if len(wallets) == count:
            break
    return wallets


# ---------------------------------------------------------------------- today's way


def report_today(programme: Any) -> int:
    """The report as it was before the index (release 0.1.0's `programme_report`): every
    `MemberEnrolled` log from the deploy block through Ape, then one Ape call per member,
    then the points events through Ape."""
    from memberledger.chain.reads import distinct, event_logs, read_member

    chain, registry, points = programme.chain, programme.registry, programme.points
    start = programme.from_block
    wallets = distinct(str(log.member) for log in event_logs(chain, registry.MemberEnrolled, start))
    members = [read_member(registry, wallet) for wallet in wallets]
    Counter(member.status for member in members)
    sum(int(log.total) for log in event_logs(chain, points.BatchCredited, start))
    for _ in event_logs(chain, points.Redeemed, start):
        pass
    int(points.totalSupply())
    return len(members)


def history_today(programme: Any, wallet: str) -> int:
    """A member's logs as before the index: each event through Ape from the deploy block."""
    from memberledger.chain.reads import event_logs

    chain, registry, points = programme.chain, programme.registry, programme.points
    start = programme.from_block
    found = 0
    for name in (
        "MemberEnrolled",
        "CommitmentRotated",
        "TierChanged",
        "ConsentChanged",
        "MemberSuspended",
        "MemberReinstated",
        "MemberRevoked",
        "MemberLeft",
        "MemberErased",
    ):
        found += sum(1 for _ in event_logs(chain, getattr(registry, name), start, member=wallet))
    for name in ("Redeemed", "PointsForfeited"):
        found += sum(1 for _ in event_logs(chain, getattr(points, name), start, member=wallet))
    timestamps = {}
    for log in event_logs(chain, points.Transfer, start, to=wallet):
        timestamps[int(log.block_number)] = int(chain.blocks[int(log.block_number)].timestamp)
        found += 1
    found += sum(1 for _ in event_logs(chain, points.Transfer, start, **{"from": wallet}))
    return found


def verify_today(programme: Any) -> int:
    """Verification as before the index: one Ape `memberOf` call per member."""
    from memberledger.chain.reads import read_member
    from memberledger.pii.canonical import canonical_bytes
    from memberledger.pii.commitment import commit
    from memberledger.store.vault import MemberStatus

    checked = 0
    for member in programme.vault.iter_members():
        read_member(programme.registry, member.wallet)
        if member.status is MemberStatus.ENROLLED:
            personal, salt = programme.vault.personal_data(member.member_id)
            commit(canonical_bytes(personal), salt)
            checked += 1
    return checked


def decode_today(programme: Any) -> int:
    """Reading all events as before the index: through Ape, decoded by it."""
    from memberledger.chain.reads import event_logs

    chain, registry, points = programme.chain, programme.registry, programme.points
    start = programme.from_block
    count = sum(1 for _ in event_logs(chain, registry.MemberEnrolled, start))
    return count + sum(1 for _ in event_logs(chain, points.Transfer, start))


# ---------------------------------------------------------------------- the run


def postgres_reads(folder: Path, url: str, console: Any) -> dict[str, Any]:
    """The same reads with the programme in PostgreSQL: a server of its own (tests/pg_kit.py),
    the vault file copied in (`ape run vault copy-to-postgresql`'s `copy_vault`), the index
    caught up into the database from scratch."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_kit import PostgresServer

    from memberledger.store.database import Database
    from memberledger.store.transfer import copy_vault

    server = PostgresServer.start()
    try:
        database_url = server.new_database("reads")
        source = Database(folder / "vault.db", url="")
        target = Database(folder / "vault.db", url=database_url)
        started = time.perf_counter()
        copied = sum(copy.rows for copy in copy_vault(source, target))
        copy_s = round(time.perf_counter() - started, 1)
        source.close()
        target.close()
        console.print(
            f"copied {copied:,} rows of {folder.name}'s vault into PostgreSQL in {copy_s} s"
        )
        reads = {
            what: run_child(what, url, folder, console, database_url)
            for what in ("catch-up", "report", "history", "verify")
        }
    finally:
        server.stop()
    return {
        "copy_s": copy_s,
        "copied_rows": copied,
        "report_s": reads["report"]["seconds"],
        "history_ms": reads["history"]["ms"],
        "verify_s": reads["verify"]["seconds"],
        "index_events_per_s": reads["catch-up"]["events_per_s"],
        "peak_rss_mb": max(read["peak_rss_mb"] for read in reads.values()),
        "reads": reads,
    }


def measure(
    members: int,
    sample: int,
    workdir: Path,
    node: str | None,
    console: Any,
    on_postgres: bool = True,
) -> dict[str, Any]:
    from memberledger.chain.local_node import running_anvil

    key_file = workdir / "key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    os.environ["MEMBERLEDGER_VAULT_KEY"] = key_file.read_text().strip()
    from memberledger.settings import reload_settings

    reload_settings()
    # Only the latest block states in memory (the reads need no other), few blocks.
    options = [
        *("--block-time", BUILD_BLOCK_TIME, "--gas-limit", BLOCK_GAS_LIMIT),
        *("--prune-history", PRUNE_HISTORY),
    ]
    with nullcontext(node) if node else running_anvil(*options) as url:
        if not built(workdir, "big", members, url):
            build(workdir, "big", members, url, console)
        if not built(workdir, "sample", sample, url):
            build(workdir, "sample", sample, url, console)
        from memberledger.chain.rpc import NodeClient

        node_client = NodeClient(url)
        node_client.call("evm_setIntervalMining", READ_BLOCK_TIME)
        node_client.close()
        big, small = workdir / "big", workdir / "sample"
        catch_up = run_child("catch-up", url, big, console)
        report = run_child("report", url, big, console)
        history = run_child("history", url, big, console)
        verify = run_child("verify", url, big, console)
        report_old = run_child("report-today", url, small, console)
        history_old = run_child("history-today", url, small, console)
        verify_old = run_child("verify-today", url, small, console)
        decode_old = run_child("decode-today", url, small, console)
        postgres = postgres_reads(big, url, console) if on_postgres else None

    def per_member_ratio(old_s: float, old_n: int, new_s: float, new_n: int) -> float:
        return round((old_s / old_n) / (new_s / new_n), 1)

    reads = (catch_up, report, history, verify)
    return {
        "read_members": members,
        "read_sample": sample,
        "report_s_1m": report["seconds"],
        "history_ms": history["ms"],
        "verify_s_1m": verify["seconds"],
        "index_events_per_s": catch_up["events_per_s"],
        "reads_peak_rss_mb": max(read["peak_rss_mb"] for read in reads),
        "reads": {
            "catch_up": catch_up,
            "report": report,
            "history": history,
            "verify": verify,
            "report_today_sample": report_old,
            "history_today_sample": history_old,
            "verify_today_sample": verify_old,
            "decode_today_sample": decode_old,
            "report_ratio_per_member": per_member_ratio(
                report_old["seconds"], sample, report["seconds"], members
            ),
            "verify_ratio_per_member": per_member_ratio(
                verify_old["seconds"], sample, verify["seconds"], members
            ),
            "history_ratio": round(history_old["ms"] / history["ms"], 1),
            "catch_up_ratio": round(catch_up["events_per_s"] / decode_old["events_per_s"], 1),
        },
        **({"reads_postgres": postgres} if postgres is not None else {}),
    }


def table(figures: dict[str, Any]) -> Any:
    from rich.table import Table

    reads = figures["reads"]
    members, sample = figures["read_members"], figures["read_sample"]
    result = Table(
        title=f"Reads: the index on {members:,} members, today's way on {sample:,}",
        title_justify="left",
    )
    for column in ("read", "index", "today's way (sample)", "ratio", "peak RSS MB", "target"):
        result.add_column(column, justify="right" if column != "read" else "left")
    result.add_row(
        "report, end to end",
        f"{figures['report_s_1m']:,} s",
        f"{reads['report_today_sample']['seconds']:,} s",
        f"{reads['report_ratio_per_member']:,}x per member",
        str(reads["report"]["peak_rss_mb"]),
        TARGETS["report_s_1m"] + " s",
    )
    result.add_row(
        "one member's history",
        f"{figures['history_ms']:,} ms",
        f"{reads['history_today_sample']['ms']:,} ms",
        f"{reads['history_ratio']:,}x",
        str(reads["history"]["peak_rss_mb"]),
        TARGETS["history_ms"] + " ms",
    )
    result.add_row(
        "verify (vault against chain)",
        f"{figures['verify_s_1m']:,} s",
        f"{reads['verify_today_sample']['seconds']:,} s",
        f"{reads['verify_ratio_per_member']:,}x per member",
        str(reads["verify"]["peak_rss_mb"]),
        TARGETS["verify_s_1m"] + " s",
    )
    result.add_row(
        "index catch-up",
        f"{figures['index_events_per_s']:,} events/s",
        f"{reads['decode_today_sample']['events_per_s']:,} events/s (Ape's decoding)",
        f"{reads['catch_up_ratio']:,}x",
        str(reads["catch_up"]["peak_rss_mb"]),
        TARGETS["index_events_per_s"] + " events/s",
    )
    return result


def postgres_table(figures: dict[str, Any]) -> Any:
    """The index's reads on SQLite and on PostgreSQL, side by side."""
    from rich.table import Table

    pg = figures["reads_postgres"]
    result = Table(
        title=f"Reads on {figures['read_members']:,} members: SQLite and PostgreSQL "
        f"(vault copied in: {pg['copied_rows']:,} rows in {pg['copy_s']:,} s)",
        title_justify="left",
    )
    for column in ("read", "SQLite", "PostgreSQL", "peak RSS MB (PostgreSQL)", "target"):
        result.add_column(column, justify="right" if column != "read" else "left")
    rows = [
        ("report, end to end", "report_s_1m", "report_s", "report", " s"),
        ("one member's history", "history_ms", "history_ms", "history", " ms"),
        ("verify (vault against chain)", "verify_s_1m", "verify_s", "verify", " s"),
        ("index catch-up", "index_events_per_s", "index_events_per_s", "catch-up", " events/s"),
    ]
    for label, sqlite_key, pg_key, read, unit in rows:
        result.add_row(
            label,
            f"{figures[sqlite_key]:,}{unit}",
            f"{pg[pg_key]:,}{unit}",
            str(pg["reads"][read]["peak_rss_mb"]),
            TARGETS[sqlite_key] + unit,
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, help="keep the vaults and manifests here")
    parser.add_argument(
        "--node",
        help="a running node to build the chain on (once) and read from, with --workdir: to "
        "measure the reads again without building a million members again",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-postgres",
        dest="postgres",
        action="store_false",
        help="skip the same reads with the programme copied into PostgreSQL",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.url, args.folder)))
        return 0

    from rich.console import Console

    console = Console(stderr=True)
    for name in list(os.environ):
        if name.startswith("MEMBERLEDGER_"):
            del os.environ[name]
    with ExitStack() as stack:
        workdir = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="memberledger-reads-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        if args.node and not args.workdir:
            parser.error("--node needs --workdir (where its programmes' vaults are kept)")
        figures = measure(args.members, args.sample, workdir, args.node, console, args.postgres)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**previous, **figures}, indent=2) + "\n")
    Console().print(table(figures))
    if "reads_postgres" in figures:
        Console().print(postgres_table(figures))
    console.print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
