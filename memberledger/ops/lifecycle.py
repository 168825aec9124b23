"""A membership after day one: a new tier, a suspension and its end, a revocation, and a
member whose personal data changed.

Every action first reads what the chain holds. An action that is already true sends nothing
and says so (running it again is safe); one the chain would refuse is refused here, saying
what is true and what to do instead, before any gas is spent. Only then is one transaction
sent, signed by the operator, who must hold the registrar role.

A change of personal data (`update_member`) is re-sealed in the vault under a fresh salt and
kept beside the current record until the chain holds its new commitment
(`rotateCommitment`); then it replaces the record. An update interrupted in between is
finished by running `members update MEMBER` again, with or without the new data.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.reads import ChainMember, ChainStatus, read_member, revert_reason, tx_hex
from memberledger.errors import ChainRejected, InvalidField, UnknownMember, VaultError
from memberledger.ops.members import locate
from memberledger.pii.canonical import as_given, canonical_bytes, canonicalize
from memberledger.pii.commitment import SALT_LENGTH, commit
from memberledger.programme import Programme
from memberledger.store.vault import MemberRecord, MemberStatus, StoredMember
from memberledger.tiers import TIERS

#: Chain statuses in which a membership can still be changed.
CURRENT = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)
#: The personal-data fields `members update` can change, by option name.
UPDATABLE_FIELDS = ("full_name", "email", "phone", "birth_date")


@dataclass(frozen=True)
class ActionOutcome:
    """What one action did: `changed` is False when it was already true (nothing sent)."""

    member_id: str | None
    wallet: str
    action: str
    outcome: str
    changed: bool
    tx_hash: str | None = None
    block: int | None = None


def change_tier(programme: Programme, member: str, tier: int) -> ActionOutcome:
    """Give the member another tier (their future credits use its multiplier)."""
    if tier not in TIERS:
        raise InvalidField("tier", f"unknown tier {tier}")
    stored, wallet, chain = _current(programme, member, "change the tier of")
    if chain.tier == tier:
        if stored is not None:
            programme.vault.set_tier(stored.member_id, tier)
        return _unchanged(stored, wallet, "tier", f"already {TIERS[tier]}: nothing sent")
    require_registrar(programme)
    receipt = _send(
        programme, "tier change", lambda: programme.registry.setTier(wallet, tier, **_tx(programme))
    )
    if stored is not None:
        programme.vault.set_tier(stored.member_id, tier)
    return _changed(stored, wallet, "tier", f"tier {_tier(chain.tier)} -> {TIERS[tier]}", receipt)


def suspend_member(programme: Programme, member: str, reason: str | None = None) -> ActionOutcome:
    """Suspend an active membership: the member's points are frozen (no credit, redemption
    or transfer) until `reinstate_member`. The reason, if any, is kept sealed in the vault."""
    stored, wallet, chain = _current(programme, member, "suspend")
    if chain.status is ChainStatus.SUSPENDED:
        return _unchanged(
            stored,
            wallet,
            "suspend",
            f"already suspended: nothing sent (`ape run members reinstate {_name(stored, wallet)}` "
            "lifts it)",
        )
    require_registrar(programme)
    receipt = _send(
        programme, "suspension", lambda: programme.registry.suspend(wallet, **_tx(programme))
    )
    outcome = _changed(stored, wallet, "suspend", "suspended: points frozen", receipt)
    if reason and reason.strip():
        if stored is None:
            outcome = replace(
                outcome, outcome=outcome.outcome + " (reason not kept: no vault record)"
            )
        else:
            programme.notes.add(stored.member_id, "suspend", reason.strip(), outcome.tx_hash)
            outcome = replace(outcome, outcome=outcome.outcome + "; reason kept in the vault")
    return outcome


def reinstate_member(programme: Programme, member: str) -> ActionOutcome:
    """Lift a suspension: the member is active again, points usable."""
    stored, wallet, chain = _current(programme, member, "reinstate")
    if chain.status is ChainStatus.ACTIVE:
        return _unchanged(stored, wallet, "reinstate", "already active: nothing sent")
    require_registrar(programme)
    receipt = _send(
        programme, "reinstatement", lambda: programme.registry.reinstate(wallet, **_tx(programme))
    )
    return _changed(stored, wallet, "reinstate", "reinstated: active again", receipt)


def revoke_member(programme: Programme, member: str) -> ActionOutcome:
    """End a membership. The wallet may be enrolled again later; personal data stays in the
    vault until erased (`ape run erase`), and the points stay frozen (erasure forfeits them)."""
    stored, wallet = locate(programme, member)
    chain = read_member(programme.registry, wallet)
    if chain.status in (ChainStatus.REVOKED, ChainStatus.ERASED):
        return _unchanged(stored, wallet, "revoke", f"already {chain.status.word}: nothing sent")
    _require_current(stored, wallet, chain, "revoke")
    require_registrar(programme)
    receipt = _send(
        programme, "revocation", lambda: programme.registry.revoke(wallet, **_tx(programme))
    )
    balance = int(programme.points.balanceOf(wallet))
    kept = f"; {balance:,} points frozen (`ape run erase` forfeits them)" if balance else ""
    return _changed(stored, wallet, "revoke", "revoked" + kept, receipt)


# ---------------------------------------------------------------------- personal data


@dataclass(frozen=True)
class UpdateOutcome:
    """What `update_member` did; `letter_due` when the member holds a new salt (and so
    needs a new letter)."""

    action: ActionOutcome
    member_id: str
    changed_fields: tuple[str, ...]
    letter_due: bool


def update_member(
    programme: Programme, member: str, changes: dict[str, str] | None = None
) -> UpdateOutcome:
    """Change a member's personal data: the fields in `changes` (by `UPDATABLE_FIELDS`
    name; "" clears phone or birth date) are validated, the record is re-sealed under a fresh
    salt and staged in the vault, the commitment rotated on chain, and then the staged record
    becomes the member's. With no `changes`, an interrupted update is finished."""
    stored, wallet = locate(programme, member)
    if stored is None:
        raise UnknownMember(
            f"wallet {wallet} has no record in this vault: its personal data cannot be "
            "changed here (is MEMBERLEDGER_VAULT the programme's vault?)"
        )
    if stored.status is MemberStatus.ERASED:
        raise VaultError(
            f"member {stored.member_id!r} is erased: there is no personal data left to change"
        )
    if stored.status is MemberStatus.PENDING:
        raise VaultError(
            f"member {stored.member_id!r} is not enrolled on chain yet: run `ape run enroll` "
            "with their file again to finish the enrollment, then update"
        )
    unknown = set(changes or {}) - set(UPDATABLE_FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "not a field `members update` can change")
    chain = read_member(programme.registry, wallet)
    finished = _settle_pending(programme, stored, chain)
    if not changes:
        if finished is not None:
            return finished
        return UpdateOutcome(
            _unchanged(stored, wallet, "update", "no change given and no update waiting"),
            stored.member_id,
            (),
            letter_due=False,
        )
    stored = programme.vault.get(stored.member_id) or stored
    _require_current(stored, wallet, chain, "update the data of")
    current = programme.vault.member_record(stored.member_id)
    given = as_given(replace(current.shown, **changes))
    personal = canonicalize(given, programme.phone_region)
    changed_fields = tuple(
        name for name in UPDATABLE_FIELDS if getattr(given, name) != getattr(current.shown, name)
    )
    if not changed_fields and personal == current.personal:
        return UpdateOutcome(
            _unchanged(stored, wallet, "update", "the data given is the data held: nothing sent"),
            stored.member_id,
            (),
            letter_due=False,
        )
    require_registrar(programme)
    salt = secrets.token_bytes(SALT_LENGTH)
    record = MemberRecord(
        member_id=stored.member_id,
        wallet=wallet,
        personal=personal,
        salt=salt,
        commitment=commit(canonical_bytes(personal), salt),
        consent=stored.consent,
        tier=stored.tier,
        given=given,
    )
    programme.vault.stage_update(stored.member_id, record)
    receipt = _send(
        programme,
        "commitment rotation",
        lambda: programme.registry.rotateCommitment(
            wallet, record.commitment.value, **_tx(programme)
        ),
    )
    programme.vault.apply_update(stored.member_id)
    action = _changed(
        stored,
        wallet,
        "update",
        f"re-sealed with a fresh salt, commitment rotated to {record.commitment.hex}",
        receipt,
    )
    return UpdateOutcome(action, stored.member_id, changed_fields, letter_due=True)


def _settle_pending(
    programme: Programme, stored: StoredMember, chain: ChainMember
) -> UpdateOutcome | None:
    """Finish or forget an update an earlier run left waiting: applied if the chain took
    its commitment, sent again if not (the member's data changed; the chain must follow)."""
    pending = stored.pending_commitment
    if pending is None:
        return None
    wallet, member_id = stored.wallet, stored.member_id
    if chain.commitment == pending:
        programme.vault.apply_update(member_id)
        action = _unchanged(
            stored, wallet, "update", "finished an earlier update: the chain already held it"
        )
        return UpdateOutcome(replace(action, changed=True), member_id, (), letter_due=True)
    _require_current(stored, wallet, chain, "finish the update of")
    require_registrar(programme)
    receipt = _send(
        programme,
        "commitment rotation",
        lambda: programme.registry.rotateCommitment(wallet, pending.value, **_tx(programme)),
    )
    programme.vault.apply_update(member_id)
    action = _changed(
        stored, wallet, "update", f"finished an earlier update: commitment {pending.hex}", receipt
    )
    return UpdateOutcome(action, member_id, (), letter_due=True)


# ---------------------------------------------------------------------- shared steps


def _current(
    programme: Programme, member: str, verb: str
) -> tuple[StoredMember | None, str, ChainMember]:
    stored, wallet = locate(programme, member)
    chain = read_member(programme.registry, wallet)
    _require_current(stored, wallet, chain, verb)
    return stored, wallet, chain


def _require_current(
    stored: StoredMember | None, wallet: str, chain: ChainMember, verb: str
) -> None:
    """Refuse, with what is true and what to do, to act on a membership that has ended."""
    if chain.status in CURRENT:
        return
    name = _name(stored, wallet)
    match chain.status:
        case ChainStatus.NONE:
            fix = (
                "finish the enrollment first (`ape run enroll` with their file)"
                if stored is not None
                else "enroll them first (`ape run enroll`)"
            )
            raise ChainRejected(f"cannot {verb} {name}: not enrolled on chain; {fix}")
        case ChainStatus.REVOKED:
            raise ChainRejected(
                f"cannot {verb} {name}: the membership was revoked (or the member left); "
                "enroll the wallet again to start a new membership"
            )
        case _:
            raise ChainRejected(
                f"cannot {verb} {name}: the member was erased, which is final; nothing about "
                "them can change"
            )


def require_registrar(programme: Programme) -> None:
    registry = programme.registry
    sender = str(programme.sender.address)
    if registry.paused():
        raise ChainRejected(
            "the contracts are paused, so the chain would refuse: `ape run roles unpause` "
            "(as a pauser) first"
        )
    if not registry.hasRole(registry.REGISTRAR_ROLE(), sender):
        raise ChainRejected(
            f"{sender} does not hold the registrar role, so the chain would refuse: sign with "
            "a registrar's account (--account); `ape run roles list` shows who holds it"
        )


def _tx(programme: Programme) -> dict[str, Any]:
    return {"sender": programme.sender}


def _send(programme: Programme, what: str, transaction: Callable[[], Any]) -> Any:
    try:
        return transaction()
    except (ContractLogicError, TransactionError) as exc:
        raise ChainRejected(
            f"the chain refused the {what}: {revert_reason(exc)}; nothing changed"
        ) from exc


def _changed(
    stored: StoredMember | None, wallet: str, action: str, outcome: str, receipt: Any
) -> ActionOutcome:
    return ActionOutcome(
        stored.member_id if stored else None,
        wallet,
        action,
        outcome,
        True,
        tx_hex(receipt.txn_hash),
        int(receipt.block_number),
    )


def _unchanged(
    stored: StoredMember | None, wallet: str, action: str, outcome: str
) -> ActionOutcome:
    return ActionOutcome(stored.member_id if stored else None, wallet, action, outcome, False)


def _name(stored: StoredMember | None, wallet: str) -> str:
    return stored.member_id if stored is not None else wallet


def _tier(tier: int) -> str:
    return TIERS.get(tier, str(tier))


__all__ = [
    "ActionOutcome",
    "UpdateOutcome",
    "change_tier",
    "reinstate_member",
    "revoke_member",
    "suspend_member",
    "update_member",
]
