"""Validating a large file on every core: records go to worker processes a chunk at a time
and come back in file order, with a bounded number of chunks in flight (so memory stays
bounded however long the file is).

Only pure functions run in the workers (parse, canonicalise, check): they share nothing with
the parent but their arguments and results. Workers are forked, so they start at once and
need no imports of their own.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from memberledger.errors import InvalidRow
from memberledger.intake.csv_records import CsvRecord
from memberledger.intake.duplicates import RowOutcome

T = TypeVar("T")

ChunkValidator = Callable[[Sequence[CsvRecord]], list[RowOutcome[T]]]

#: Records per chunk sent to a worker: large enough that pickling is cheap per record.
CHUNK_RECORDS = 2_000
#: Chunks queued per worker beyond the one it is working on.
CHUNKS_AHEAD = 2


def validate_chunks(
    records: Iterable[CsvRecord],
    validator: ChunkValidator[T],
    workers: int = 0,
    worker_setup: Callable[[], None] | None = None,
) -> Iterator[RowOutcome[T]]:
    """`validator`'s outcome for every record, in order. A read error that ends the file
    (`InvalidRow` raised by `records`) comes last, as an outcome without a row.
    `worker_setup` runs once in each worker process as it starts (a bulk run eases the
    garbage collector there, see `memberledger.bulk.gc_easing`)."""
    pieces = _chunks_then_error(records, CHUNK_RECORDS)
    if workers <= 0:
        for piece in pieces:
            if isinstance(piece, InvalidRow):
                yield RowOutcome(piece.line, None, [piece])
            else:
                yield from validator(piece)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=worker_setup
    ) as pool:
        pending: deque[Future[list[RowOutcome[T]]]] = deque()
        for piece in pieces:
            if isinstance(piece, InvalidRow):
                while pending:
                    yield from pending.popleft().result()
                yield RowOutcome(piece.line, None, [piece])
                return
            pending.append(pool.submit(validator, piece))
            if len(pending) > workers * (1 + CHUNKS_AHEAD):
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _chunks_then_error(
    records: Iterable[CsvRecord], size: int
) -> Iterator[list[CsvRecord] | InvalidRow]:
    chunk: list[CsvRecord] = []
    try:
        for record in records:
            chunk.append(record)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except InvalidRow as error:
        if chunk:
            yield chunk
        yield error
        return
    if chunk:
        yield chunk
