"""What enrollment and reward issuance share, as plain steps each of them calls in turn: the
run's options and guard (`bulk_run`), staging a file with a progress bar, settling its
errors, the dry-run estimate, sending batches with a progress bar, and the summary figures.
`memberledger.bulk.enrollment` and `memberledger.bulk.rewards` read top to bottom."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from memberledger.bulk.courier import BatchTarget, Courier, Delivery, SendSettings
from memberledger.bulk.gc_easing import collector_eased
from memberledger.bulk.progress import count_lines, row_progress
from memberledger.bulk.staging import StagedErrors, Tally
from memberledger.errors import InvalidFile, RpcError
from memberledger.intake.csv_records import default_rejects_path, write_rejects
from memberledger.intake.duplicates import RowOutcome
from memberledger.programme import Programme
from memberledger.store.journal import (
    Batch,
    BatchKind,
    BatchStatus,
    JournalEntry,
    PlanStep,
    batch_id,
)
from memberledger.store.lock import account_run, idle_accounts, storing

T = TypeVar("T")

#: Files larger than this are validated in worker processes (one per core).
PARALLEL_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class RunOptions:
    """How a bulk run goes: see `ape run enroll --help`."""

    skip_invalid: bool = False
    rejects_path: Path | None = None
    batch_size: int | None = None
    dry_run: bool = False
    send: SendSettings = field(default_factory=SendSettings)
    workers: int | None = None


@dataclass(frozen=True)
class Estimate:
    """What a run would send: `--dry-run`'s answer."""

    batches: int
    rows: int
    gas: int
    base_fee: int
    priority_fee: int
    refusal: str | None = None

    @property
    def cost_wei(self) -> int:
        return self.gas * (self.base_fee + self.priority_fee)


@dataclass
class RunFigures:
    """The end summary: rows read, batches and gas of this run, time taken."""

    rows_read: int = 0
    batches: int = 0
    gas_used: int = 0
    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    #: Seconds from the start to the end of each phase: checking, storing, sending.
    phases: dict[str, float] = field(default_factory=dict)

    def phase(self, name: str) -> None:
        self.phases[name] = time.monotonic() - self.started

    def timed(self, items: Iterator[T], name: str) -> Iterator[T]:
        """`items`, noting the phase `name` as ended once they are exhausted."""
        yield from items
        self.phase(name)

    def finish(self, deliveries: list[Delivery]) -> None:
        self.batches = len(deliveries)
        self.gas_used = sum(delivery.gas_used for delivery in deliveries)
        self.seconds = time.monotonic() - self.started


@dataclass
class BulkResult:
    """What a bulk run did with its file: rows new in it, rows an earlier run already did
    (`done`) or left pending, rows rejected, and what was delivered."""

    path: Path
    new: int = 0
    done: int = 0
    pending: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    estimate: Estimate | None = None
    figures: RunFigures = field(default_factory=RunFigures)

    @property
    def delivered_now(self) -> int:
        return sum(delivery.rows for delivery in self.deliveries)

    @property
    def resumed(self) -> int:
        """Rows of earlier runs that this run finished."""
        return self.delivered_now - self.new

    @property
    def nothing_to_do(self) -> bool:
        return not self.new and not self.deliveries and self.estimate is None


class StoreTurn:
    """A run's turn at checking its file against the vault and the journal and storing its
    new rows (`memberledger.store.lock.storing`): on PostgreSQL one machine at a time per
    kind, so rows another machine stored a moment ago read as done or pending, never as new
    twice; on SQLite (one run at a time anyway) and in a dry run, nothing to take."""

    def __init__(self, programme: Programme, kind: BatchKind, what: str, active: bool) -> None:
        self._programme, self._kind, self._what = programme, kind, what
        #: Store every new row before sending any (on PostgreSQL): planning while sending
        #: would keep the other machines waiting for this one's whole run.
        self.eager = active and programme.database.is_postgres
        self._held = contextlib.ExitStack()
        self._taken = False

    def take(self) -> None:
        """Wait for the turn (another machine may be storing), once per run."""
        if self.eager and not self._taken:
            self._taken = True
            console = self._programme.console
            self._held.enter_context(
                storing(
                    self._programme.database,
                    self._kind.value,
                    self._what,
                    on_wait=lambda text: console.print(f"[yellow]waiting:[/] {text}"),
                )
            )

    def release(self) -> None:
        """Let the other machines store theirs (idempotent)."""
        self._held.close()


@contextlib.contextmanager
def bulk_run(
    programme: Programme, options: RunOptions, what: str, kind: BatchKind
) -> Iterator[StoreTurn]:
    """The block of a bulk run: the garbage collector eased for bulk work and, unless it is a
    dry run (which writes nothing), the run lock (`what` names the run in the refusal a
    second copy gets): the vault file's, or on PostgreSQL the database's lock of runs of
    `kind` by this run's signing account, which another machine's run with the same account
    waits for (`memberledger.store.lock.account_run`). Yields the run's `StoreTurn`, released
    at the end of the block at the latest."""
    with collector_eased():
        if options.dry_run:
            yield StoreTurn(programme, kind, what, active=False)
            return
        console = programme.console
        turn = StoreTurn(programme, kind, what, active=True)
        with account_run(
            programme.database,
            kind.value,
            programme.signer.address,
            what,
            on_wait=lambda text: console.print(f"[yellow]waiting:[/] {text}"),
        ):
            try:
                yield turn
            finally:
                turn.release()


def claim_open_batches(programme: Programme, kind: BatchKind) -> list[str]:
    """The open batches of `kind` this run is to send (`Journal.claim`): its account's, those
    of nobody, and those of accounts whose machines run nothing of `kind` now (a machine that
    died mid-run leaves its planned batches to the next run, on any machine)."""
    journal, sender = programme.journal, programme.signer.address
    others = [account for account in journal.open_senders(kind) if account != sender]
    with idle_accounts(programme.database, kind.value, others) as idle:
        return journal.claim(kind, sender, idle)


def courier_for(programme: Programme, target: BatchTarget, options: RunOptions) -> Courier:
    """The courier that sends this run's batches of `target`'s kind, for the operator."""
    return Courier(
        programme.database,
        programme.journal,
        programme.node,
        programme.signer,
        target,
        programme.errors,
        options.send,
    )


def worker_count(path: Path, options: RunOptions) -> int:
    if options.workers is not None:
        return options.workers
    if path.stat().st_size < PARALLEL_FILE_BYTES:
        return 0
    return min(4, os.cpu_count() or 1)


def settle_errors(path: Path, errors: StagedErrors, options: RunOptions) -> tuple[int, Path | None]:
    """Refuse the file (`InvalidFile`) if it has errors and the operator did not ask to skip
    them; else write every error to the rejects file. (count, rejects file)."""
    count = errors.count()
    if count and not options.skip_invalid:
        raise InvalidFile(str(path), errors.first(), total=count)
    if not count:
        return 0, None
    rejects = options.rejects_path or default_rejects_path(path)
    write_rejects(rejects, errors.all())
    return count, rejects


def batch_size(options: RunOptions, target: BatchTarget) -> int:
    return options.batch_size or target.gas.default_batch


def estimate(
    programme: Programme, target: BatchTarget, probe: Batch | None, rows: int, size: int
) -> Estimate:
    """Batches, gas and cost of sending `rows` new rows in batches of `size`, plus the
    batches earlier runs left open, at today's fees. `probe` (the first new batch) is
    estimated by the node itself, which also shows whether the chain would refuse it.
    Nothing is sent."""
    journal = programme.journal
    open_sizes = [journal.batch_size(i) for i in journal.open_batch_ids(target.kind)]
    model = target.gas
    refusal = None
    if probe is not None:
        data = target.calldata(probe)
        try:
            measured = programme.node.estimate_gas(programme.signer.address, target.contract, data)
            model = model.calibrated(len(probe.entries), measured)
        except RpcError as exc:
            refusal = programme.errors.describe(exc.revert_data) or exc.message
    full, rest = divmod(rows, size)
    gas = full * model.predict(size) + (model.predict(rest) if rest else 0)
    gas += sum(model.predict(n) for n in open_sizes)
    base, priority = programme.node.fees()
    return Estimate(
        math.ceil(rows / size) + len(open_sizes),
        rows + sum(open_sizes),
        gas,
        base,
        priority,
        refusal,
    )


def store_and_send(
    programme: Programme,
    courier: Courier,
    staging: Staging,
    size: int,
    result: BulkResult,
    description: str,
    turn: StoreTurn,
) -> None:
    """Store and plan the staged new rows a few batches at a time (`Journal.plan_in_steps`)
    while the courier sends every open batch of its kind this run's account is to send
    (`claim_open_batches`), earlier runs' first, with a progress bar over their rows; the
    deliveries go into `result`. On PostgreSQL every new row is stored first and the
    `turn` released before anything is sent, so other machines store theirs meanwhile."""
    journal, kind = programme.journal, courier.target.kind
    sender = programme.signer.address
    steps = journal.plan_in_steps(kind, staging.plan_steps(size), size, programme.vault, sender)
    planned: Iterator[Batch] | None = result.figures.timed(steps, "stored")
    unplanned = result.new
    if turn.eager:
        for _ in planned or ():
            pass
        planned, unplanned = None, 0
    turn.release()
    ids = claim_open_batches(programme, kind)
    total = sum(journal.batch_size(i) for i in ids) + unplanned
    with row_progress(programme.console, description, total) as advance:
        result.deliveries = courier.deliver(
            ids, planned=planned, on_delivered=lambda delivery: advance(delivery.rows)
        )


class Staging(Protocol):
    """What the shared steps need of a staging area (`memberledger.bulk.staging`)."""

    errors: StagedErrors

    def stage(
        self, outcomes: Iterable[RowOutcome[Any]], on_rows: Callable[[int], None] | None = None
    ) -> None: ...

    def rows(self) -> int: ...

    def tally(self) -> Tally: ...

    def first_new(self, limit: int) -> Sequence[JournalEntry]: ...

    def plan_steps(self, size: int) -> Iterator[PlanStep]: ...


def stage_file(
    programme: Programme,
    result: BulkResult,
    staging: Staging,
    outcomes: Iterable[RowOutcome[Any]],
) -> None:
    """Stage the file's checked records, with a progress bar over its lines."""
    lines = max(0, count_lines(result.path) - 1)
    with row_progress(programme.console, "checking", lines) as advance:
        staging.stage(outcomes, advance)
    result.figures.rows_read = staging.rows()


def settle_checked_file(
    result: BulkResult, staging: Staging, options: RunOptions, target: BatchTarget
) -> int:
    """Once the file is staged and checked: refuse it (`InvalidFile`) or write its rejects,
    count its rows into `result`, and answer the batch size to plan with."""
    result.rejected, result.rejects_path = settle_errors(result.path, staging.errors, options)
    result.figures.phase("checked")
    tally = staging.tally()
    result.new, result.done, result.pending = tally.new, tally.done, tally.pending
    return batch_size(options, target)


def dry_run_estimate(
    programme: Programme, staging: Staging, target: BatchTarget, rows: int, size: int
) -> Estimate:
    """What sending the new rows would take (`--dry-run`), the first batch estimated by the
    node itself."""
    first = tuple(staging.first_new(size))
    probe = None
    if first:
        identity = batch_id(target.kind, [entry.key for entry in first])
        probe = Batch(identity, target.kind, BatchStatus.PLANNED, first)
    return estimate(programme, target, probe, rows, size)
