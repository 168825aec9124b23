"""What enrollment and reward issuance share: run options, the dry-run estimate, sending the
journal's open batches with a progress bar, and the run's summary figures."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from memberledger.collector import collector_eased
from memberledger.courier import BatchTarget, Delivery, SendSettings
from memberledger.csv_records import write_rejects
from memberledger.duplicates import RowOutcome
from memberledger.errors import InvalidFile
from memberledger.journal import Batch, BatchStatus, JournalEntry, batch_id
from memberledger.lock import exclusive_run
from memberledger.plan_steps import PlanStep, planned_in_steps
from memberledger.programme import Programme
from memberledger.progress import count_lines, row_progress
from memberledger.rpc import RpcError
from memberledger.staging import StagedErrors, Tally

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


def run_bulk(
    programme: Programme,
    path: Path,
    options: RunOptions,
    what: str,
    run: Callable[[Programme, Path, RunOptions], T],
) -> T:
    """`run(programme, path, options)` with the garbage collector eased for bulk work, and,
    unless it is a dry run (which writes nothing), as the only run on the vault (`what`
    names it in the refusal a second copy gets)."""
    with collector_eased():
        if options.dry_run:
            return run(programme, path, options)
        with exclusive_run(programme.vault.path, what):
            return run(programme, path, options)


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
    rejects = options.rejects_path or Path(path).with_name(Path(path).stem + ".rejects.csv")
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


def deliver_open_batches(
    programme: Programme,
    target: BatchTarget,
    options: RunOptions,
    *,
    planned: Iterator[Batch],
    planned_rows: int,
    description: str,
) -> list[Delivery]:
    """Send every open batch of the target's kind that earlier runs left, and the batches
    `planned` plans while they go out (`planned_rows` rows in all), with a progress bar
    over their rows."""
    courier = programme.courier(target, options.send)
    ids = programme.journal.open_batch_ids(target.kind)
    total = sum(programme.journal.batch_size(i) for i in ids) + planned_rows
    with row_progress(programme.console, description, total) as advance:
        return courier.deliver(ids, planned=planned, on_delivered=lambda d: advance(d.rows))


class Staging(Protocol):
    """What `stage_file` and `check_and_send` need of a staging area (`memberledger.staging`)."""

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


def check_and_send(
    programme: Programme,
    result: BulkResult,
    staging: Staging,
    target: BatchTarget,
    options: RunOptions,
    *,
    description: str,
    before_planning: Callable[[int], object] | None = None,
) -> None:
    """The end every bulk run shares, once its file is staged and checked: refuse the file
    or write its rejects, count the rows, then either estimate (`--dry-run`) or store and
    plan the new rows a few batches at a time while the courier sends them.
    `before_planning(batch_size)` plans what earlier runs left."""
    result.rejected, result.rejects_path = settle_errors(result.path, staging.errors, options)
    result.figures.phase("checked")
    tally = staging.tally()
    result.new, result.done, result.pending = tally.new, tally.done, tally.pending
    size = batch_size(options, target)
    if options.dry_run:
        first = tuple(staging.first_new(size))
        probe = None
        if first:
            identity = batch_id(target.kind, [entry.key for entry in first])
            probe = Batch(identity, target.kind, BatchStatus.PLANNED, first)
        result.estimate = estimate(programme, target, probe, tally.new, size)
        return
    if before_planning is not None:
        before_planning(size)
    planned = planned_in_steps(
        programme.vault, programme.journal, target.kind, staging.plan_steps(size), size
    )
    result.deliveries = deliver_open_batches(
        programme,
        target,
        options,
        planned=result.figures.timed(planned, "stored"),
        planned_rows=tally.new,
        description=description,
    )
