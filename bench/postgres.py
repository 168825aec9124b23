"""The PostgreSQL section of `make bench`: two operator machines enrolling together against
one PostgreSQL database, against one machine alone (`two_operators_speedup`).

Starts a PostgreSQL server of its own (tests/pg_kit.py: Debian's binaries, a cluster in a
temporary folder, stopped at the end) and an Anvil, deploys, and gives the second machine its
own keyfile account with the registrar role (tests/operator_kit.py). Then, through the real
`ape run enroll` (one process per machine, as on two machines):

- alone: the first machine enrolls a file of 2 x `--members`;
- together: each machine enrolls a file of `--members` at the same time.

Members per second are the rows enrolled over the wall time, Python and Ape start-up (a few
seconds per `ape run`) included, since that is what two machines cost. Two machines with
their own accounts check and sign at the same time and send at the same time; they take
turns only at storing their rows (README "Growing past one machine"). Both machines and the
node share this one computer, so the figure says how much the coordination costs, not what
two real machines in two places would gain (each would bring its own cores).

The peak RSS of each `ape run enroll` is read from /proc while it runs, per account: the
first machine signs with a development account, the second with a keyfile account, whose
unlocking (the Ethereum keystore's scrypt, N=2^18, r=8) needs 256 MiB at once
(`two_operators_peak_rss_mb`, the largest).

    .venv/bin/python bench/postgres.py [--members 20000] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


#: The paced chain: a block a second with room for every batch, and each machine at most
#: `PACED_IN_FLIGHT` transactions out, as a sequencer or a node's pool caps one sender.
PACED_ANVIL = ("--block-time", "1", "--gas-limit", "1000000000")
PACED_IN_FLIGHT = "8"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000, help="per machine, together")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_kit import PostgresServer

    server = PostgresServer.start()
    try:
        automine = _measure(server, args.members, (), ())
        paced = _measure(server, args.members, PACED_ANVIL, ("--in-flight", PACED_IN_FLIGHT))
    finally:
        server.stop()
    figures = {
        "members_per_machine": args.members,
        **{f"automine_{name}": value for name, value in automine.items()},
        **{f"paced_{name}": value for name, value in paced.items()},
        "two_operators_speedup": automine["speedup"],
        "two_operators_speedup_paced": paced["speedup"],
        "two_operators_peak_rss_mb": max(
            run[f"peak_rss_mb_{account}"]
            for run in (automine, paced)
            for account in ("development_account", "keyfile_account")
        ),
        "note": (
            "wall time of `ape run enroll` including start-up, both machines and the node on "
            "one host; automine: a block per transaction; paced: a block a second, "
            f"--in-flight {PACED_IN_FLIGHT} per machine"
        ),
    }
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**previous, "postgres": figures}, indent=2) + "\n")
    for name, value in figures.items():
        print(f"{name:44} {value}")
    return 0


def _measure(
    server: Any, members: int, anvil_options: tuple[str, ...], enroll_options: tuple[str, ...]
) -> dict[str, float]:
    """On a fresh Anvil (`anvil_options`) and a fresh database: one machine enrolling
    2 x `members`, then two machines enrolling `members` each at once; members a second."""
    from operator_kit import new_operator, second_machine

    from memberledger.chain.local_node import running_anvil

    bench: Any = __import__("bench")
    with (
        tempfile.TemporaryDirectory(prefix="memberledger-bench-pg-") as folder,
        running_anvil(*anvil_options) as url,
    ):
        tmp = Path(folder)
        database = server.new_database(f"bench_{len(anvil_options)}")
        first = new_operator(url, tmp / "a", MEMBERLEDGER_DATABASE_URL=database)
        (tmp / "b").mkdir()
        second, address = second_machine(first, tmp / "b")
        first.run("roles", "grant", "registrar", address, "--yes").ok()
        alone_csv, north_csv, south_csv = (tmp / f"{n}.csv" for n in ("alone", "n", "s"))
        bench.write_members(alone_csv, 2 * members, "alone", keep_wallets=False)
        bench.write_members(north_csv, members, "north", keep_wallets=False)
        bench.write_members(south_csv, members, "south", keep_wallets=False)

        alone = enroll(first, alone_csv, enroll_options)
        with ThreadPoolExecutor(2) as pool:
            runs = [
                pool.submit(enroll, machine, path, enroll_options)
                for machine, path in ((first, north_csv), (second, south_csv))
            ]
            together = [run.result() for run in runs]
    alone_rate = 2 * members / alone.seconds
    together_rate = 2 * members / max(run.seconds for run in together)
    return {
        "one_alone_members_per_s": round(alone_rate, 1),
        "two_together_members_per_s": round(together_rate, 1),
        "speedup": round(together_rate / alone_rate, 2),
        # The first machine signs with a development account, the second with a keyfile
        # account: unlocking it runs the keystore's scrypt (N=2^18, r=8), 256 MiB at once.
        "peak_rss_mb_development_account": max(alone.peak_rss_mb, together[0].peak_rss_mb),
        "peak_rss_mb_keyfile_account": together[1].peak_rss_mb,
    }


@dataclass(frozen=True)
class Enrolled:
    seconds: float
    #: The `ape run enroll` process's own peak (`VmHWM`; its validation workers are apart).
    peak_rss_mb: float


def enroll(machine: Any, path: Path, options: tuple[str, ...]) -> Enrolled:
    """`ape run enroll PATH` on `machine` (tests/operator_kit.py), its wall time and peak RSS.
    The peak is read from /proc while it runs: `getrusage` of a child reports at least the
    parent's size when it was started (this process has filled a million-member index
    earlier in `make bench`)."""
    reads: Any = __import__("reads")  # bench/reads.py, beside this file
    started = time.monotonic()
    with subprocess.Popen(
        machine.command("enroll", path, *options),
        cwd=ROOT,
        env=machine.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as process:
        stdout = process.stdout
        assert stdout is not None
        output: list[bytes] = []
        reader = threading.Thread(target=lambda: output.append(stdout.read()))
        reader.start()
        peak = 0.0
        while process.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):  # it ended meanwhile
                peak = max(peak, reads.peak_rss_mb(process.pid))
            time.sleep(0.05)
        reader.join()
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise RuntimeError(f"ape run enroll {path} failed:\n{b''.join(output).decode()}")
    return Enrolled(seconds, peak)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
