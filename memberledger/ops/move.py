"""A member lost their wallet: their membership moves to a new one, the old one is buried.

The registry moves a membership in two steps with a time-lock (see docs/threat-model.md):
a registrar proposes the move (`proposeMove(old, new)`), and only after the registry's
`moveDelay` can anyone complete it (`completeMove(old)`); until then the old wallet can refuse
it (`vetoMove`) and a registrar can cancel it (`cancelMove`). A stolen registrar key alone
therefore cannot move a membership unseen: the proposal is an event the member, their wallet
and the operator's monitoring see, and the member has the whole delay to veto. Completed, the
record (commitment, consent, tier, since) belongs to the new wallet, the old one has status
Moved for ever, and the points follow with `LoyaltyPoints.carryOver(old)`.

`members move MEMBER NEW_WALLET` proposes; run again (or with `--complete`) after the delay,
it completes the move, carries the points over and moves the vault's record (sealed again,
bound to the new wallet). Every step reads the chain first, so re-running after an
interruption finishes what is left and repeats nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.reads import ChainStatus, event_logs, read_member, revert_reason, tx_hex
from memberledger.errors import ChainRejected, InvalidField, UnknownMember
from memberledger.identifiers import ZERO_ADDRESS, parse_address
from memberledger.ops.members import locate
from memberledger.programme import Programme
from memberledger.store.vault import MemberStatus, StoredMember


@dataclass(frozen=True)
class MoveStep:
    what: str
    tx_hash: str | None = None
    block: int | None = None


@dataclass
class MoveOutcome:
    """What `move_member` did: its steps, and where the move stands (`state`: "proposed",
    "waiting", "moved", "cancelled")."""

    member_id: str
    old_wallet: str
    new_wallet: str
    state: str
    steps: list[MoveStep]
    executable_at: int = 0

    @property
    def letter_due(self) -> bool:
        return self.state == "moved" and any(step.tx_hash for step in self.steps)


def move_member(
    programme: Programme,
    member: str,
    new_wallet: str | None,
    *,
    complete: bool = False,
    cancel: bool = False,
) -> MoveOutcome:
    """Propose, complete or cancel the move of `member` to `new_wallet`; see the module
    docstring. `new_wallet` may be left out to complete or cancel the pending move."""
    stored = _member(programme, member)
    old = stored.wallet
    registry = programme.registry
    target = parse_address(new_wallet, "NEW_WALLET") if new_wallet else None
    if target is not None and target == old:
        earlier = _moved_into(programme, old)
        if earlier is None:
            raise InvalidField("NEW_WALLET", f"{target} is the member's wallet already")
        return _finish(programme, stored, earlier, old, [])  # run again after completing
    status = read_member(registry, old).status
    if status is ChainStatus.MOVED:
        moved_to = str(registry.movedTo(old))
        if target is not None and target != moved_to:
            raise ChainRejected(
                f"{stored.member_id} already moved to {moved_to}, for good: a moved membership "
                f"moves on from its new wallet (`ape run members move {stored.member_id} ...` "
                "once the vault follows)"
            )
        return _finish(programme, stored, old, moved_to, [])
    pending, executable_at = registry.pendingMove(old)
    pending = str(pending)
    if cancel:
        if pending == ZERO_ADDRESS:
            return MoveOutcome(
                stored.member_id,
                old,
                target or "",
                "cancelled",
                [MoveStep("no move pending: nothing to cancel")],
            )
        _require_registrar(programme)
        receipt = _send(lambda: registry.cancelMove(old, sender=programme.sender), "cancel")
        return MoveOutcome(
            stored.member_id,
            old,
            pending,
            "cancelled",
            [MoveStep(f"cancelled the move to {pending}", *_where(receipt))],
        )
    if pending != ZERO_ADDRESS:
        if target is not None and target != pending:
            raise ChainRejected(
                f"a move of {stored.member_id} to {pending} is pending: cancel it first "
                f"(`ape run members move {stored.member_id} --cancel`), then propose {target}"
            )
        now = int(programme.chain.blocks.head.timestamp)
        if now < int(executable_at):
            return MoveOutcome(
                stored.member_id,
                old,
                pending,
                "waiting",
                [
                    MoveStep(
                        f"the move to {pending} can be completed from "
                        f"{_utc(int(executable_at))} (in {int(executable_at) - now:,} s); "
                        "until then the old wallet can veto it"
                    )
                ],
                int(executable_at),
            )
        receipt = _send(lambda: registry.completeMove(old, sender=programme.sender), "completion")
        steps = [MoveStep(f"completed the move to {pending}", *_where(receipt))]
        return _finish(programme, stored, old, pending, steps)
    if complete or target is None:
        vetoed = _last_veto(programme, old)
        raise ChainRejected(
            f"no move of {stored.member_id} is pending"
            + (f" (the member's old wallet vetoed the move to {vetoed})" if vetoed else "")
            + f": propose one with `ape run members move {stored.member_id} NEW_WALLET`"
        )
    return _propose(programme, stored, old, target)


def _propose(programme: Programme, stored: StoredMember, old: str, target: str) -> MoveOutcome:
    registry = programme.registry
    chain = read_member(registry, old)
    if chain.status not in (ChainStatus.ACTIVE, ChainStatus.SUSPENDED):
        raise ChainRejected(
            f"cannot move {stored.member_id}: their membership is {chain.status.word}; only a "
            "current membership moves"
        )
    if read_member(registry, target).status is not ChainStatus.NONE:
        raise ChainRejected(
            f"{target} was enrolled before: a membership moves only to a wallet that never was "
            "one; ask the member for a fresh wallet"
        )
    holder = programme.vault.get_by_wallet(target)
    if holder is not None:
        raise ChainRejected(f"{target} belongs to member {holder.member_id!r} in the vault")
    _require_registrar(programme)
    receipt = _send(
        lambda: registry.proposeMove(old, target, sender=programme.sender), "move proposal"
    )
    _, executable_at = registry.pendingMove(old)
    return MoveOutcome(
        stored.member_id,
        old,
        target,
        "proposed",
        [
            MoveStep(
                f"proposed the move to {target}; it can be completed from "
                f"{_utc(int(executable_at))}, and until then the old wallet can veto it",
                *_where(receipt),
            )
        ],
        int(executable_at),
    )


def _finish(
    programme: Programme, stored: StoredMember, old: str, new: str, steps: list[MoveStep]
) -> MoveOutcome:
    """After `completeMove`: the points follow, the vault's record follows."""
    points = programme.points
    balance = int(points.balanceOf(old))
    if balance:
        receipt = _send(lambda: points.carryOver(old, sender=programme.sender), "carry-over")
        steps.append(MoveStep(f"carried {balance:,} points over", *_where(receipt)))
    if stored.wallet != new:
        programme.vault.move_wallet(stored.member_id, new)
        steps.append(MoveStep("vault record sealed again under the new wallet"))
    if not steps:
        steps.append(MoveStep(f"already moved to {new}: nothing to do"))
    return MoveOutcome(stored.member_id, old, new, "moved", steps)


def _member(programme: Programme, member: str) -> StoredMember:
    stored, wallet = locate(programme, member)
    if stored is None:
        raise UnknownMember(
            f"wallet {wallet} has no record in this vault: a membership moves with its record"
        )
    if stored.status is not MemberStatus.ENROLLED:
        raise ChainRejected(f"member {stored.member_id!r} is {stored.status.value}: it cannot move")
    return stored


def _moved_into(programme: Programme, wallet: str) -> str | None:
    """The wallet whose membership moved into `wallet`, if one did."""
    for log in event_logs(
        programme.chain, programme.registry.MemberMoved, programme.from_block, newWallet=wallet
    ):
        return str(log.old)
    return None


def _last_veto(programme: Programme, old: str) -> str | None:
    vetoes = list(
        event_logs(programme.chain, programme.registry.MoveVetoed, programme.from_block, old=old)
    )
    return str(vetoes[-1].newWallet) if vetoes else None


def _require_registrar(programme: Programme) -> None:
    registry, sender = programme.registry, str(programme.sender.address)
    if not registry.hasRole(registry.REGISTRAR_ROLE(), sender):
        raise ChainRejected(
            f"{sender} does not hold the registrar role, so the chain would refuse: sign with "
            "a registrar's account (--account); `ape run roles list` shows who holds it"
        )


def _send(transaction: Callable[[], Any], what: str) -> Any:
    try:
        return transaction()
    except (ContractLogicError, TransactionError) as exc:
        raise ChainRejected(f"the chain refused the {what}: {revert_reason(exc)}") from exc


def _where(receipt: Any) -> tuple[str, int]:
    return tx_hex(receipt.txn_hash), int(receipt.block_number)


def _utc(timestamp: int) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
