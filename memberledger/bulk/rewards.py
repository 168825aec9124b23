"""Issuing reward points from a CSV file (`event_id,wallet,points`), each event exactly once.

Before anything else the journal is compared with the chain (`bulk.chain_credits`): a credit
batch on chain that the journal does not know stops the run until `ape run journal rebuild`
has recorded it. Then the file is validated as a whole, streamed: the rows themselves
(`memberledger.intake.rewards_file`), then against the journal by each event's tag (the 16
bytes the chain sees instead of the event id) and against the chain (`bulk.staging`). An
event the journal already holds with the same wallet and points is *already credited*; one
the chain skipped earlier because its member was not active waits for `--retry-skipped`
(`retry_skipped_credits`); with other wallet or points it is an error, as is a wallet that is
not an active member now. New events go into credit batches whose id is the keccak256 of
their packed rows, which the contract keeps per issuer, and the courier sends them (see
`memberledger.bulk.courier`). A member who stops being active while a batch is on its way
does not wreck it: the chain skips that row, with an event, and the journal records it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from memberledger.bulk.chain_credits import require_known_credits
from memberledger.bulk.courier import Delivery, Outcome
from memberledger.bulk.progress import row_progress
from memberledger.bulk.run import (
    BulkResult,
    RunFigures,
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
from memberledger.chain.reads import ChainStatus, fetch_batch_applied, fetch_statuses
from memberledger.chain.rpc import Receipt
from memberledger.identifiers import packed_credit_rows
from memberledger.intake.rewards_file import scan_rewards_file
from memberledger.programme import Programme
from memberledger.store.journal import Batch, BatchKind, ChainCredit, CreditEntry, SkippedCredit


@dataclass
class RewardsResult(BulkResult):
    """`done`: events already credited; `pending`: sent by an earlier run, not yet
    confirmed; `skipped_before`: events the chain skipped earlier (member not active then),
    waiting for `--retry-skipped`. `new_points`: the new events' base points, before tier
    multipliers."""

    new_points: int = 0
    skipped_before: int = 0

    @property
    def points_credited(self) -> int:
        """Points the chain credited in this run, after tier multipliers."""
        return sum(d.outcome.points or 0 for d in self.deliveries)

    @property
    def skipped_now(self) -> list[ChainCredit]:
        """Credits the chain skipped in this run: their members were not active when the
        batch landed (or the multiplier rounded them to nothing)."""
        return [credit for d in self.deliveries for credit in d.outcome.skipped]


def issue_rewards(
    programme: Programme, path: Path, options: RunOptions | None = None
) -> RewardsResult:
    """Credit the reward events of `path` that were never credited; see the module docstring."""
    options = options or RunOptions()
    result = RewardsResult(path=path)
    journal = programme.journal
    with bulk_run(programme, options, "an issue_rewards run", BatchKind.CREDIT) as turn:
        # The chain first: if it holds credits the journal does not know, nothing is sent.
        require_known_credits(programme, remember=not options.dry_run)
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
            turn.take()
            staging.check_journal()
            staging.check_chain()
            result.new_points = staging.new_points()
            size = settle_checked_file(result, staging, options, target)
            result.skipped_before = staging.tally().skipped
            if options.dry_run:
                result.estimate = dry_run_estimate(programme, staging, target, result.new, size)
            else:
                store_and_send(programme, courier, staging, size, result, "crediting", turn)
        finally:
            staging.close()
    result.figures.finish(result.deliveries)
    return result


@dataclass
class RetryResult:
    """What `--retry-skipped` did: credits planned again (their members are active now),
    credits still waiting (their members are not), and what was delivered."""

    retried: list[SkippedCredit] = field(default_factory=list)
    waiting: list[SkippedCredit] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    figures: RunFigures = field(default_factory=RunFigures)

    @property
    def points_credited(self) -> int:
        return sum(d.outcome.points or 0 for d in self.deliveries)

    @property
    def skipped_again(self) -> list[ChainCredit]:
        return [credit for d in self.deliveries for credit in d.outcome.skipped]


def retry_skipped_credits(programme: Programme, options: RunOptions | None = None) -> RetryResult:
    """Send again the credits the chain skipped because their member was not active, for
    the members who are active now; the others keep waiting."""
    options = options or RunOptions()
    result = RetryResult()
    journal = programme.journal
    what = "an issue_rewards --retry-skipped run"
    with bulk_run(programme, options, what, BatchKind.CREDIT) as turn:
        require_known_credits(programme, remember=not options.dry_run)
        target = CreditTarget(programme)
        courier = courier_for(programme, target, options)
        turn.take()  # another machine retrying at the same time waits, then finds none left
        skipped = journal.skipped_credits()
        statuses = fetch_statuses(
            programme.node, programme.deployment.registry, [c.wallet for c in skipped]
        )
        for credit, (status, _) in zip(skipped, statuses, strict=True):
            active = status is ChainStatus.ACTIVE
            (result.retried if active else result.waiting).append(credit)
        if options.dry_run or not result.retried:
            return result
        courier.reconcile()
        size = options.batch_size or target.gas.default_batch
        planned = journal.plan_retry(result.retried, size, programme.signer.address)
        turn.release()
        with row_progress(programme.console, "crediting again", len(result.retried)) as advance:
            result.deliveries = courier.deliver(
                [batch.batch_id for batch in planned],
                on_delivered=lambda delivery: advance(delivery.rows),
            )
    result.figures.finish(result.deliveries)
    return result


class CreditTarget:
    """Credit batches on the points token. A batch is its packed rows (wallet, base points,
    event tag); its id is their keccak256, which the contract keeps per issuer: applied iff
    `batchApplied(our issuer, id)`, and only our own transaction can have applied it."""

    kind = BatchKind.CREDIT
    gas = CREDIT_GAS
    receipt_topics = frozenset(
        {
            calldata.BATCH_CREDITED_TOPIC,
            calldata.CREDIT_SKIPPED_TOPIC,
            calldata.CREDIT_ROUNDED_TO_ZERO_TOPIC,
        }
    )

    def __init__(self, programme: Programme, issuer: str | None = None) -> None:
        """Batches `issuer` sends (by default the programme's signer: the courier's)."""
        self.programme = programme
        self.contract = programme.deployment.points
        self._issuer = issuer

    @property
    def issuer(self) -> str:
        return self._issuer or self.programme.signer.address

    def calldata(self, batch: Batch) -> bytes:
        return calldata.credit(packed_credit_rows(entry.row for entry in batch.credits))

    def applied(self, batch: Batch) -> bool:
        return fetch_batch_applied(self.programme.node, self.contract, self.issuer, batch.batch_id)

    def applying_transaction(self, batch: Batch) -> str | None:
        """Our own transaction that applied the batch: its log names the batch and our
        issuer (another issuer's batch of the same rows is a batch of its own)."""
        issuer = calldata.address_topic(self.issuer)
        logs = self.programme.node.logs(
            self.contract,
            [calldata.BATCH_CREDITED_TOPIC, batch.batch_id, issuer],
            self.programme.from_block,
        )
        return str(logs[-1]["transactionHash"]).lower() if logs else None

    def outcome(self, batch: Batch, receipt: Receipt) -> Outcome:
        """The credits the receipt's logs say were skipped, and the points credited."""
        by_tag = {entry.tag: entry for entry in batch.credits}
        skipped: list[ChainCredit] = []
        points: int | None = None
        for log in receipt.logs:
            topics = [str(topic).lower() for topic in log["topics"]]
            data = bytes.fromhex(str(log["data"])[2:])
            if topics[0] == calldata.BATCH_CREDITED_TOPIC:
                points = int.from_bytes(data[32:64], "big")
                continue
            entry = by_tag.get(bytes.fromhex(topics[2][2:34]))
            if entry is None:
                continue  # not a row of this batch: another batch's log in the same receipt
            if topics[0] == calldata.CREDIT_SKIPPED_TOPIC:
                status = int.from_bytes(data[32:64], "big")
                reason = f"not an active member ({ChainStatus(status).word})"
                skipped.append(ChainCredit(entry.tag, entry.wallet, entry.points, reason, status))
            else:
                reason = "rounds down to 0 points after the tier multiplier"
                skipped.append(ChainCredit(entry.tag, entry.wallet, entry.points, reason, None))
        return Outcome(tuple(skipped), points)

    def on_confirmed(self, batch: Batch, receipt: Receipt) -> None:
        """The journal's confirmed batch is the record of the credited events."""

    def on_reopened(self, batch: Batch, tx_hash: str) -> None:
        """Nothing in the vault to undo."""


__all__ = [
    "CreditEntry",
    "CreditTarget",
    "RetryResult",
    "RewardsResult",
    "issue_rewards",
    "retry_skipped_credits",
]
