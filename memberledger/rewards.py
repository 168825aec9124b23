"""Issuing reward points from a CSV file (`event_id,wallet,points`), each event exactly once.

The file is validated as a whole, streamed: the rows themselves (`memberledger.rewards_csv`),
then against the journal and the chain (`memberledger.staging`). An event id the journal
already holds with the same wallet and points is *already credited* (running the same file
twice credits nothing the second time); with other values it is an error, as is a wallet that
is not an active member. New events are fixed into credit batches whose on-chain batch id is
derived from their event ids, and the courier sends them (see `memberledger.courier`); the
contract itself refuses a batch id a second time, so even a journal lost with its vault could
not pay twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from memberledger import calldata
from memberledger.bulk import (
    Estimate,
    RunFigures,
    RunOptions,
    batch_size,
    deliver_open_batches,
    estimate,
    settle_errors,
)
from memberledger.courier import Delivery
from memberledger.gas import CREDIT_GAS
from memberledger.journal import Batch, BatchKind, BatchStatus, CreditEntry, batch_id
from memberledger.lock import exclusive_run
from memberledger.onchain import fetch_batch_applied
from memberledger.programme import Programme
from memberledger.progress import count_lines, row_progress
from memberledger.rewards_csv import scan_rewards_file
from memberledger.staging import CreditStaging


@dataclass
class RewardsResult:
    path: Path
    new: int = 0
    new_points: int = 0
    already_credited: int = 0
    already_pending: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    estimate: Estimate | None = None
    figures: RunFigures = field(default_factory=RunFigures)

    @property
    def credited_now(self) -> int:
        return sum(delivery.rows for delivery in self.deliveries)

    @property
    def resumed(self) -> int:
        """Events of earlier runs that this run finished crediting."""
        return self.credited_now - self.new

    @property
    def nothing_to_do(self) -> bool:
        return not self.new and not self.deliveries and self.estimate is None


def issue_rewards(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> RewardsResult:
    """Credit the reward events of `path` that were never credited; see the module docstring."""
    options = options or RunOptions()
    if options.dry_run:
        return _issue(programme, path, options)
    with exclusive_run(programme.vault.path, "an issue_rewards run"):
        return _issue(programme, path, options)


def _issue(programme: Programme, path: Path, options: RunOptions) -> RewardsResult:
    result = RewardsResult(path=path)
    journal = programme.journal
    target = CreditTarget(programme)
    size = batch_size(options, target)
    if not options.dry_run:
        programme.courier(target, options.send).reconcile()
    staging = CreditStaging(programme.vault)
    try:
        # A reward row is cheap to check: sending it to a worker would cost more than that.
        outcomes = scan_rewards_file(path, staging.index)
        lines = max(0, count_lines(path) - 1)
        with row_progress(programme.console, "checking", lines) as advance:
            staging.stage(outcomes, advance)
        result.figures.rows_read = staging.rows()
        staging.check_journal()
        staging.check_chain(programme.node, programme.deployment.registry)
        result.rejected, result.rejects_path = settle_errors(path, staging.errors, options)
        result.figures.phase("checked")
        tally = staging.tally()
        result.new, result.already_credited = tally.new, tally.done
        result.already_pending = tally.pending
        if options.dry_run:
            first = staging.first_new(size)
            result.new_points = sum(entry.points for entry in staging.new_credits())
            probe = None
            if first:
                identity = batch_id(BatchKind.CREDIT, [entry.key for entry in first])
                probe = Batch(identity, BatchKind.CREDIT, BatchStatus.PLANNED, tuple(first))
            result.estimate = estimate(programme, target, probe, tally.new, size)
            return result
        points = 0

        def counted() -> Iterator[CreditEntry]:
            nonlocal points
            for entry in staging.new_credits():
                points += entry.points
                yield entry

        fresh = journal.plan(BatchKind.CREDIT, counted(), size)
        result.new_points = points
        result.figures.phase("stored")
    finally:
        staging.close()
    result.deliveries = deliver_open_batches(
        programme, target, options, fresh=set(fresh), description="crediting"
    )
    result.figures.finish(result.deliveries)
    return result


class CreditTarget:
    """Credit batches on the points token: applied iff `batchApplied(batchId)`."""

    kind = BatchKind.CREDIT
    gas = CREDIT_GAS

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.contract = programme.deployment.points

    def calldata(self, batch: Batch) -> bytes:
        credits = batch.credits
        return calldata.credit(
            batch.id_bytes, [entry.wallet for entry in credits], [entry.points for entry in credits]
        )

    def applied(self, batch: Batch) -> bool:
        return fetch_batch_applied(self.programme.node, self.contract, batch.id_bytes)

    def applying_transaction(self, batch: Batch) -> str | None:
        logs = self.programme.node.logs(
            self.contract,
            [calldata.BATCH_CREDITED_TOPIC, batch.batch_id],
            self.programme.from_block,
        )
        return str(logs[-1]["transactionHash"]).lower() if logs else None

    def on_confirmed(self, batch: Batch, tx_hash: str, block: int) -> None:
        """The journal's confirmed batch is the record of the credited events."""

    def on_reopened(self, batch: Batch, tx_hash: str) -> None:
        """Nothing in the vault to undo."""


__all__ = ["CreditEntry", "CreditTarget", "RewardsResult", "issue_rewards"]
