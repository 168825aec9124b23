"""Real providers: eth_getLogs refused beyond a block range or a result count, and HTTP 429
rate limits. The index reads through a stand-in provider in front of the test's Anvil that
refuses as Infura and geth do; it must end up exactly as an index read straight from Anvil."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
import requests
from index_kit import Life, OpenIndex, audit_of, rebuilt_rows, table_rows

from memberledger.chain.rpc import NodeClient


class CappedProxy(BaseHTTPRequestHandler):
    """Forwards JSON-RPC to `upstream`, except: eth_getLogs over more than `range_cap` blocks
    is refused with Infura's words, one answering more than `result_cap` logs with geth's,
    and every `limit_every`-th request is answered HTTP 429."""

    upstream = ""
    range_cap = 3
    result_cap = 4
    limit_every = 5
    seen = 0
    refusals: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        CappedProxy.seen += 1
        if CappedProxy.seen % self.limit_every == 0:
            self._answer(429, b"", {"Retry-After": "0"})
            CappedProxy.refusals.append("429")
            return
        request = orjson.loads(body)
        if isinstance(request, dict) and request.get("method") == "eth_getLogs":
            query = request["params"][0]
            first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
            if last - first + 1 > self.range_cap:
                CappedProxy.refusals.append("range")
                return self._error(request, -32602, f"exceed maximum block range: {self.range_cap}")
        answer = requests.post(
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        parsed = orjson.loads(answer.content)
        if (
            isinstance(request, dict)
            and request.get("method") == "eth_getLogs"
            and len(parsed.get("result") or []) > self.result_cap
        ):
            CappedProxy.refusals.append("results")
            return self._error(request, -32005, "query returned more than 4 results")
        self._answer(200, answer.content, {"Content-Type": "application/json"})

    def _error(self, request: dict[str, Any], code: int, message: str) -> None:
        answer = {
            "jsonrpc": "2.0",
            "id": request["id"],
            "error": {"code": code, "message": message},
        }
        self._answer(200, orjson.dumps(answer), {"Content-Type": "application/json"})

    def _answer(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def capped(node: NodeClient) -> Iterator[NodeClient]:
    CappedProxy.upstream = node.url
    CappedProxy.seen = 0
    CappedProxy.refusals = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CappedProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield NodeClient(f"http://127.0.0.1:{server.server_address[1]}", patience=30)
    server.shutdown()
    server.server_close()


def test_an_index_read_through_a_capped_rate_limited_provider_is_complete(
    open_index: OpenIndex, life: Life, node: NodeClient, capped: NodeClient, tmp_path: Path
) -> None:
    for i, member in enumerate(life.members[:5]):
        life.enroll(member, f"capped-{i}")
        life.credit(member, 10 + i, f"capped-{i}")
    index = open_index(through=capped)

    done = index.catch_up()

    assert {"range", "429"} <= set(CappedProxy.refusals)
    assert done.events >= 10
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)
    assert audit_of(index, node, life.registry, life.points).ok
