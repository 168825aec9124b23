"""Issuing reward points from a CSV file (`event_id,wallet,points`), each event exactly once.

The file is validated as a whole, streamed: the rows themselves
(`memberledger.intake.rewards_file`), then against the journal and the chain
(`memberledger.bulk.staging`). An event id the journal already holds with the same wallet and
points is *already credited* (running the same file twice credits nothing the second time);
with other values it is an error, as is a wallet that is not an active member. New events
are fixed into credit batches whose on-chain batch id is derived from their event ids, and
the courier sends them (see `memberledger.bulk.courier`); the contract itself refuses a batch
id a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memberledger.bulk.run import (
    BulkResult,
    RunOptions,
    bulk_run,
    courier_for,
    dry_run_estimate,
    settle_checked_file,
    stage_file,
    store_and_send,
)
from memberledger.bulk.staging import CreditStaging
from memberledger.chain import calldata
from memberledger.chain.gas import CREDIT_GAS
from memberledger.chain.reads import fetch_batch_applied
from memberledger.intake.rewards_file import scan_rewards_file
from memberledger.programme import Programme
from memberledger.store.journal import Batch, BatchKind, CreditEntry


@dataclass
class RewardsResult(BulkResult):
    """`done`: events already credited; `pending`: sent by an earlier run, not yet
    confirmed. `new_points`: the new events' points before tier multipliers."""

    new_points: int = 0


def issue_rewards(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> RewardsResult:
    """Credit the reward events of `path` that were never credited; see the module docstring."""
    options = options or RunOptions()
    result = RewardsResult(path=path)
    journal = programme.journal
    with bulk_run(programme, options, "an issue_rewards run"):
        target = CreditTarget(programme)
        courier = courier_for(programme, target, options)
        if not options.dry_run:
            courier.reconcile()
        staging = CreditStaging(
            programme.database,
            programme.vault,
            journal,
            programme.node,
            programme.deployment.registry,
        )
        try:
            # A reward row is cheap to check: sending it to a worker would cost more than that.
            stage_file(programme, result, staging, scan_rewards_file(path, staging.index))
            staging.check_journal()
            staging.check_chain()
            result.new_points = staging.new_points()
            size = settle_checked_file(result, staging, options, target)
            if options.dry_run:
                result.estimate = dry_run_estimate(programme, staging, target, result.new, size)
            else:
                store_and_send(programme, courier, staging, size, result, "crediting")
        finally:
            staging.close()
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
