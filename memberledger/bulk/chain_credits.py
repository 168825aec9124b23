"""What the chain says was credited, compared with the journal before any credit is sent.

The chain alone is enough to know which reward events were paid: every applied credit batch
is a `BatchCredited(contentHash, issuer, ...)` log, its rows (wallet, base points, event tag)
are its transaction's calldata, and the rows it skipped are `CreditSkipped` and
`CreditRoundedToZero` logs of the same transaction. So before a credit run sends anything,
the journal is compared with every `BatchCredited` log since it last looked
(`unknown_credit_batches`): a batch applied by a transaction the journal neither sent nor
learnt means the journal is not the whole story (it was lost, restored from an older backup,
or another machine credits with a journal of its own), and the run refuses
(`require_known_credits`) until `ape run journal rebuild` has recorded those batches
(`rebuild_journal`): their rows, by event tag, as credited or skipped. From then on the
credit check of a file (by tag, `Journal.match_staged_credits`) knows those events are paid,
whatever batch size, file order or skipped rows the other run used.

A batch the journal still holds open (planned, or sent and never mined) whose events the
chain credited meanwhile in another batch is released, so it is never sent; one that may
still be mined stops the rebuild until it has settled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memberledger.chain import calldata
from memberledger.chain.logs import LogReader
from memberledger.chain.reads import ChainStatus
from memberledger.errors import JournalError
from memberledger.identifiers import credit_batch_id
from memberledger.programme import Programme
from memberledger.store.journal import (
    CREDIT_SYNC,
    BatchStatus,
    ChainCredit,
    SentTransaction,
    now_text,
)

#: The journal's name for how far it has compared itself with `BatchCredited` logs.
SYNC_NAME = CREDIT_SYNC
#: Blocks below the head the comparison is repeated over next time (a reorganisation of
#: recent blocks can replace what was seen there).
RECHECK_DEPTH = 256


@dataclass(frozen=True)
class ChainBatch:
    """A credit batch the chain applied: its `BatchCredited` log."""

    batch_id: str
    issuer: str
    tx_hash: str
    block: int
    block_hash: str
    credited: int
    points: int
    skipped: int


@dataclass(frozen=True)
class Unknown:
    """The chain's credit batches the journal does not know, and the head they were read to."""

    batches: list[ChainBatch]
    head: int

    @property
    def rows(self) -> int:
        return sum(batch.credited + batch.skipped for batch in self.batches)


@dataclass(frozen=True)
class Rebuilt:
    """What `rebuild_journal` recorded."""

    batches: int
    credits: int
    skipped: int
    released: list[str]


def unknown_credit_batches(
    programme: Programme, on_range: Callable[[int, int], None] | None = None
) -> Unknown:
    """Every credit batch applied since the journal last looked (by any issuer) whose
    transaction the journal neither sent nor learnt. `on_range(first, last)` hears each
    block range read, for a progress bar."""
    journal, node = programme.journal, programme.node
    start = journal.synced_block(SYNC_NAME)
    first = programme.from_block if start is None else start + 1
    head = node.block_number()
    unknown: list[ChainBatch] = []
    reader = LogReader(node)
    for found in reader.read(
        [programme.deployment.points], [calldata.BATCH_CREDITED_TOPIC], first, head
    ):
        if on_range is not None:
            on_range(found.first, found.last)
        batches = [_chain_batch(log) for log in found.logs]
        known = journal.known_transactions([batch.tx_hash for batch in batches])
        unknown += [batch for batch in batches if batch.tx_hash not in known]
    return Unknown(unknown, head)


def require_known_credits(programme: Programme, *, remember: bool = True) -> None:
    """Refuse (`JournalError`) while the chain holds credit batches the journal does not
    know; otherwise remember how far the chain was compared (unless `remember` is False: a
    dry run writes nothing)."""
    unknown = unknown_credit_batches(programme)
    if unknown.batches:
        first = unknown.batches[0]
        raise JournalError(
            f"the chain holds {len(unknown.batches):,} credit batch"
            f"{'es' if len(unknown.batches) != 1 else ''} ({unknown.rows:,} reward events) that "
            f"this vault's journal does not know, the first in block {first.block} (tx "
            f"{first.tx_hash}, issuer {first.issuer}). The journal was lost or restored from an "
            "older backup, or another machine credits this programme with its own journal. "
            "Nothing was sent. Run `ape run journal rebuild` to record them from the chain, "
            "then run this again: events the chain already paid will not be paid again"
        )
    if remember:
        _remember(programme, unknown.head)


def rebuild_journal(
    programme: Programme, on_range: Callable[[int, int], None] | None = None
) -> Rebuilt:
    """Record in the journal every credit batch the chain applied that it does not know:
    rows by event tag, credited or skipped, and its transaction as known. Open batches of
    the journal holding events those batches paid are released (never sent)."""
    unknown = unknown_credit_batches(programme, on_range)
    credits = skipped = 0
    released: list[str] = []
    for batch in unknown.batches:
        rows, sent, gas_used = _read_batch(programme, batch)
        released += _release_overlapping(programme, batch, rows)
        programme.journal.record_chain_batch(
            batch.batch_id, sent, batch.block, batch.block_hash, gas_used, rows
        )
        credits += sum(1 for row in rows if row.skipped_reason is None)
        skipped += sum(1 for row in rows if row.skipped_reason is not None)
    _remember(programme, unknown.head)
    return Rebuilt(len(unknown.batches), credits, skipped, released)


def _remember(programme: Programme, head: int) -> None:
    previous = programme.journal.synced_block(SYNC_NAME)
    block = max(programme.from_block - 1, head - RECHECK_DEPTH)
    if previous is None or block > previous:
        programme.journal.record_synced(SYNC_NAME, block)


def _chain_batch(log: dict[str, Any]) -> ChainBatch:
    topics = [str(topic).lower() for topic in log["topics"]]
    data = bytes.fromhex(str(log["data"])[2:])
    return ChainBatch(
        batch_id=topics[1],
        issuer=calldata.topic_address(topics[2]),
        tx_hash=str(log["transactionHash"]).lower(),
        block=int(str(log["blockNumber"]), 16),
        block_hash=str(log["blockHash"]).lower(),
        credited=int.from_bytes(data[0:32], "big"),
        points=int.from_bytes(data[32:64], "big"),
        skipped=int.from_bytes(data[64:96], "big"),
    )


def _read_batch(
    programme: Programme, batch: ChainBatch
) -> tuple[list[ChainCredit], SentTransaction, int]:
    """The rows of an applied batch, from its transaction's calldata and its receipt's skip
    logs; the transaction as the journal records one; its gas."""
    node = programme.node
    tx = node.call("eth_getTransactionByHash", batch.tx_hash)
    if not isinstance(tx, dict):
        raise JournalError(f"the node does not know transaction {batch.tx_hash} any more")
    rows = calldata.decode_credit(bytes.fromhex(str(tx["input"])[2:]))
    if rows is None or credit_batch_id((r.wallet, r.amount, r.tag) for r in rows) != (
        batch.batch_id
    ):
        raise JournalError(
            f"transaction {batch.tx_hash} applied credit batch {batch.batch_id} but its "
            "calldata is not that batch (it was sent through a contract, e.g. a multisig): "
            "the rows cannot be read from it. Record that batch's events by hand before "
            "crediting again"
        )
    topics = frozenset({calldata.CREDIT_SKIPPED_TOPIC, calldata.CREDIT_ROUNDED_TO_ZERO_TOPIC})
    (receipt,) = node.receipts([batch.tx_hash], topics)
    if receipt is None:
        raise JournalError(f"the node has no receipt for transaction {batch.tx_hash}")
    why: dict[bytes, tuple[str, int | None]] = {}
    for log in receipt.logs:
        log_topics = [str(topic).lower() for topic in log["topics"]]
        tag = bytes.fromhex(log_topics[2][2:34])
        if log_topics[0] == calldata.CREDIT_SKIPPED_TOPIC:
            registry_status = int(str(log["data"])[66:130], 16)
            why[tag] = (
                f"not an active member ({ChainStatus(registry_status).word})",
                registry_status,
            )
        else:
            why[tag] = ("rounds down to 0 points after the tier multiplier", None)
    credits: list[ChainCredit] = []
    seen: set[bytes] = set()
    for row in rows:
        if row.tag in seen:
            continue  # a tag twice in one batch (not one of ours): recorded once
        seen.add(row.tag)
        reason, status = why.get(row.tag, (None, None))
        credits.append(ChainCredit(row.tag, row.wallet, row.amount, reason, status))
    sent = SentTransaction(
        batch.tx_hash,
        batch.batch_id,
        int(str(tx["nonce"]), 16),
        int(str(tx["gas"]), 16),
        int(str(tx.get("maxFeePerGas") or tx.get("gasPrice") or "0x0"), 16),
        int(str(tx.get("maxPriorityFeePerGas") or "0x0"), 16),
        now_text(),
    )
    return credits, sent, receipt.gas_used


def _release_overlapping(
    programme: Programme, batch: ChainBatch, rows: list[ChainCredit]
) -> list[str]:
    """Open batches of the journal holding events `batch` paid: released (failed), so their
    other rows are planned again without them. One whose transaction the node still holds,
    or whose nonce is still free, might yet be mined: that stops the rebuild."""
    journal, node = programme.journal, programme.node
    paid = [row.tag for row in rows if row.skipped_reason is None]
    released: list[str] = []
    for identity, status in journal.live_batches_holding(paid).items():
        if identity == batch.batch_id or status not in (BatchStatus.PLANNED, BatchStatus.SENT):
            continue
        if status is BatchStatus.SENT:
            txs = journal.transactions(identity)
            mined_nonce = node.nonce(programme.signer.address, "latest")
            if any(node.known([tx.tx_hash for tx in txs])) or any(
                tx.nonce >= mined_nonce for tx in txs
            ):
                raise JournalError(
                    f"batch {identity} of this journal was sent and may still be mined, and "
                    f"the chain credited some of its events in transaction {batch.tx_hash}. "
                    "Let it settle (run `ape run issue_rewards` with its file, which finishes "
                    "it), then run `ape run journal rebuild` again"
                )
        journal.record_failed(
            identity, f"its events were credited by transaction {batch.tx_hash} meanwhile"
        )
        released.append(identity)
    return released
