"""Planning a bulk run's new rows a few batches at a time, while the first batches are sent.

Storing a large file's rows and fixing them into journaled batches takes seconds; doing it in
steps, each one vault transaction, lets the courier send the first batches while later ones
are still being stored (`Courier.deliver` draws on `planned_in_steps` whenever the node is
busy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from memberledger.journal import Batch, BatchKind, EntryCopier, Journal, JournalEntry
from memberledger.vault import Vault

#: Batches planned per vault transaction while sending: enough that a commit is cheap per
#: row, few enough that the first transaction leaves soon after checking ends.
STEP_BATCHES = 4


@dataclass(frozen=True)
class PlanStep:
    """Rows planned in one vault transaction, after `store` (which writes what the rows
    need in the vault, e.g. the new members themselves) in that same transaction."""

    entries: Sequence[JournalEntry]
    store: Callable[[], object] | None = None
    #: Writes each batch's journal rows from where the entries came from.
    copy: EntryCopier | None = None


def planned_in_steps(
    vault: Vault, journal: Journal, kind: BatchKind, steps: Iterable[PlanStep], size: int
) -> Iterator[Batch]:
    """Plan each step's rows into batches of `size`, one vault transaction per step, and
    yield the new batches once the step is committed (for `Courier.deliver`'s
    `planned`, which draws on this while earlier batches are out).

    A run killed between steps leaves every committed step whole (its rows stored and
    batched) and the rest untouched: running the file again finds the first as pending or
    done and the rest as new."""
    for step in steps:
        with vault.transaction():
            if step.store is not None:
                step.store()
            batches = journal.plan_batches(kind, step.entries, size, step.copy)
        yield from batches
