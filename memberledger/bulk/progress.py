"""Progress bars for long work, with rate and time left: rows checked, rows confirmed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Rows per second, averaged over rich's speed window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s")


@contextmanager
def row_progress(console: Console, description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A bar over `total` rows; call the yielded function with each number of rows done."""
    if total <= 0:
        yield lambda rows: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda rows: progress.advance(task, rows)


def count_lines(path: Path) -> int:
    """Physical lines of a file, without decoding it (a first guess at its rows, for the bar)."""
    lines = 0
    with Path(path).open("rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
    return lines


@contextmanager
def block_progress(
    console: Console, description: str, first: int, last: int
) -> Iterator[Callable[[int, int], None]]:
    """A bar over the blocks `first` to `last`; call the yielded function with each range
    of blocks read (first, last)."""
    total = max(0, last - first + 1)
    if total == 0:
        yield lambda start, end: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda start, end: progress.update(task, completed=min(total, end - first + 1))
