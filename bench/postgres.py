"""The PostgreSQL section of `make bench`: two operator machines enrolling together against
one PostgreSQL database, against one machine alone (`two_operators_speedup`).

Starts a PostgreSQL server of its own (tests/pg_kit.py: Debian's binaries, a cluster in a
temporary folder, stopped at the end) and an Anvil, deploys, and gives the second machine its
own keyfile account with the registrar role (tests/operator_kit.py). Then, through the real
`ape run enroll` (one process per machine, as on two machines):

- alone: the first machine enrolls a file of 2 x `--members`;
- together: each machine enrolls a file of `--members` at the same time.

Members per second are the rows enrolled over the wall time, Python and Ape start-up (a few
seconds per `ape run`) included, since that is what two machines cost. Enroll runs take
turns on one programme (the database's run lock, README "Growing past one machine"), so the
figure is expected near 1: what overlaps is start-up, checking and staging, not sending.

    .venv/bin/python bench/postgres.py [--members 2000] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2_000, help="per machine, together")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from operator_kit import new_operator, second_machine
    from pg_kit import PostgresServer

    from memberledger.chain.local_node import running_anvil

    bench: Any = __import__("bench")
    server = PostgresServer.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="memberledger-bench-pg-") as folder,
            running_anvil() as url,
        ):
            tmp = Path(folder)
            first = new_operator(
                url, tmp / "a", MEMBERLEDGER_DATABASE_URL=server.new_database("bench")
            )
            (tmp / "b").mkdir()
            second, address = second_machine(first, tmp / "b")
            first.run("roles", "grant", "registrar", address, "--yes").ok()
            alone_csv, north_csv, south_csv = (tmp / f"{n}.csv" for n in ("alone", "n", "s"))
            bench.write_members(alone_csv, 2 * args.members, "alone", keep_wallets=False)
            bench.write_members(north_csv, args.members, "north", keep_wallets=False)
            bench.write_members(south_csv, args.members, "south", keep_wallets=False)

            alone = first.run("enroll", alone_csv).ok()
            with ThreadPoolExecutor(2) as pool:
                runs = [
                    pool.submit(machine.run, "enroll", path)
                    for machine, path in ((first, north_csv), (second, south_csv))
                ]
                together = [run.result().ok() for run in runs]
    finally:
        server.stop()

    alone_rate = 2 * args.members / alone.seconds
    together_rate = 2 * args.members / max(run.seconds for run in together)
    figures = {
        "members_per_machine": args.members,
        "one_alone_members_per_s": round(alone_rate, 1),
        "two_together_members_per_s": round(together_rate, 1),
        "two_operators_speedup": round(together_rate / alone_rate, 2),
        "note": "wall time of `ape run enroll` including start-up; enroll runs take turns",
    }
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**previous, "postgres": figures}, indent=2) + "\n")
    for name, value in figures.items():
        print(f"{name:32} {value}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
