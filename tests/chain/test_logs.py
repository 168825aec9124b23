"""Reading logs from providers that cap block ranges and result counts: a local stand-in
provider refuses as real ones do, and the reader adapts without losing or repeating a log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import orjson
import pytest

from memberledger.chain.logs import LogReader, is_range_refusal, named_limit
from memberledger.chain.rpc import NodeClient
from memberledger.errors import NodeUnavailable, RpcError

#: One log per block, 1..LAST.
LAST = 5_000


class CappedProvider(BaseHTTPRequestHandler):
    """eth_getLogs over blocks 1..LAST with one log each; refuses ranges wider than
    `range_cap` (Infura's words) and answers with more than `result_cap` logs (geth's), and
    answers HTTP 429 to the first `limited` requests."""

    range_cap = 1_000
    result_cap = 300
    limited = 0
    requests: ClassVar[list[tuple[int, int]]] = []

    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if CappedProvider.limited > 0:
            CappedProvider.limited -= 1
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        query = body["params"][0]
        first, last = int(query["fromBlock"], 16), min(int(query["toBlock"], 16), LAST)
        CappedProvider.requests.append((first, last))
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": body["id"]}
        if last - first + 1 > self.range_cap:
            answer["error"] = {
                "code": -32602,
                "message": f"range {last - first + 1} exceeds limit of {self.range_cap}",
            }
        elif last - first + 1 > self.result_cap:
            answer["error"] = {"code": -32005, "message": "query returned more than 300 results"}
        else:
            answer["result"] = [
                {"blockNumber": hex(n), "logIndex": "0x0", "data": hex(n)}
                for n in range(first, last + 1)
            ]
        data = orjson.dumps(answer)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    CappedProvider.requests = []
    CappedProvider.limited = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), CappedProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_read_adapts_to_range_and_result_caps_and_keeps_every_log_once(provider: str) -> None:
    reader = LogReader(NodeClient(provider), first_span=4_000)

    ranges = list(reader.read(["0x" + "11" * 20], [None], 1, LAST))

    blocks = [int(log["blockNumber"], 16) for r in ranges for log in r.logs]
    assert blocks == list(range(1, LAST + 1))
    assert all(r.last - r.first + 1 <= 300 for r in ranges)
    assert [r.first for r in ranges] == sorted(r.first for r in ranges)
    # Refused once at 4,000 (cut to the named limit, 1,000), then halved under the result cap.
    assert CappedProvider.requests[:2] == [(1, 4_000), (1, 1_000)]


def test_read_waits_out_a_rate_limit(provider: str) -> None:
    CappedProvider.limited = 3
    waits: list[str] = []
    reader = LogReader(NodeClient(provider, on_wait=waits.append), first_span=100)

    ranges = list(reader.read(["0x" + "11" * 20], [None], 1, 200))

    assert sum(len(r.logs) for r in ranges) == 200
    assert len(waits) == 1 and "rate-limiting" in waits[0]


def test_read_gives_up_on_a_rate_limit_after_its_patience(provider: str) -> None:
    CappedProvider.limited = 10_000
    reader = LogReader(NodeClient(provider, patience=0.5), first_span=100)

    with pytest.raises(NodeUnavailable, match="has not answered"):
        list(reader.read(["0x" + "11" * 20], [None], 1, 10))


def test_refusals_are_told_from_errors() -> None:
    capped = RpcError("eth_getLogs", -32602, "range 1000000 exceeds limit of 10000")
    assert is_range_refusal(capped) and named_limit(capped) == 10_000
    too_many = RpcError("eth_getLogs", -32005, "query returned more than 10000 results")
    assert is_range_refusal(too_many)
    erigon = RpcError(
        "eth_getLogs", -32000, "query block range exceeds server limit, narrow your filter: 1000"
    )
    assert is_range_refusal(erigon) and named_limit(erigon) == 1_000
    assert not is_range_refusal(RpcError("eth_getLogs", -32602, "invalid address"))
