"""Keeping a programme's vault small over years: old confirmed journal rows archived or pruned
once the chain answers for them, and the space they took given back.

`memberledger.store.retention` decides which batches may go and writes the archive; this
module asks the chain about them (their blocks still there with the recorded hash and their
transactions, credit batches applied) and holds the vault's run lock meanwhile, so no bulk run
plans while rows are retired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from memberledger.chain import calldata
from memberledger.chain.reads import ChainStatus, fetch_statuses
from memberledger.chain.rpc import BlockHeader
from memberledger.programme import Programme
from memberledger.store.database import Database
from memberledger.store.journal import CREDIT_SYNC, BatchKind, RetirableBatch
from memberledger.store.lock import shared_run
from memberledger.store.retention import RetentionOutcome, RetentionPolicy, retire_batches

#: The kinds of bulk run upkeep must not meet (on PostgreSQL: another machine's runs).
RUN_KINDS = tuple(kind.value for kind in BatchKind)
#: Block headers or calls per JSON-RPC request while checking candidates.
CHECK_CHUNK = 100


@dataclass(frozen=True)
class Compaction:
    """The vault's size on disk before and after `compact_vault`, in bytes."""

    path: Path
    before: int
    after: int

    @property
    def reclaimed(self) -> int:
        return self.before - self.after


def prune_journal(
    programme: Programme,
    policy: RetentionPolicy,
    *,
    archive_to: Path | None = None,
    now: dt.datetime | None = None,
) -> RetentionOutcome:
    """Remove from the journal the confirmed batches `policy` allows and the chain still
    shows, archived first into the folder `archive_to` if given.

    Only batches at or below the block up to which the journal was last compared with the
    chain's credit batches (`memberledger.bulk.chain_credits.require_known_credits`, which
    the `vault` commands run first) leave: the next run compares from there on, and a
    retired batch's transaction is no longer one the journal knows."""
    database = programme.database
    with shared_run(database, RUN_KINDS, "vault prune"):
        synced = programme.journal.synced_block(CREDIT_SYNC)
        reach = (-1 if synced is None else synced) + policy.depth
        head = min(programme.node.block_number(), reach)
        return retire_batches(
            programme.journal,
            policy,
            head,
            lambda batches: chain_shows(programme, batches),
            archive_to=archive_to,
            archive_name=f"journal-{programme.deployment.chain_id}",
            now=now,
        )


def chain_shows(programme: Programme, batches: Sequence[RetirableBatch]) -> set[str]:
    """The ids of `batches` the chain shows now: the block at the recorded number has the
    recorded hash (when one was recorded) and holds the batch's transaction, and a credit
    batch is applied in the points contract. (An enrollment batch's members also carry its
    transaction and block in the vault.) A batch confirmed by the chain's state alone (a node
    restarted without its history: no block hash recorded) is shown by that state: a credit
    batch applied, an enrollment batch's members all enrolled at some time."""
    node = programme.node
    numbers = sorted({batch.block for batch in batches})
    headers: dict[int, BlockHeader | None] = {}
    for start in range(0, len(numbers), CHECK_CHUNK):
        some = numbers[start : start + CHECK_CHUNK]
        headers.update(zip(some, node.blocks(some), strict=True))
    credits = [batch for batch in batches if batch.kind is BatchKind.CREDIT]
    applied: set[str] = set()
    points = str(programme.deployment.points)

    def own_issuer() -> str:
        return str(programme.sender.address)

    for start in range(0, len(credits), CHECK_CHUNK):
        # The contract keeps applied batches per issuer: the issuer of a batch is the sender
        # of its transaction; for a transaction the node no longer knows (a node restarted
        # without its history), the account running this command, the programme's issuer.
        asked = credits[start : start + CHECK_CHUNK]
        sent = node.batch([("eth_getTransactionByHash", [b.tx_hash]) for b in asked])
        chunk = [
            (batch, str(tx["from"]) if isinstance(tx, dict) and tx.get("from") else own_issuer())
            for batch, tx in zip(asked, sent, strict=True)
        ]
        answers = node.batch(
            [
                (
                    "eth_call",
                    [
                        {
                            "to": points,
                            "data": "0x" + calldata.batch_applied(issuer, _id(b)).hex(),
                        },
                        "latest",
                    ],
                )
                for b, issuer in chunk
            ]
        )
        applied.update(
            batch.batch_id
            for (batch, _), answer in zip(chunk, answers, strict=True)
            if isinstance(answer, str) and int(answer, 16) != 0
        )
    shown: set[str] = set()
    for batch in batches:
        if batch.block_hash == "":  # confirmed by state alone: the state answers
            if batch.batch_id in applied or _members_on_chain(programme, batch):
                shown.add(batch.batch_id)
            continue
        header = headers[batch.block]
        if header is None or batch.tx_hash.lower() not in header.tx_hashes:
            continue
        if batch.block_hash and header.block_hash != batch.block_hash.lower():
            continue
        if batch.kind is BatchKind.CREDIT and batch.batch_id not in applied:
            continue
        shown.add(batch.batch_id)
    return shown


def compact_vault(database: Database) -> Compaction:
    """Rebuild the vault file without the space deleted rows left (`Database.compact`),
    holding the run lock so no bulk run writes meanwhile."""
    with shared_run(database, RUN_KINDS, "vault compact"):
        before, after = database.compact()
    return Compaction(database.path, before, after)


def _members_on_chain(programme: Programme, batch: RetirableBatch) -> bool:
    """An enrollment batch whose every member the registry knows (in any status)."""
    if batch.kind is not BatchKind.ENROLL:
        return False
    stored = programme.journal.get(batch.batch_id)
    wallets = [entry.wallet for entry in stored.enrollments] if stored else []
    statuses = fetch_statuses(programme.node, str(programme.deployment.registry), wallets)
    return bool(wallets) and all(status is not ChainStatus.NONE for status, _ in statuses)


def _id(batch: RetirableBatch) -> bytes:
    return bytes.fromhex(batch.batch_id[2:])
