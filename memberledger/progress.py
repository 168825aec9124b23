"""Progress bars for long work: rows delivered to the chain, batch by batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from memberledger.journal import Batch, Delivery


@contextmanager
def batch_progress(
    console: Console, description: str, batches: Sequence[Batch]
) -> Iterator[Callable[[Delivery], None]]:
    """A bar over the rows of `batches`; call the yielded function with each delivery."""
    total = sum(len(batch.entries) for batch in batches)
    if total == 0:
        yield lambda delivery: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def advance(delivery: Delivery) -> None:
            progress.advance(task, len(delivery.batch.entries))

        yield advance
