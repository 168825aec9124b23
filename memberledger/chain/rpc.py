"""A plain JSON-RPC client for the node, kept alive across thousands of calls.

Bulk sending goes around Ape's transaction machinery (which encodes in Python, estimates and
polls per transaction) and speaks to the node directly: one HTTP keep-alive session, batched
requests where the node allows them, answers parsed by orjson into plain values, and patience
when the node goes away for a moment (a restart): connection failures are retried for
`NodeClient.patience` seconds.

Measured by `bench/fast_paths.py` against web3.py's own batch requests: a block's receipts (16
batches of 600 logs each) in 66 ms against 1,156 ms (17x: web3.py turns every log into
attribute dictionaries of HexBytes), about 11 s of a 100,000-row enrollment. A plain
`eth_call` gains nothing (1.1x); it goes through this client only because the run already has
it open.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from memberledger.errors import MemberLedgerError, NodeUnavailable, RpcError

_JSON = {"Content-Type": "application/json"}
#: Receipts asked for in one request (see `NodeClient.receipts`).
RECEIPTS_PER_REQUEST = 8
#: Block headers asked for in one request (see `NodeClient.headers`).
HEADERS_PER_REQUEST = 100
#: How long a node may be unreachable before a run gives up.
DEFAULT_PATIENCE = 60.0


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block: int
    block_hash: str
    gas_used: int
    succeeded: bool
    #: The logs whose first topic the caller asked to keep (`NodeClient.receipts`): a bulk
    #: batch's receipt has hundreds, and only a few kinds matter to it.
    logs: tuple[dict[str, Any], ...] = ()


class NodeClient:
    """JSON-RPC over one keep-alive HTTP session. Not shared between threads: give each
    thread its own (`clone()`)."""

    def __init__(
        self,
        url: str,
        *,
        patience: float = DEFAULT_PATIENCE,
        on_wait: Callable[[str], None] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url
        self.patience = patience
        self.on_wait = on_wait
        self.timeout = timeout
        self.reconnections = 0
        self._session = requests.Session()
        self._ids = itertools.count(1)

    def clone(self) -> NodeClient:
        return NodeClient(
            self.url, patience=self.patience, on_wait=self.on_wait, timeout=self.timeout
        )

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------ transport

    def call(self, method: str, *params: Any) -> Any:
        (result,) = self._post([(method, list(params))], raise_errors=True)
        return result

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one request; an answer that is an error comes back as `RpcError`
        in its place instead of being raised."""
        if not calls:
            return []
        return self._post(calls, raise_errors=False)

    def _post(self, calls: Sequence[tuple[str, list[Any]]], *, raise_errors: bool) -> list[Any]:
        payload = [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            for method, params in calls
        ]
        body = self._send(payload if len(payload) > 1 else payload[0])
        answers = body if isinstance(body, list) else [body]
        by_id = {answer.get("id"): answer for answer in answers}
        results: list[Any] = []
        for request in payload:
            answer = by_id.get(request["id"], {})
            error = answer.get("error")
            if error is not None:
                failure = RpcError(
                    str(request["method"]),
                    int(error.get("code", 0)),
                    str(error.get("message", "")),
                    error.get("data"),
                )
                if raise_errors:
                    raise failure
                results.append(failure)
            else:
                results.append(answer.get("result"))
        return results

    def _send(self, payload: Any) -> Any:
        """POST `payload` and parse the answer. A node that does not answer, or answers
        HTTP 429/503 (a provider's rate limit), is asked again, with a growing pause (or the
        `Retry-After` it names), for `patience` seconds; then `NodeUnavailable`."""
        deadline: float | None = None
        pause = 0.25
        while True:
            try:
                response = self._session.post(
                    self.url, data=orjson.dumps(payload), headers=_JSON, timeout=self.timeout
                )
                if response.status_code in _RATE_LIMITED:
                    raise _RateLimited(_retry_after(response.headers.get("Retry-After")))
                response.raise_for_status()
                # orjson: a batch's receipts carry hundreds of logs each, and the standard
                # library's parser spent more time on them than the node took to mine them.
                return orjson.loads(response.content)
            except (requests.ConnectionError, requests.Timeout, _RateLimited) as exc:
                now = time.monotonic()
                limited = isinstance(exc, _RateLimited)
                if deadline is None:
                    deadline = now + self.patience
                    if not limited:
                        self.reconnections += 1
                    if self.on_wait is not None:
                        what = "is rate-limiting us" if limited else "is not answering"
                        self.on_wait(f"the node at {redacted_url(self.url)} {what}; retrying")
                if now > deadline:
                    raise NodeUnavailable(
                        f"the node at {redacted_url(self.url)} has not answered for "
                        f"{self.patience:.0f} s"
                    ) from exc
                wait = exc.seconds if isinstance(exc, _RateLimited) and exc.seconds else pause
                time.sleep(min(wait, max(0.0, deadline - now) + 0.01))
                pause = min(pause * 2, 8.0)
                if not limited:
                    self._session.close()
                    self._session = requests.Session()

    # ------------------------------------------------------------------ the calls used

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def nonce(self, address: str, block: str = "pending") -> int:
        return int(self.call("eth_getTransactionCount", address, block), 16)

    def eth_call(
        self, to: str, data: bytes, sender: str | None = None, block: int | str = "latest"
    ) -> bytes:
        """The call's answer, in the state after `block` (a number, or "latest")."""
        request: dict[str, str] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            request["from"] = sender
        tag = hex(block) if isinstance(block, int) else block
        return bytes.fromhex(str(self.call("eth_call", request, tag))[2:])

    def estimate_gas(self, sender: str, to: str, data: bytes) -> int:
        request = {"from": sender, "to": to, "data": "0x" + data.hex()}
        return int(self.call("eth_estimateGas", request), 16)

    def fees(self) -> tuple[int, int]:
        """(base fee of the latest block, suggested priority fee), in wei."""
        block, tip = self.batch(
            [("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", [])]
        )
        if isinstance(block, RpcError):
            raise block
        base = int(block.get("baseFeePerGas") or "0x0", 16)
        priority = 10**9 if isinstance(tip, RpcError) else int(tip, 16)
        return base, priority

    def send_raw(self, raw: bytes) -> str:
        return str(self.call("eth_sendRawTransaction", "0x" + raw.hex()))

    def receipts(
        self, tx_hashes: Sequence[str], keep_topics: frozenset[str] = frozenset()
    ) -> list[Receipt | None]:
        """The receipt of each transaction (None while unmined), a few per request: a bulk
        batch's receipt carries hundreds of logs, and one answer for 48 of them would be
        tens of megabytes of JSON held at once. Logs whose first topic is in `keep_topics`
        are kept in the receipt; the others are dropped."""
        found: list[Receipt | None] = []
        for start in range(0, len(tx_hashes), RECEIPTS_PER_REQUEST):
            chunk = tx_hashes[start : start + RECEIPTS_PER_REQUEST]
            answers = self.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            found.extend(_receipt(answer, keep_topics) for answer in answers)
        return found

    def blocks(self, numbers: Sequence[int]) -> list[BlockHeader | None]:
        """Hash and transaction hashes of each block (None for a block the node lacks)."""
        answers = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return [
            BlockHeader(
                str(answer["hash"]).lower(),
                frozenset(str(h).lower() for h in answer.get("transactions", [])),
            )
            if isinstance(answer, dict)
            else None
            for answer in answers
        ]

    def headers(self, numbers: Sequence[int]) -> list[tuple[str, int] | None]:
        """(hash, timestamp) of each block (None for a block the node lacks), a hundred
        blocks per request."""
        found: list[tuple[str, int] | None] = []
        for start in range(0, len(numbers), HEADERS_PER_REQUEST):
            chunk = numbers[start : start + HEADERS_PER_REQUEST]
            answers = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for answer in answers:
                if isinstance(answer, RpcError):
                    raise answer
                found.append(
                    (str(answer["hash"]).lower(), int(answer["timestamp"], 16))
                    if isinstance(answer, dict)
                    else None
                )
        return found

    def known(self, tx_hashes: Sequence[str]) -> list[bool]:
        """Whether the node knows each transaction (pending or mined)."""
        answers = self.batch([("eth_getTransactionByHash", [h]) for h in tx_hashes])
        return [isinstance(answer, dict) for answer in answers]

    def logs(self, address: str, topics: list[str | None], from_block: int) -> list[Any]:
        found: list[Any] = self.call(
            "eth_getLogs",
            {
                "address": address,
                "topics": topics,
                "fromBlock": hex(from_block),
                "toBlock": "latest",
            },
        )
        return found


@dataclass(frozen=True)
class BlockHeader:
    block_hash: str
    tx_hashes: frozenset[str]


def _receipt(answer: Any, keep_topics: frozenset[str] = frozenset()) -> Receipt | None:
    if not isinstance(answer, dict) or answer.get("blockNumber") is None:
        return None
    logs: tuple[dict[str, Any], ...] = ()
    if keep_topics:
        logs = tuple(
            log
            for log in answer.get("logs", ())
            if log.get("topics") and str(log["topics"][0]).lower() in keep_topics
        )
    return Receipt(
        tx_hash=str(answer["transactionHash"]).lower(),
        block=int(answer["blockNumber"], 16),
        block_hash=str(answer["blockHash"]).lower(),
        gas_used=int(answer["gasUsed"], 16),
        succeeded=int(answer.get("status", "0x1"), 16) == 1,
        logs=logs,
    )


class _RateLimited(Exception):
    """HTTP 429 or 503: the provider asks us to slow down (`seconds` from Retry-After)."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__(seconds)
        self.seconds = seconds


_RATE_LIMITED = frozenset({429, 503})


def _retry_after(header: str | None) -> float | None:
    try:
        return min(60.0, max(0.0, float(header))) if header else None
    except ValueError:
        return None  # an HTTP date: fall back to our own pauses


def redacted_url(url: str) -> str:
    """A node URL fit to print or log: scheme, host and port only. Providers put API keys in
    the path, the query or the user part (`https://mainnet.example/v3/KEY`)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    hidden = "/…" if parts.path.strip("/") or parts.query or parts.username else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def node_url(provider: Any) -> str:
    """The HTTP address of the node behind an Ape provider."""
    web3_provider = getattr(getattr(provider, "web3", None), "provider", None)
    url = getattr(web3_provider, "endpoint_uri", None)
    url = url or getattr(provider, "http_uri", None) or getattr(provider, "uri", None)
    if not isinstance(url, str) or not url.startswith("http"):
        raise MemberLedgerError(f"bulk sending needs an HTTP node; the provider gave {url!r}")
    return url
