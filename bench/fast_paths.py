"""The hand-written fast paths of the bulk run, each timed against the library it replaces, on
the bulk path's real sizes; part of `make bench`, or on its own:

    .venv/bin/python bench/fast_paths.py [--rounds 5]

- `memberledger.hashing`: keccak256 of a commitment's input and EIP-55 checksums, against
  `eth_utils` (three hashes and a checksum per row of a bulk run);
- `memberledger.chain.calldata`: a 600-row `enrollBatch` and a 550-row `credit` (packed
  rows), against `eth_abi` (one of each per batch);
- `memberledger.index.decoding`: 1,000 logs as the chain index decodes them, against
  `eth_abi` (two logs per member of a bulk run, read back by the index);
- `memberledger.chain.rpc.NodeClient`: a block's receipts (8 per request) and a 4,000-wallet
  `statusesAndTiers` call on a private Anvil with the registry deployed and 16 full batches
  mined, against web3.py's batch requests (a block of receipts per 16 batches; a call per
  4,000 rows).

Each figure is the best of `--rounds` rounds (the least disturbed by the rest of the machine).
The ratio is library time over fast-path time; `per 100k rows` is the time the fast path saves
a 100,000-row run, from how often the run does the operation. The rule (README, "Hand-written
fast paths"): a fast path stays only where it gains at least 2x at these sizes. (Local
signing was one: 1.95x against eth_account on a 600-row batch, so it went back to eth_account;
see `memberledger.chain.signer`.)
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
ENROLL_ROWS = 600
CREDIT_ROWS = 550
STATUS_WALLETS = 4_000
#: How often a 100,000-row enrollment does each operation.
PER_100K = {
    "keccak256": 300_000,  # commitment, fingerprint, checksum of each row
    "checksum_address": 100_000,
    "enroll_batch calldata": 100_000 / ENROLL_ROWS,
    "credit calldata": 100_000 / CREDIT_ROWS,
    "receipts of a block (16 batches)": 100_000 / ENROLL_ROWS / 16,
    "statusesAndTiers, 4,000 wallets": 100_000 / STATUS_WALLETS,
    # The index reads a MemberEnrolled and a mint per member (and a ConsentChanged for many).
    "event decoding, 1,000 logs": 200,
}


@dataclass(frozen=True)
class Comparison:
    operation: str
    fast_s: float
    library_s: float

    @property
    def ratio(self) -> float:
        return self.library_s / self.fast_s

    @property
    def saved_per_100k_s(self) -> float:
        return (self.library_s - self.fast_s) * PER_100K[self.operation]


def best(rounds: int, work: Callable[[], object], repeat: int = 1) -> float:
    """Seconds per call of `work`: the best of `rounds` rounds of `repeat` calls."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            work()
        times.append((time.perf_counter() - started) / repeat)
    return min(times)


def wallets(count: int) -> list[str]:
    from memberledger.hashing import checksum_address

    return [checksum_address(secrets.token_bytes(20).hex()) for _ in range(count)]


def hashing(rounds: int) -> list[Comparison]:
    from eth_utils.address import to_checksum_address
    from eth_utils.crypto import keccak

    from memberledger.hashing import checksum_address, keccak256

    preimage = b"MemberLedger/commitment/v1" + secrets.token_bytes(32) + b"x" * 80
    hexes = [secrets.token_bytes(20).hex() for _ in range(1_000)]
    return [
        Comparison(
            "keccak256",
            best(rounds, lambda: keccak256(preimage), 20_000),
            best(rounds, lambda: keccak(preimage), 20_000),
        ),
        Comparison(
            "checksum_address",
            best(rounds, lambda: [checksum_address(h) for h in hexes], 20) / len(hexes),
            best(rounds, lambda: [to_checksum_address(h) for h in hexes], 20) / len(hexes),
        ),
    ]


def calldata_encoding(rounds: int) -> list[Comparison]:
    """Packed rows (`enrollBatch(bytes)`, `credit(bytes)`): by hand, against eth_abi's
    `encode_packed` per row and `encode` of the bytes argument."""
    from eth_abi.abi import encode
    from eth_abi.packed import encode_packed

    from memberledger.chain import calldata
    from memberledger.identifiers import event_tag, packed_credit_rows

    enroll = [calldata.Enrollment(w, secrets.token_bytes(20), 3, 2) for w in wallets(ENROLL_ROWS)]
    credits = [(w, 100 + i, event_tag(f"event-{i}")) for i, w in enumerate(wallets(CREDIT_ROWS))]

    def library_enroll() -> bytes:
        packed = b"".join(
            encode_packed(["address", "bytes20", "uint16", "uint8"], tuple(row)) for row in enroll
        )
        return calldata.ENROLL_BATCH + encode(["bytes"], [packed])

    def library_credit() -> bytes:
        packed = b"".join(encode_packed(["address", "uint64", "bytes16"], row) for row in credits)
        return calldata.CREDIT + encode(["bytes"], [packed])

    def fast_credit() -> bytes:
        return calldata.credit(packed_credit_rows(credits))

    assert library_enroll() == calldata.enroll_batch(enroll)
    assert library_credit() == fast_credit()
    return [
        Comparison(
            "enroll_batch calldata",
            best(rounds, lambda: calldata.enroll_batch(enroll), 20),
            best(rounds, library_enroll, 20),
        ),
        Comparison(
            "credit calldata", best(rounds, fast_credit, 20), best(rounds, library_credit, 20)
        ),
    ]


def event_decoding(rounds: int) -> list[Comparison]:
    """The chain index's decoding of 1,000 logs as `eth_getLogs` gives them (half
    `MemberEnrolled`, half mints), against eth_abi decoding their topics and data."""
    from eth_abi.abi import decode

    from memberledger.chain import calldata
    from memberledger.index.decoding import Catalogue

    artifact = json.loads((ROOT / ".build" / "__local__.json").read_text())
    abis = [artifact["contractTypes"][n]["abi"] for n in ("MembershipRegistry", "LoyaltyPoints")]
    registry, points = "0x" + "11" * 20, "0x" + "22" * 20
    catalogue = Catalogue([registry, points], abis)
    enrolled = catalogue.by_name(0, "MemberEnrolled")
    transfer = catalogue.by_name(1, "Transfer")
    assert enrolled is not None and transfer is not None
    logs: list[dict[str, Any]] = []
    for i, wallet in enumerate(wallets(1_000)):
        common = {
            "blockNumber": hex(7),
            "logIndex": hex(i),
            "transactionIndex": hex(i // 600),
            "transactionHash": "0x" + "ab" * 32,
            "blockHash": "0x" + "cd" * 32,
        }
        member = calldata.address_topic(wallet.lower())
        if i % 2:
            words = secrets.token_bytes(20) + bytes(12) + (2).to_bytes(32, "big")
            topics = [enrolled.topic, member]
            logs.append(
                {"address": registry, "topics": topics, "data": "0x" + words.hex(), **common}
            )
        else:
            topics = [transfer.topic, "0x" + "00" * 32, member]
            amount = "0x" + (150).to_bytes(32, "big").hex()
            logs.append({"address": points, "topics": topics, "data": amount, **common})
    specs = {(0, enrolled.topic): enrolled, (1, transfer.topic): transfer}
    codes = {registry: 0, points: 1}

    def library() -> list[tuple[Any, ...]]:
        decoded = []
        for log in logs:
            spec = specs[(codes[log["address"]], log["topics"][0])]
            indexed = [f.type for f in spec.fields if f.indexed]
            plain = [f.type for f in spec.fields if not f.indexed]
            topics = b"".join(bytes.fromhex(t[2:]) for t in log["topics"][1:])
            decoded.append((decode(indexed, topics), decode(plain, bytes.fromhex(log["data"][2:]))))
        return decoded

    def fast() -> list[Any]:
        return [catalogue.decode(log) for log in logs]

    return [
        Comparison("event decoding, 1,000 logs", best(rounds, fast, 3), best(rounds, library, 3))
    ]


def node_client(rounds: int) -> list[Comparison]:
    """Receipts and a bulk call through `NodeClient` and through web3.py, on a private Anvil
    that has mined 16 full enrollment batches in one block."""
    from eth_typing import HexStr
    from web3 import Web3

    from memberledger.chain import calldata
    from memberledger.chain.local_node import running_anvil
    from memberledger.chain.rpc import NodeClient
    from memberledger.chain.signer import LocalKeySigner, UnsignedTx

    artifact = json.loads((ROOT / ".build" / "__local__.json").read_text())
    registry_type = artifact["contractTypes"]["MembershipRegistry"]
    bytecode = registry_type["deploymentBytecode"]["bytecode"]
    key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Anvil account 0
    with running_anvil("--no-mining", "--gas-limit", "1000000000") as url:
        web3 = Web3(Web3.HTTPProvider(url))
        node = NodeClient(url)
        admin = web3.eth.accounts[0]
        contract = web3.eth.contract(abi=registry_type["abi"], bytecode=bytecode)
        deploy = contract.constructor(admin, 0).transact({"from": admin})
        node.call("evm_mine")
        deployed = web3.eth.get_transaction_receipt(deploy)["contractAddress"]
        assert deployed is not None
        registry = str(deployed)
        policy = web3.eth.contract(address=deployed, abi=registry_type["abi"])
        policy.functions.publishPolicy(b"\x11" * 32).transact({"from": admin})
        node.call("evm_mine")
        signer = LocalKeySigner(key)
        nonce = node.nonce(signer.address, "pending")
        hashes = []
        for index in range(16):
            rows = [
                calldata.Enrollment(w, secrets.token_bytes(20), 3, 2) for w in wallets(ENROLL_ROWS)
            ]
            tx = UnsignedTx(
                31337,
                nonce + index,
                registry,
                calldata.enroll_batch(rows),
                16_000_000,
                10**10,
                10**9,
            )
            hashes.append(node.send_raw(signer.sign(tx).raw))
        node.call("evm_mine")
        assert all(receipt is not None for receipt in node.receipts(hashes))
        probe = wallets(STATUS_WALLETS)
        data = calldata.statuses_and_tiers(probe)

        def library_receipts() -> list[Any]:
            found: list[Any] = []
            for start in range(0, len(hashes), 8):
                with web3.batch_requests() as batch:
                    for tx_hash in hashes[start : start + 8]:
                        batch.add(web3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
                    found.extend(batch.execute())
            return found

        def library_call() -> bytes:
            return bytes(web3.eth.call({"to": deployed, "data": HexStr("0x" + data.hex())}))

        assert library_call() == node.eth_call(registry, data)
        return [
            Comparison(
                "receipts of a block (16 batches)",
                best(rounds, lambda: node.receipts(hashes)),
                best(rounds, library_receipts),
            ),
            Comparison(
                "statusesAndTiers, 4,000 wallets",
                best(rounds, lambda: node.eth_call(registry, data), 3),
                best(rounds, library_call, 3),
            ),
        ]


def run(rounds: int = 5) -> dict[str, Any]:
    """Every comparison, printed as a table; the figures for bench/results.json."""
    from rich.console import Console
    from rich.table import Table

    comparisons = [
        *hashing(rounds),
        *calldata_encoding(rounds),
        *event_decoding(rounds),
        *node_client(rounds),
    ]
    table = Table(title="Hand-written fast paths against their libraries (best of rounds)")
    for column in ("operation", "fast path", "library", "ratio", "saves per 100k rows"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for c in comparisons:
        table.add_row(
            c.operation,
            _duration(c.fast_s),
            _duration(c.library_s),
            f"{c.ratio:,.1f}x",
            f"{c.saved_per_100k_s:,.2f} s",
        )
    Console().print(table)
    return {
        "fast_paths": {
            c.operation: {
                "fast_s": c.fast_s,
                "library_s": c.library_s,
                "ratio": round(c.ratio, 2),
                "saved_per_100k_rows_s": round(c.saved_per_100k_s, 3),
            }
            for c in comparisons
        }
    }


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    return f"{seconds * 1e3:,.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    figures = run(args.rounds)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**existing, **figures}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
