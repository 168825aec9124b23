"""Asking the chain about a file's wallets while the file is still being read.

A bulk run checks every row against the chain (a new member's wallet must not be enrolled yet;
a credited wallet must be an active member) before it sends anything. Asked after the whole
file is staged, those questions kept the run waiting a second or more per 100,000 rows while
the node sat idle during the reading before. So the wallets go to the node as soon as they
are staged, a chunk per call, from a background thread with its own connection; the node
answers on another core while this process goes on reading. Only the answers that matter
(a status other than the one a valid row needs) are kept, and they are few in a good file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from memberledger.chain.reads import BULK_QUERY_CHUNK, ChainStatus, fetch_statuses
from memberledger.chain.rpc import NodeClient

#: Calls queued beyond the one in progress: the reader waits rather than queue more wallets.
CALLS_AHEAD = 4

Found = list[tuple[str, ChainStatus]]
"""Wallets whose status is not the expected one, with that status."""


class StatusLookahead:
    """Statuses of the wallets `add`ed, asked in the background; each wallet whose status is
    not `expected` goes to `on_found` (called on the caller's thread, in `add` and `finish`,
    so it may write to the caller's database)."""

    def __init__(
        self,
        node: NodeClient,
        registry: str,
        expected: ChainStatus,
        on_found: Callable[[Found], None],
    ) -> None:
        self._node = node.clone()  # a NodeClient is not shared between threads
        self._registry = registry
        self._expected = expected
        self._on_found = on_found
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="status-lookahead")
        self._calls: deque[Future[Found]] = deque()
        # Wallets for the next call, without repeats (a member earns many events).
        self._wallets: dict[str, None] = {}

    def add(self, wallets: Iterable[str]) -> None:
        """Queue `wallets`; a call goes out once a chunk's worth is queued."""
        for wallet in wallets:
            self._wallets[wallet] = None
            if len(self._wallets) == BULK_QUERY_CHUNK:
                self._send()
        while self._calls and self._calls[0].done():
            self._on_found(self._calls.popleft().result())

    def finish(self) -> None:
        """Ask about what is queued, and wait for every answer."""
        if self._wallets:
            self._send()
        while self._calls:
            self._on_found(self._calls.popleft().result())

    def close(self) -> None:
        for call in self._calls:
            call.cancel()
        self._pool.shutdown(wait=True)
        self._node.close()

    def _send(self) -> None:
        while len(self._calls) > CALLS_AHEAD:
            self._on_found(self._calls.popleft().result())
        self._calls.append(self._pool.submit(self._ask, list(self._wallets)))
        self._wallets = {}

    def _ask(self, wallets: Sequence[str]) -> Found:
        statuses = fetch_statuses(self._node, self._registry, wallets)
        return [
            (wallet, status)
            for wallet, (status, _) in zip(wallets, statuses, strict=True)
            if status is not self._expected
        ]
