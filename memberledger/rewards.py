"""Issuing reward points from a CSV file (`event_id,wallet,points`), each event exactly once.

The file is validated as a whole: the rows themselves (`memberledger.rewards_csv`), then
against the journal and the chain. An event id the journal already holds with the same
wallet and points is *already credited* (running the same file twice credits nothing the
second time); with other values it is an error, as is a wallet that is not an active member.
New events are fixed into credit batches whose on-chain batch id is derived from their event
ids, and the journal sends them (see `memberledger.journal`); the contract itself refuses a
batch id a second time, so even a journal lost with its vault could not pay twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memberledger.csv_records import default_rejects_path, write_rejects
from memberledger.errors import InvalidFile, InvalidRow
from memberledger.journal import (
    DEFAULT_BATCH_SIZE,
    Batch,
    BatchCourier,
    BatchKind,
    BatchStatus,
    CreditEntry,
    Delivery,
)
from memberledger.onchain import ChainStatus, distinct, event_logs, read_statuses, tx_hex
from memberledger.programme import Programme
from memberledger.progress import batch_progress
from memberledger.rewards_csv import RewardRow, validate_rewards_file


@dataclass
class RewardsResult:
    path: Path
    new: list[str] = field(default_factory=list)
    new_points: int = 0
    already_credited: list[str] = field(default_factory=list)
    already_pending: list[str] = field(default_factory=list)
    rejected: list[InvalidRow] = field(default_factory=list)
    rejects_path: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def credited_now(self) -> int:
        return sum(len(delivery.batch.entries) for delivery in self.deliveries)

    @property
    def resumed(self) -> int:
        """Events of earlier runs that this run finished crediting."""
        return self.credited_now - len(self.new)

    @property
    def nothing_to_do(self) -> bool:
        return not self.new and not self.deliveries


def issue_rewards(
    programme: Programme,
    path: Path,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RewardsResult:
    """Credit the reward events of `path` that were never credited; see the module docstring."""
    result = RewardsResult(path=path)
    report = validate_rewards_file(path)
    errors = list(report.errors)
    new_rows = _classify(programme, report.rows, result, errors)
    errors.sort(key=lambda error: error.line)
    if errors and not skip_invalid:
        raise InvalidFile(str(path), errors)
    if errors:
        result.rejected = errors
        result.rejects_path = rejects_path or default_rejects_path(path)
        write_rejects(result.rejects_path, errors)

    journal = programme.journal
    entries = [CreditEntry(row.event_id, row.wallet, row.points) for row in new_rows]
    journal.plan(BatchKind.CREDIT, entries, batch_size)
    result.new = [row.event_id for row in new_rows]
    result.new_points = sum(row.points for row in new_rows)

    batches = journal.open_batches(BatchKind.CREDIT)
    courier = BatchCourier(journal, programme.vault, CreditTarget(programme), programme.chain)
    with batch_progress(programme.console, "crediting", batches) as advance:
        result.deliveries = courier.deliver(batches, programme.sender, advance)
    return result


def _classify(
    programme: Programme, rows: list[RewardRow], result: RewardsResult, errors: list[InvalidRow]
) -> list[RewardRow]:
    journaled = programme.journal.entries(BatchKind.CREDIT)
    unseen: list[RewardRow] = []
    for row in rows:
        held = journaled.get(row.event_id)
        if held is None:
            unseen.append(row)
            continue
        entry, batch_status = held
        if isinstance(entry, CreditEntry) and (entry.wallet, entry.points) == (
            row.wallet,
            row.points,
        ):
            if batch_status is BatchStatus.CONFIRMED:
                result.already_credited.append(row.event_id)
            else:  # in a batch an earlier run left open: finished below
                result.already_pending.append(row.event_id)
        else:
            errors.append(
                InvalidRow(row.line, "event_id", "already credited, with another wallet or points")
            )
    statuses = read_statuses(programme.registry, distinct(row.wallet for row in unseen))
    new_rows = []
    for row in unseen:
        status, _ = statuses[row.wallet]
        if status is ChainStatus.ACTIVE:
            new_rows.append(row)
        elif status is ChainStatus.NONE:
            errors.append(InvalidRow(row.line, "wallet", "not a member"))
        else:
            errors.append(InvalidRow(row.line, "wallet", f"not an active member ({status.word})"))
    return new_rows


class CreditTarget:
    """Credit batches on the points token: applied iff `batchApplied(batchId)`."""

    kind = BatchKind.CREDIT

    def __init__(self, programme: Programme) -> None:
        self.programme = programme

    def is_applied(self, batch: Batch) -> bool:
        return bool(self.programme.points.batchApplied(batch.id_bytes))

    def applying_transaction(self, batch: Batch) -> str | None:
        logs = event_logs(
            self.programme.chain,
            self.programme.points.BatchCredited,
            self.programme.from_block,
            batchId=batch.id_bytes,
        )
        found = None
        for log in logs:
            found = tx_hex(log.transaction_hash)
        return found

    def transaction(self, batch: Batch, sender: Any) -> Any:
        credits = batch.credits
        return self.programme.points.credit.as_transaction(
            batch.id_bytes,
            [entry.wallet for entry in credits],
            [entry.points for entry in credits],
            sender=sender,
        )

    def on_confirmed(self, batch: Batch, tx_hash: str, block: int) -> None:
        """The journal's confirmed batch is the record of the credited events."""
