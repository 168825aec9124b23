"""Reading event logs the way real providers allow it: in block ranges that adapt.

One `eth_getLogs` from the deploy block to the latest works on a local node and fails on a
public provider, each in its own words: a block-range cap ("range 1000000 exceeds limit of
10000", code -32602; "query block range exceeds server limit"), a result-count cap ("query
returned more than 10000 results", code -32005), a response too large, a timeout. So logs are
read a range at a time: a range the provider refuses is halved (or cut to the limit the
message names) and asked again, and after a few answers that came back whole the range grows
again. Rate limits (HTTP 429) are waited out by `NodeClient` itself.

`LogReader.read` yields the logs of each range as it is read, oldest first, so a caller can
store them and record how far it got (the index, the journal's reconciliation) and show
progress without holding a million logs in memory.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from memberledger.chain.rpc import NodeClient
from memberledger.errors import RpcError

#: Blocks asked for at first; providers commonly allow 1,000 to 10,000.
FIRST_SPAN = 2_000
#: The most blocks asked for at once (a local node answers any range).
MAX_SPAN = 100_000
#: Answers in a row that came back whole before the range is doubled again.
GROW_AFTER = 4
#: The fewest blocks a range is cut to before a refusal is taken as final.
MIN_SPAN = 1
#: With `dense_gas`: blocks whose gas is looked at before a range is asked for.
DENSE_LOOKAHEAD = 256
#: With `dense_gas`: receipts per request when a dense block is read in pieces (on the
#: benchmark's chain, about 3 MB of JSON, 2,700 logs).
RECEIPTS_PER_PIECE = 4
#: With `dense_gas`: pieces of a dense block asked for at once. One at a time, the reading
#: waited for each of the node's answers in turn (on the benchmark's chain, 8 receipts took
#: it about 80 ms, as long as decoding them); two ahead, of 4 receipts each, a fresh index
#: of 100,000 members caught up in 8.5 s instead of 9.4 s, with the same peak memory as
#: one ahead of 8.
PIECES_AHEAD = 2

_LIMIT_WORDS = (
    "range",
    "limit",
    "too many",
    "more than",
    "exceed",
    "too large",
    "response size",
    "timeout",
    "timed out",
    "query returned",
)
#: "limit of 10000", "range limit 2000", "max 1000 blocks", "exceeds server limit: 500".
_NAMED_LIMIT = re.compile(
    r"(?:limit(?: of)?|max(?:imum)?(?: of)?|exceeds[^0-9]*)[:\s]*([0-9]{2,7})"
)


class BlockChanged(Exception):
    """A dense block changed (a reorganisation) while its receipts were read: read again.
    Not an error a user meets: whoever reads starts over (the index does)."""

    def __init__(self, number: int) -> None:
        super().__init__(f"block {number} changed while it was read")
        self.number = number


@dataclass(frozen=True)
class LogRange:
    """The logs of blocks `first` to `last` (both included), as the node gave them; a
    `partial` range is a piece of one dense block, whose next piece follows."""

    first: int
    last: int
    logs: list[dict[str, Any]]
    partial: bool = False


def is_range_refusal(error: RpcError) -> bool:
    """Whether an `eth_getLogs` error means "ask for less" rather than "this is wrong"."""
    text = f"{error.message} {error.data}".lower()
    return error.code in (-32005, -32602, -32600, -32000, -32001) and any(
        word in text for word in _LIMIT_WORDS
    )


def named_limit(error: RpcError) -> int | None:
    """The block-range limit a provider names in its refusal, if it names one."""
    match = _NAMED_LIMIT.search(f"{error.message} {error.data}".lower())
    return int(match.group(1)) if match else None


class LogReader:
    """Reads the logs of some contracts, adapting the block range to what the node allows.

    The span learnt stays with the reader, so the next `read` starts at what worked.
    `grow_after` answers in a row that came back whole (and, with `max_logs`, under half
    that many logs) double the span; with `max_logs`, an answer with more logs cuts the next
    span in proportion (a single block's logs cannot be cut: they come whole)."""

    def __init__(
        self,
        node: NodeClient,
        *,
        first_span: int = FIRST_SPAN,
        max_logs: int | None = None,
        grow_after: int = GROW_AFTER,
        dense_gas: int | None = None,
    ) -> None:
        self.node = node
        self.span = first_span
        self.max_logs = max_logs
        self.grow_after = grow_after
        self.dense_gas = dense_gas
        self._whole = 0
        self._can_be_dense: bool | None = None
        self._gas: dict[int, int] = {}
        self._pieces_through: list[NodeClient] = []

    def read(
        self,
        addresses: Sequence[str],
        topics: Sequence[str | Sequence[str] | None],
        first: int,
        last: int,
        on_range: Callable[[LogRange], None] | None = None,
    ) -> Iterator[LogRange]:
        """The logs of `addresses` matching `topics`, from block `first` to `last`, a range
        at a time, oldest first (`on_range` hears each range too, for progress)."""
        start = first
        while start <= last:
            end = min(last, start + self.span - 1)
            if self._dense_blocks_possible():
                end = min(end, start + DENSE_LOOKAHEAD - 1)
                dense = self._first_dense(start, end)
                if dense == start:
                    for piece in self._read_dense(addresses, topics, start):
                        if on_range is not None:
                            on_range(piece)
                        yield piece
                    start += 1
                    continue
                if dense is not None:
                    end = dense - 1
            try:
                logs = self._get(addresses, topics, start, end)
            except RpcError as exc:
                if not is_range_refusal(exc) or end == start:
                    raise
                limit = named_limit(exc)
                shorter = (end - start + 1) // 2
                if limit is not None and limit < end - start + 1:
                    shorter = limit
                self.span = max(MIN_SPAN, shorter)
                self._whole = 0
                continue
            # Adapted before the range is handed over: the caller may empty its list.
            self._adapt(end - start + 1, len(logs))
            chunk = LogRange(start, end, logs)
            if on_range is not None:
                on_range(chunk)
            yield chunk
            start = end + 1

    def _dense_blocks_possible(self) -> bool:
        """Whether this chain's blocks can use more than `dense_gas` (asked once)."""
        if self.dense_gas is None:
            return False
        if self._can_be_dense is None:
            latest = self.node.call("eth_getBlockByNumber", "latest", False)
            self._can_be_dense = int(latest["gasLimit"], 16) > self.dense_gas
        return self._can_be_dense

    def _first_dense(self, first: int, last: int) -> int | None:
        """The first block of `first`..`last` that used more than `dense_gas`, if any."""
        wanted = [n for n in range(first, last + 1) if n not in self._gas]
        if wanted:
            self._gas = {n: gas for n, gas in self._gas.items() if n >= first}
            answers = self.node.batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
            for number, answer in zip(wanted, answers, strict=True):
                if isinstance(answer, dict):
                    self._gas[number] = int(answer["gasUsed"], 16)
        assert self.dense_gas is not None
        return next(
            (n for n in range(first, last + 1) if self._gas.get(n, 0) > self.dense_gas), None
        )

    def _read_dense(
        self, addresses: Sequence[str], topics: Sequence[str | Sequence[str] | None], number: int
    ) -> Iterator[LogRange]:
        """The logs of one dense block, a few transactions' receipts per piece, in order."""
        block = self.node.call("eth_getBlockByNumber", hex(number), False)
        if not isinstance(block, dict):
            raise BlockChanged(number)
        hashes = [str(h) for h in block.get("transactions", [])]
        wanted = {address.lower() for address in addresses}
        starts = range(0, len(hashes), RECEIPTS_PER_PIECE) or range(1)
        pieces = [hashes[start : start + RECEIPTS_PER_PIECE] for start in starts]
        nodes = self._piece_nodes()
        with ThreadPoolExecutor(len(nodes), thread_name_prefix="receipts") as pool:

            def ask(index: int) -> Future[list[Any]]:
                calls = [("eth_getTransactionReceipt", [h]) for h in pieces[index]]
                return pool.submit(nodes[index % len(nodes)].batch, calls)

            # Each client has one request out at a time: piece i + PIECES_AHEAD is asked for
            # (through piece i's client) once piece i's answer is taken.
            asked = deque(ask(index) for index in range(min(len(pieces), len(nodes))))
            for index in range(len(pieces)):
                answers = asked.popleft().result()
                if index + len(nodes) < len(pieces):
                    asked.append(ask(index + len(nodes)))
                logs = []
                for answer in answers:
                    if isinstance(answer, RpcError):
                        raise answer
                    if not isinstance(answer, dict) or answer.get("blockHash") != block["hash"]:
                        raise BlockChanged(number)
                    logs += [
                        log
                        for log in answer.get("logs", [])
                        if str(log["address"]).lower() in wanted
                        and (not topics or _matches(log, topics))
                    ]
                yield LogRange(number, number, logs, partial=index + 1 < len(pieces))

    def _piece_nodes(self) -> list[NodeClient]:
        """A client per piece of a dense block asked for at once (`PIECES_AHEAD`): the node
        prepares the next pieces while the caller works on this one (each a client of its
        own, made once)."""
        if not self._pieces_through:
            self._pieces_through = [self.node.clone() for _ in range(PIECES_AHEAD)]
        return self._pieces_through

    def _adapt(self, span: int, found: int) -> None:
        """After an answer of `found` logs over `span` blocks: cut or grow the span."""
        if self.max_logs is not None and found > self.max_logs:
            self.span = max(MIN_SPAN, span * self.max_logs // found)
            self._whole = 0
            return
        if self.max_logs is not None and 2 * found > self.max_logs:
            self._whole = 0  # about right: keep it
            return
        self._whole += 1
        if self._whole >= self.grow_after and self.span < MAX_SPAN:
            self.span = min(MAX_SPAN, self.span * 2)
            self._whole = 0

    def _get(
        self,
        addresses: Sequence[str],
        topics: Sequence[str | Sequence[str] | None],
        first: int,
        last: int,
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.node.call(
            "eth_getLogs",
            {
                "address": list(addresses),
                "topics": [list(t) if isinstance(t, list | tuple) else t for t in topics],
                "fromBlock": hex(first),
                "toBlock": hex(last),
            },
        )
        return found


def _matches(log: dict[str, Any], topics: Sequence[str | Sequence[str] | None]) -> bool:
    """Whether a log matches an `eth_getLogs` topic filter."""
    found = log.get("topics", [])
    for position, wanted in enumerate(topics):
        if wanted is None:
            continue
        if position >= len(found):
            return False
        choices = [wanted] if isinstance(wanted, str) else list(wanted)
        if choices and str(found[position]).lower() not in {c.lower() for c in choices}:
            return False
    return True
