"""A member's history from the operator's chain index: `GET /history/<wallet>`.

Public RPC providers cap `eth_getLogs` (often at 10,000 blocks or fewer, some far less), so
a page that reads a member's history from the chain alone pages through the whole chain in
small ranges. The operator's index (`memberledger.index`) already holds every event of both
contracts; this endpoint answers one member's from it, in the shape the page's
`operatorHistory` reads (`memberledger.ops.history.history_document`): events only, which
the chain holds for anyone to read; the index keeps no personal data and neither does the
answer.

Each request first brings the index up to date, within `HistorySettings.budget` seconds:
the catch-up stops between two ranges once the budget is spent, and the answer says how far
the index reached (`indexedBlock`, the chain's `latestBlock`, `complete`); the page reads
the rest from the chain. If the node cannot be reached, the answer comes from what is
indexed, as incomplete.

The index's SQLite connection and its node client belong to one thread: every request is
served by that thread in turn (`MAX_WAITING` at most wait; more are refused as busy), and a
client address may ask `HistorySettings.per_ip` times per window, as with the relay.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memberledger.chain.deployment import Deployment
from memberledger.chain.rpc import NodeClient
from memberledger.errors import MemberLedgerError
from memberledger.hashing import checksum_address
from memberledger.index.chain_index import ChainIndex
from memberledger.ops.history import history_document
from memberledger.site.refusals import RelayRefused, redact
from memberledger.site.relay import RateLimiter, limited

log = logging.getLogger("memberledger.site")

#: Requests waiting for the index's thread at most; more are refused (503, busy).
MAX_WAITING = 64
#: Seconds a request may spend bringing the index up to date, by default.
DEFAULT_BUDGET = 3.0
_WALLET = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True)
class HistorySettings:
    """The index file, the catch-up budget of a request (seconds), and requests allowed per
    client IP per `window` seconds."""

    index_path: Path
    budget: float = DEFAULT_BUDGET
    per_ip: int = 30
    window: float = 60.0


class IndexedHistory:
    """Members' histories from the chain index at `settings.index_path`, kept up to date with
    the node at `node_url` (the relay's own node, never shown to anyone)."""

    def __init__(
        self,
        node_url: str,
        deployment: Deployment,
        abis: tuple[list[dict[str, Any]], list[dict[str, Any]]],
        settings: HistorySettings,
    ) -> None:
        self.node_url = node_url
        self.deployment = deployment
        self.abis = abis
        self.settings = settings
        self._per_ip = RateLimiter(settings.per_ip, settings.window)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
        self._index: ChainIndex | None = None  # opened, used and closed in that thread only
        self._waiting = 0
        self._waiting_lock = threading.Lock()

    def admit(self, client: str) -> None:
        """Count one request from `client` (an IP address) against its limit."""
        limited(self._per_ip.hit(f"history:{client}"), "rate_limited_ip")

    async def answer(self, wallet: str) -> dict[str, Any]:
        """The history document of `wallet` (refused: not an address, or too many waiting)."""
        if not _WALLET.fullmatch(wallet):
            raise RelayRefused(400, "bad_request", field="wallet")
        with self._waiting_lock:
            if self._waiting >= MAX_WAITING:
                raise RelayRefused(503, "busy")
            self._waiting += 1
        try:
            future = self._thread.submit(self.read, checksum_address(wallet[2:]))
            return await asyncio.wrap_future(future)
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def read(self, wallet: str) -> dict[str, Any]:
        """Bring the index up to date within the budget, then read `wallet`'s events from it
        (blocking; runs in the index's thread)."""
        index = self._open()
        deadline = time.monotonic() + self.settings.budget
        latest: int | None
        try:
            done = index.catch_up(stop=lambda: time.monotonic() >= deadline)
            latest = done.head
        except MemberLedgerError as exc:  # the node is away: what is indexed is still true
            detail = redact(str(exc), (self.node_url,))
            log.warning("history index not brought up to date: %s", detail)
            latest = None
        indexed = index.status().read_block
        return {
            **history_document(index, wallet),
            "indexedBlock": str(indexed),
            "latestBlock": None if latest is None else str(latest),
            "complete": latest is not None and indexed >= latest,
        }

    def _open(self) -> ChainIndex:
        if self._index is None:
            self._index = ChainIndex.open(
                self.settings.index_path,
                NodeClient(self.node_url, patience=5.0, timeout=20.0),
                chain_id=self.deployment.chain_id,
                registry=self.deployment.registry,
                points=self.deployment.points,
                deploy_block=self.deployment.deploy_block,
                abis=self.abis,
            )
        return self._index

    def close(self) -> None:
        """Close the index in its own thread, then stop the thread."""

        def close_index() -> None:
            if self._index is not None:
                self._index.close()
                self._index = None

        self._thread.submit(close_index).result()
        self._thread.shutdown()
