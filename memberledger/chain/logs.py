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
from collections.abc import Callable, Iterator, Sequence
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


@dataclass(frozen=True)
class LogRange:
    """The logs of blocks `first` to `last` (both included), as the node gave them."""

    first: int
    last: int
    logs: list[dict[str, Any]]


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
    ) -> None:
        self.node = node
        self.span = first_span
        self.max_logs = max_logs
        self.grow_after = grow_after
        self._whole = 0

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
