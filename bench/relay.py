"""The relay section of `make bench`: how many valid relayed requests a second the member site
sustains on a local Anvil (consent changes, then redemptions of members with points), and
whether valid requests are still served within a second while 1,000 idle connections and a
flood of invalid requests hit it.

Everything stays on this machine: the site (`ape run relay`, its own process, as operators
run it) listens on 127.0.0.1, the load comes from 127.0.0.x addresses, and every loop is
bounded in count and in time.

    .venv/bin/python bench/relay.py [--members 400] [--workers 16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
#: Idle connections held open during the flood.
IDLE_CONNECTIONS = 1_000
#: The flood: at most this many invalid requests, for at most this many seconds.
FLOOD_REQUESTS = 30_000
FLOOD_SECONDS = 8.0
FLOOD_THREADS = 8
#: Valid requests sent, one after another, while the flood runs; each must be answered
#: within this many seconds.
PROBES = 20
PROBE_BUDGET_S = 1.0
#: Members credited per `credit` transaction before the redemption run.
CREDIT_BATCH = 100
CREDIT_ABI = [
    {
        "type": "function",
        "name": "credit",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "rows", "type": "bytes"}],
        "outputs": [],
    }
]


@dataclass
class Member:
    address: str
    key: bytes


class Client:
    """One keep-alive HTTP connection from a given 127.x source address."""

    def __init__(self, port: int, source: str) -> None:
        self.port = port
        self.source = source
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
                )
            try:
                self.connection.request("POST", path, body, {"Content-Type": "application/json"})
                answer = self.connection.getresponse()
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else {}
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def sign_consent(member: Member, flags: int, chain_id: int, registry: str, deadline: int) -> bytes:
    """A consent relay request body: `flags` under policy 1, the member's first nonce."""
    from memberledger.site.signed_requests import ConsentChange

    return _signed_body(
        ConsentChange(member.address, flags, 1, 0, deadline), member, chain_id, registry
    )


def sign_redemption(
    member: Member, reward_id: int, cost: int, chain_id: int, points: str, deadline: int
) -> bytes:
    """A redemption relay request body: reward `reward_id` at `cost`, the first nonce."""
    from memberledger.site.signed_requests import RedeemRequest

    redemption = RedeemRequest(member.address, reward_id, cost, 0, deadline)
    return _signed_body(redemption, member, chain_id, points)


def _signed_body(message: Any, member: Member, chain_id: int, contract: str) -> bytes:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    from memberledger.site.signed_requests import typed_data

    typed = typed_data(message, chain_id, contract)
    signed = Account.sign_message(encode_typed_data(full_message=typed), member.key)
    body = {key: str(value) for key, value in message.message().items()}
    body["member"] = member.address
    body["signature"] = "0x" + bytes(signed.signature).hex()
    return json.dumps(body).encode()


@contextmanager
def member_site(url: str, workdir: Path, env: dict[str, str], *options: str) -> Iterator[int]:
    """`ape run relay` on a free port, stopped (Ctrl-C) when the block ends."""
    from memberledger.chain.local_node import free_port

    port = free_port()
    log = workdir / f"site-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                *("ape", "run", "relay", "--network", url, "--port", str(port)),
                *("--history-index", str(workdir / f"site-{port}.index.db"), *options),
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ape run relay exited:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    # Not a connection that met itself (TCP simultaneous open on a port
                    # nothing listens on yet): the relay's.
                    if probe.getsockname() != probe.getpeername():
                        break
                    raise ConnectionRefusedError
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("ape run relay did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def sustained_rate(port: int, path: str, bodies: list[bytes], workers: int) -> dict[str, Any]:
    """Send every body to `path` once, `workers` at a time; the rate of answers that relayed."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def work(worker: int) -> None:
        client = Client(port, f"127.0.1.{worker + 1}")
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    _, body = queue.pop()
                started = time.perf_counter()
                status, _ = client.post(path, body)
                with lock:
                    latencies.append(time.perf_counter() - started)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.perf_counter() - started
    relayed = statuses.get(200, 0)
    return {
        "relayed_requests_per_s": round(relayed / seconds, 1),
        "requests": len(bodies),
        "relayed": relayed,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 2),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p95_ms": round(statistics.quantiles(latencies, n=20)[-1] * 1000, 1),
        "workers": workers,
    }


def under_attack(port: int, probes: list[bytes]) -> dict[str, Any]:
    """Hold IDLE_CONNECTIONS idle sockets, flood invalid requests from many addresses, and
    send valid requests one by one meanwhile: how long each valid one took."""
    idle = []
    for i in range(IDLE_CONNECTIONS):
        idle.append(
            socket.create_connection(
                ("127.0.0.1", port), source_address=(f"127.0.2.{i % 250 + 1}", 0)
            )
        )
    stop = threading.Event()
    sent = [0] * FLOOD_THREADS
    answered: dict[int, int] = {}
    lock = threading.Lock()
    junk = [b"{}", b"{not json", json.dumps({"member": "0x" + "11" * 20}).encode(), b"[]" * 100]

    def flood(index: int) -> None:
        clients = [Client(port, f"127.0.3.{index * 30 + j + 1}") for j in range(30)]
        try:
            while not stop.is_set() and sum(sent) < FLOOD_REQUESTS:
                client = clients[sent[index] % len(clients)]
                try:
                    status, _ = client.post("/relay/consent", junk[sent[index] % len(junk)])
                except (OSError, http.client.HTTPException):
                    status = 0
                sent[index] += 1
                with lock:
                    answered[status] = answered.get(status, 0) + 1
        finally:
            for client in clients:
                client.close()

    flooders = [threading.Thread(target=flood, args=(i,)) for i in range(FLOOD_THREADS)]
    started = time.perf_counter()
    for thread in flooders:
        thread.start()
    time.sleep(0.5)  # the flood is running
    probe = Client(port, "127.0.0.2")
    waits: list[float] = []
    statuses: list[int] = []
    try:
        for body in probes:
            if time.perf_counter() - started > FLOOD_SECONDS:
                break
            began = time.perf_counter()
            status, _ = probe.post("/relay/consent", body)
            waits.append(time.perf_counter() - began)
            statuses.append(status)
            time.sleep(0.2)
    finally:
        probe.close()
        stop.set()
        for thread in flooders:
            thread.join(timeout=30)
        flood_seconds = time.perf_counter() - started
        still_open = 0
        for connection in idle:
            connection.setblocking(False)
            try:
                still_open += connection.recv(1) != b""
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
            connection.close()
    return {
        "idle_connections": IDLE_CONNECTIONS,
        "idle_still_open_at_end": still_open,
        "flood_requests": sum(sent),
        "flood_requests_per_s": round(sum(sent) / flood_seconds, 1),
        "flood_statuses": {str(k): v for k, v in sorted(answered.items())},
        "valid_probes": len(waits),
        "valid_relayed": statuses.count(200),
        "valid_max_ms": round(max(waits) * 1000, 1),
        "valid_p50_ms": round(statistics.median(waits) * 1000, 1),
        "valid_within_1s": all(wait < PROBE_BUDGET_S for wait in waits) and len(waits) > 0,
    }


def run(members: int = 400, workers: int = 16) -> dict[str, Any]:
    """The relay section's figures (see the module docstring)."""
    from ape import accounts, chain, networks, project
    from ape.logging import logger
    from eth_account import Account
    from web3 import Web3

    from memberledger.chain.deployment import DEFAULT_REWARDS, deploy, save_manifest
    from memberledger.chain.local_node import running_anvil
    from memberledger.identifiers import packed_credit_rows

    logger.set_level("WARNING")
    with (
        tempfile.TemporaryDirectory(prefix="memberledger-relay-bench-") as folder,
        running_anvil() as url,
    ):
        tmp = Path(folder)
        with networks.parse_network_choice(url):
            deployment = deploy(project, chain, accounts.test_accounts[0])
            save_manifest(deployment, tmp / "deployments")
        web3 = Web3(Web3.HTTPProvider(url))
        registrar = next(iter(web3.eth.accounts))
        enroll = web3.eth.contract(
            address=Web3.to_checksum_address(deployment.registry),
            abi=[
                {
                    "type": "function",
                    "name": "enroll",
                    "stateMutability": "nonpayable",
                    "inputs": [
                        {"name": "member", "type": "address"},
                        {"name": "commitment", "type": "bytes20"},
                        {"name": "consent", "type": "uint16"},
                        {"name": "tier", "type": "uint8"},
                    ],
                    "outputs": [],
                }
            ],
        ).functions.enroll
        people = []
        total = members + PROBES
        for _ in range(total):
            key = secrets.token_bytes(32)
            people.append(Member(Account.from_key(key).address, key))
        last = None
        for person in people:
            last = enroll(person.address, secrets.token_bytes(20), 1, 0).transact(
                {"from": registrar}
            )
        assert last is not None
        web3.eth.wait_for_transaction_receipt(last)
        # Every member of the rate run gets the coffee voucher's cost in points (tier 0: one
        # to one), credited by the deployer (an issuer) in batches of CREDIT_BATCH rows.
        reward_id, (cost, _) = next(iter(DEFAULT_REWARDS.items()))
        credit = web3.eth.contract(
            address=Web3.to_checksum_address(deployment.points), abi=CREDIT_ABI
        ).functions.credit
        for start in range(0, members, CREDIT_BATCH):
            rows = [
                (p.address, cost, secrets.token_bytes(16))
                for p in people[start : start + CREDIT_BATCH]
            ]
            last = credit(packed_credit_rows(rows)).transact({"from": registrar, "gas": 20_000_000})
        web3.eth.wait_for_transaction_receipt(last)
        chain_id = int(web3.eth.chain_id)
        deadline = int(web3.eth.get_block("latest")["timestamp"]) + 3600
        bodies = [
            sign_consent(p, 3, chain_id, deployment.registry, deadline) for p in people[:members]
        ]
        probes = [
            sign_consent(p, 3, chain_id, deployment.registry, deadline) for p in people[members:]
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERLEDGER_")}
        env.update(MEMBERLEDGER_DEPLOYMENTS=str(tmp / "deployments"), NO_COLOR="1")
        redemptions = [
            sign_redemption(p, reward_id, cost, chain_id, deployment.points, deadline)
            for p in people[:members]
        ]
        roomy = ("--per-ip", "1000000", "--per-member", "1000")
        with member_site(url, tmp, env, *roomy) as port:
            rate = sustained_rate(port, "/relay/consent", bodies, workers)
            redeemed = sustained_rate(port, "/relay/redeem", redemptions, workers)
        with member_site(url, tmp, env) as port:  # the default limits, as deployed
            attack = under_attack(port, probes)
    return {"sustained": rate, "sustained_redemptions": redeemed, "under_attack": attack}


def print_table(figures: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="MemberLedger relay benchmark (local Anvil, 127.0.0.1)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for section, values in figures.items():
        for name, value in values.items():
            shown = (
                f"{value:,}"
                if isinstance(value, int | float) and not isinstance(value, bool)
                else str(value)
            )
            table.add_row(f"{section}.{name}", shown)
    Console().print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    figures = run(args.members, args.workers)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["relay"] = figures
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(figures)
    return 0 if figures["under_attack"]["valid_within_1s"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
