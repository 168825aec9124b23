"""GDPR erasure (article 17) of one member, in three steps that are each skipped when done.

1. Vault: the sealed personal data and salt are deleted (crypto-shredding). The commitment on
   record, on-chain and in the vault's tombstone row, is then linked to no one.
2. Registry: `erase(member)` wipes the commitment and consent and leaves a tombstone, so the
   wallet can never be enrolled again.
3. Points: the member's remaining balance is forfeited (burnt).

The vault goes first: personal data must not wait for a chain that may be unreachable. Running
the erasure again finishes whatever an interrupted run left, and otherwise changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.reads import ChainStatus, read_member, revert_reason, tx_hex
from memberledger.errors import ChainRejected, VaultError
from memberledger.ops.members import locate
from memberledger.programme import Programme
from memberledger.store.journal import OPEN_STATUSES, BatchKind
from memberledger.store.vault import MemberStatus, StoredMember

#: What the receipt says when another program's reader kept the write-ahead log from being
#: emptied: the row is erased, but old page images of it are still in the log file.
_LOG_HELD_BACK = (
    "deleted personal data and salt, but NOT yet shredded: another program has the vault "
    "open for reading, so old copies remain in its write-ahead log. Close it and run "
    "`ape run erase` again to finish"
)


@dataclass(frozen=True)
class ErasureStep:
    step: str
    outcome: str
    tx_hash: str | None = None
    block: int | None = None


@dataclass
class ErasureReceipt:
    wallet: str
    member_id: str | None
    steps: list[ErasureStep] = field(default_factory=list)
    forfeited: int = 0

    @property
    def shredded(self) -> bool:
        """Whether no copy of the personal data is left in the vault file or its log."""
        return not any(step.outcome == _LOG_HELD_BACK for step in self.steps)

    @property
    def changed_anything(self) -> bool:
        return any(step.tx_hash or step.outcome.startswith("deleted") for step in self.steps)


def erase_member(programme: Programme, wallet_or_id: str) -> ErasureReceipt:
    stored, wallet = locate(programme, wallet_or_id)
    receipt = ErasureReceipt(wallet=wallet, member_id=stored.member_id if stored else None)

    # 1. vault
    receipt.steps.append(shred(programme, stored))

    # 2. registry
    status = read_member(programme.registry, wallet).status
    if status is ChainStatus.NONE:
        receipt.steps.append(ErasureStep("registry", "never enrolled on chain"))
    elif status is ChainStatus.ERASED:
        receipt.steps.append(ErasureStep("registry", "already erased"))
    else:
        tx = _send(lambda: programme.registry.erase(wallet, sender=programme.sender))
        receipt.steps.append(
            ErasureStep(
                "registry",
                f"erased (was {status.word}): commitment and consent wiped",
                tx_hex(tx.txn_hash),
                int(tx.block_number),
            )
        )
        status = ChainStatus.ERASED

    # 3. points
    balance = int(programme.points.balanceOf(wallet))
    if balance == 0:
        receipt.steps.append(ErasureStep("points", "no points left"))
    elif status not in (ChainStatus.ERASED, ChainStatus.REVOKED):
        receipt.steps.append(ErasureStep("points", f"{balance} points kept: not erased on chain"))
    else:
        tx = _send(lambda: programme.points.forfeit(wallet, sender=programme.sender))
        receipt.forfeited = balance
        receipt.steps.append(
            ErasureStep(
                "points", f"{balance} points forfeited", tx_hex(tx.txn_hash), int(tx.block_number)
            )
        )
    return receipt


def shred(programme: Programme, stored: StoredMember | None) -> ErasureStep:
    """The erasure's first step, the vault's (also the dashboard's, before the registrar's
    wallet erases the member on chain): personal data, salt and sealed notes deleted."""
    if stored is None:
        return ErasureStep("vault", "not in this vault")
    if stored.status is MemberStatus.ERASED:
        if programme.vault.erase(stored.member_id):
            return ErasureStep("vault", "already erased")
        return ErasureStep("vault", _LOG_HELD_BACK)
    if stored.status is MemberStatus.PENDING:
        batch_status = programme.journal.entry_status(BatchKind.ENROLL, stored.member_id)
        if batch_status in OPEN_STATUSES:
            raise VaultError(
                f"member {stored.member_id!r} is in an unfinished enrollment batch: run "
                "`ape run enroll` with their file again to finish it, then erase"
            )
    shredded = programme.vault.erase(stored.member_id)
    notes = programme.notes.forget(stored.member_id)
    kept = f" and {notes} sealed note{'s' if notes != 1 else ''}" if notes else ""
    if shredded:
        return ErasureStep("vault", f"deleted personal data and salt{kept} (crypto-shredded)")
    return ErasureStep("vault", _LOG_HELD_BACK)


def _send(transaction: Callable[[], Any]) -> Any:
    try:
        return transaction()
    except (ContractLogicError, TransactionError) as exc:
        raise ChainRejected(f"the chain refused the erasure: {revert_reason(exc)}") from exc
