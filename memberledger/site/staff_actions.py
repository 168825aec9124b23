"""A registrar's actions on one member from the dashboard, signed by the registrar's own wallet:
a new tier, a suspension and its end, a revocation, new personal data, erasure, and a move to
a new wallet.

The server never signs. `prepare` checks what the chain holds now (the action must change
something the chain would allow) and builds the transaction, `to` and `data`, with the
registry's own ABI; the browser sends it with `eth_sendTransaction` from the staff member's
wallet; `confirm` then reads the receipt of the hash the page posts back: mined, successful,
sent by that staff member to the registry, and the chain now holding what was asked. Only
then is the vault touched (the member's tier). No personal data goes into the transaction:
the registry takes wallets, tiers and commitments and nothing else.

An update keeps the order of `ape run members update` (`memberledger.ops.lifecycle`): the
new data is validated and re-sealed under a fresh salt, and staged in the vault beside the
current record (`prepare`); the chain's commitment is rotated to the new one (the staff
member's transaction, `rotateCommitment`); only when the chain holds the staged commitment
does the staged record become the member's (`confirm`). An update waiting from an earlier
attempt is applied first if the chain took it; if the chain did not, a new update is refused
until `ape run members update MEMBER` finishes it, so two staff members can never stage over
each other's rotation in flight.

An erasure keeps the order of `ape run erase` (`memberledger.ops.erasure`): the vault goes
first (`prepare` shreds the personal data, salt and notes: they must not wait for a chain
that may be unreachable), then the registry (`erase`, the registrar's transaction), then the
points (`forfeit`, a second transaction, when a balance is left): each `prepare` gives the next
step that is not done, each `confirm` says whether one `remains`.

A move keeps the order of `ape run members move` (`memberledger.ops.move`): "move" proposes
(`proposeMove(old, new)`, the new wallet never a member nor in the vault), "move_cancel"
cancels while it is pending, and "move_complete", once the registry's delay has passed, sends
`completeMove(old)` and then, while the old wallet holds points, `carryOver(old)`; only when
the chain has moved the membership and the points is the vault's record moved to the new
wallet (`Vault.move_wallet`, sealed again). A move's `confirm` also checks the transaction's
calldata is exactly the step's, so no other transaction of this staff member passes for it.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from memberledger.chain.reads import ChainMember, ChainStatus, read_member
from memberledger.errors import InvalidField, UnknownMember, VaultError
from memberledger.identifiers import ZERO_ADDRESS, parse_address
from memberledger.ops.erasure import shred
from memberledger.ops.lifecycle import UPDATABLE_FIELDS
from memberledger.ops.members import locate
from memberledger.pii.canonical import as_given, canonical_bytes, canonicalize
from memberledger.pii.commitment import SALT_LENGTH, commit
from memberledger.programme import Programme
from memberledger.site.refusals import RelayRefused
from memberledger.store.vault import MemberRecord, MemberStatus, StoredMember
from memberledger.tiers import TIERS

ACTIONS = ("tier", "suspend", "reinstate", "revoke", "update", "erase")
MOVE_ACTIONS = ("move", "move_cancel", "move_complete")
#: Seconds `confirm` waits for the transaction's receipt.
RECEIPT_WAIT = 20.0
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Prepared:
    wallet: str
    member_id: str | None
    to: str
    data: str
    #: An erasure's step this transaction is ("registry" or "points"), and what the vault did.
    step: str | None = None
    vault: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "wallet": self.wallet,
            "memberId": self.member_id,
            "to": self.to,
            "data": self.data,
            "step": self.step,
            "vault": self.vault,
        }


def _wanted(action: str, chain: ChainMember, tier: int | None) -> None:
    """Refuse an action the chain would refuse, or one that changes nothing."""
    if action not in ACTIONS:
        raise RelayRefused(400, "bad_request", field="action")
    if chain.status not in (ChainStatus.ACTIVE, ChainStatus.SUSPENDED):
        raise RelayRefused(409, "not_current")
    if action == "tier" and (tier is None or tier not in TIERS):
        raise RelayRefused(400, "bad_request", field="tier")
    unchanged = (
        (action == "tier" and chain.tier == tier)
        or (action == "suspend" and chain.status is ChainStatus.SUSPENDED)
        or (action == "reinstate" and chain.status is ChainStatus.ACTIVE)
    )
    if unchanged:
        raise RelayRefused(409, "nothing_to_change")


def _located(programme: Programme, query: str) -> tuple[StoredMember | None, str]:
    try:
        return locate(programme, query.strip()[:100])
    except UnknownMember as exc:
        raise RelayRefused(404, "unknown_member") from exc


def prepare(
    programme: Programme,
    action: str,
    query: str,
    tier: int | None,
    changes: dict[str, str] | None = None,
    new_wallet: str | None = None,
) -> Prepared:
    """The transaction that carries out `action` on the member named by `query` (`changes`:
    the new personal data of an update, by `UPDATABLE_FIELDS` name; `new_wallet`: a move's)."""
    stored, wallet = _located(programme, query)
    registry = programme.registry
    chain = read_member(registry, wallet)
    if action in MOVE_ACTIONS:
        return _prepare_move(programme, action, stored, wallet, chain, new_wallet)
    if action == "update":
        return _prepare_update(programme, stored, wallet, chain, changes or {})
    if action == "erase":
        return _prepare_erase(programme, stored, wallet, chain)
    _wanted(action, chain, tier)
    if bool(registry.paused()):
        raise RelayRefused(503, "paused")
    method = {
        "tier": registry.setTier,
        "suspend": registry.suspend,
        "reinstate": registry.reinstate,
        "revoke": registry.revoke,
    }[action]
    arguments = (wallet, tier) if action == "tier" else (wallet,)
    data = "0x" + bytes(method.encode_input(*arguments)).hex()
    return Prepared(wallet, stored.member_id if stored else None, str(registry.address), data)


def _prepare_update(
    programme: Programme,
    stored: StoredMember | None,
    wallet: str,
    chain: ChainMember,
    changes: dict[str, str],
) -> Prepared:
    """Stage the member's new data, sealed under a fresh salt; the rotation to send."""
    if stored is None:
        raise RelayRefused(404, "unknown_member")
    if stored.status is not MemberStatus.ENROLLED:
        raise RelayRefused(409, "not_current")
    if chain.status not in (ChainStatus.ACTIVE, ChainStatus.SUSPENDED):
        raise RelayRefused(409, "not_current")
    for name, value in changes.items():
        if name not in UPDATABLE_FIELDS or not isinstance(value, str) or len(value) > 200:
            raise RelayRefused(400, "bad_request", field=name)
    if bool(programme.registry.paused()):
        raise RelayRefused(503, "paused")
    pending = stored.pending_commitment
    if pending is not None:
        if chain.commitment != pending:
            raise RelayRefused(409, "update_waiting")
        programme.vault.apply_update(stored.member_id)  # the chain took it: finish it first
    current = programme.vault.member_record(stored.member_id)
    given = as_given(replace(current.shown, **changes))
    try:
        personal = canonicalize(given, programme.phone_region)
    except InvalidField as exc:
        raise RelayRefused(400, "bad_request", field=exc.field) from exc
    if personal == current.personal and given == current.shown:
        raise RelayRefused(409, "nothing_to_change")
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
    registry = programme.registry
    data = registry.rotateCommitment.encode_input(wallet, record.commitment.value)
    return Prepared(wallet, stored.member_id, str(registry.address), "0x" + bytes(data).hex())


def confirm(
    programme: Programme,
    action: str,
    query: str,
    tier: int | None,
    tx_hash: str,
    staff: str,
    new_wallet: str | None = None,
) -> dict[str, Any]:
    """Check the staff member's transaction did `action`, then bring the vault along."""
    if not _TX_HASH.fullmatch(tx_hash):
        raise RelayRefused(400, "bad_request", field="txHash")
    stored, wallet = _located(programme, query)
    deadline = time.monotonic() + RECEIPT_WAIT
    receipt = programme.node.call("eth_getTransactionReceipt", tx_hash)
    while receipt is None and time.monotonic() < deadline:
        time.sleep(0.2)
        receipt = programme.node.call("eth_getTransactionReceipt", tx_hash)
    if receipt is None:
        raise RelayRefused(504, "not_mined")
    targets = {str(programme.registry.address).lower()}
    if action in ("erase", "move_complete"):  # a last step may be the points token's
        targets.add(str(programme.points.address).lower())
    sender = str(receipt.get("from", "")).lower()
    if int(receipt["status"], 16) != 1 or str(receipt.get("to") or "").lower() not in targets:
        raise RelayRefused(409, "not_done", field="txHash")
    if sender != staff.lower():
        raise RelayRefused(409, "not_done", field="txHash")
    if action in MOVE_ACTIONS:
        return _confirm_move(programme, action, stored, wallet, tx_hash, receipt, new_wallet)
    chain = read_member(programme.registry, wallet)
    if action == "update":
        _confirm_update(programme, stored, chain)
    done = {
        "update": action == "update",
        "tier": chain.tier == tier,
        "suspend": chain.status is ChainStatus.SUSPENDED,
        "reinstate": chain.status is ChainStatus.ACTIVE,
        "revoke": chain.status is ChainStatus.REVOKED,
        "erase": chain.status is ChainStatus.ERASED,
    }.get(action, False)
    if not done:
        raise RelayRefused(409, "not_done", field="action")
    if action == "tier" and stored is not None and tier is not None:
        programme.vault.set_tier(stored.member_id, tier)
    return {
        "wallet": wallet,
        "memberId": stored.member_id if stored else None,
        "action": action,
        "txHash": tx_hash.lower(),
        "block": int(receipt["blockNumber"], 16),
        "remains": action == "erase" and int(programme.points.balanceOf(wallet)) > 0,
        "status": chain.status.word,
        "tier": chain.tier,
    }


def _prepare_erase(
    programme: Programme, stored: StoredMember | None, wallet: str, chain: ChainMember
) -> Prepared:
    """The vault shredded first, then the next chain step not done: erase, then forfeit."""
    registry, points = programme.registry, programme.points
    if chain.status not in (*_ERASABLE, ChainStatus.ERASED):
        raise RelayRefused(409, "not_current")
    balance = int(points.balanceOf(wallet))
    if (
        chain.status is ChainStatus.ERASED
        and balance == 0
        and (stored is None or stored.status is MemberStatus.ERASED)
    ):
        raise RelayRefused(409, "nothing_to_change")
    if chain.status is not ChainStatus.ERASED and bool(registry.paused()):
        raise RelayRefused(503, "paused")
    member_id = stored.member_id if stored else None
    try:
        vault = shred(programme, stored).outcome  # 1. the vault, first
    except VaultError as exc:  # in an enrollment batch not finished yet
        raise RelayRefused(409, "enrollment_unfinished") from exc
    if chain.status in _ERASABLE:  # 2. the registry
        data = registry.erase.encode_input(wallet)
        to, step = str(registry.address), "registry"
    elif balance > 0:  # 3. the points
        data = points.forfeit.encode_input(wallet)
        to, step = str(points.address), "points"
    else:
        raise RelayRefused(409, "nothing_to_change")
    return Prepared(wallet, member_id, to, "0x" + bytes(data).hex(), step, vault)


#: Chain statuses the registry's `erase` accepts.
_ERASABLE = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED, ChainStatus.REVOKED)


def _confirm_update(programme: Programme, stored: StoredMember | None, chain: ChainMember) -> None:
    """The chain holds the staged commitment: the staged record becomes the member's (a
    confirmation sent twice finds it done already)."""
    if stored is None:
        raise RelayRefused(404, "unknown_member")
    pending = stored.pending_commitment
    if pending is not None and chain.commitment == pending:
        programme.vault.apply_update(stored.member_id)
    elif pending is not None or chain.commitment != stored.commitment:
        raise RelayRefused(409, "not_done", field="action")


def _move_target(programme: Programme, wallet: str, new_wallet: str | None) -> str:
    """The new wallet typed, EIP-55 checked, and never a member's (on chain or in the vault)."""
    try:
        target = parse_address(new_wallet or "", "newWallet")
    except InvalidField as exc:
        raise RelayRefused(400, "bad_request", field="newWallet") from exc
    if (
        target == wallet
        or read_member(programme.registry, target).status is not ChainStatus.NONE
        or programme.vault.get_by_wallet(target) is not None
    ):
        raise RelayRefused(409, "wallet_taken", field="newWallet")
    return target


def _pending(programme: Programme, wallet: str) -> tuple[str, int]:
    pending, executable_at = programme.registry.pendingMove(wallet)
    return str(pending), int(executable_at)


def _prepare_move(
    programme: Programme,
    action: str,
    stored: StoredMember | None,
    wallet: str,
    chain: ChainMember,
    new_wallet: str | None,
) -> Prepared:
    """The next transaction of a move, in `ops.move`'s order (see the module docstring)."""
    registry, points = programme.registry, programme.points
    if stored is None:  # a membership moves with its vault record
        raise RelayRefused(404, "unknown_member")
    if stored.status is not MemberStatus.ENROLLED:
        raise RelayRefused(409, "not_current")
    pending, executable_at = _pending(programme, wallet)
    if action == "move_complete" and chain.status is ChainStatus.MOVED:
        if int(points.balanceOf(wallet)) == 0:  # the chain is done: the vault follows
            _finish_move(programme, stored, wallet)
            raise RelayRefused(409, "nothing_to_change")
        data, to, step = points.carryOver.encode_input(wallet), str(points.address), "points"
    elif chain.status not in (ChainStatus.ACTIVE, ChainStatus.SUSPENDED):
        raise RelayRefused(409, "not_current")
    elif action == "move":
        if pending != ZERO_ADDRESS:
            raise RelayRefused(409, "move_pending")
        target = _move_target(programme, wallet, new_wallet)
        data, to, step = registry.proposeMove.encode_input(wallet, target), "", "registry"
    elif pending == ZERO_ADDRESS:
        raise RelayRefused(409, "no_move_pending")
    elif action == "move_cancel":
        data, to, step = registry.cancelMove.encode_input(wallet), "", "registry"
    elif int(programme.chain.blocks.head.timestamp) < executable_at:
        raise RelayRefused(409, "move_not_ready")
    else:
        data, to, step = registry.completeMove.encode_input(wallet), "", "registry"
    if action != "move_cancel" and bool(registry.paused()):
        raise RelayRefused(503, "paused")
    return Prepared(
        wallet, stored.member_id, to or str(registry.address), "0x" + bytes(data).hex(), step
    )


def _finish_move(programme: Programme, stored: StoredMember, old: str) -> bool:
    """The chain moved the membership and its points: the vault's record follows (as
    `ops.move` does it, last). Whether anything changed."""
    moved_to = str(programme.registry.movedTo(old))
    if moved_to == ZERO_ADDRESS or int(programme.points.balanceOf(old)) > 0:
        return False
    if stored.wallet == moved_to:
        return False
    programme.vault.move_wallet(stored.member_id, moved_to)
    return True


def _confirm_move(
    programme: Programme,
    action: str,
    stored: StoredMember | None,
    wallet: str,
    tx_hash: str,
    receipt: dict[str, Any],
    new_wallet: str | None,
) -> dict[str, Any]:
    """The move's step checked: the transaction's calldata is the step's, and the chain holds
    its outcome; a completed move with its points carried over moves the vault's record."""
    if stored is None:
        raise RelayRefused(404, "unknown_member")
    registry, points = programme.registry, programme.points
    sent = programme.node.call("eth_getTransactionByHash", tx_hash) or {}
    data = str(sent.get("input") or sent.get("data") or "").lower()
    pending, executable_at = _pending(programme, wallet)
    status = read_member(registry, wallet).status
    moved_to = str(registry.movedTo(wallet))
    if action == "move":
        try:
            target = parse_address(new_wallet or "", "newWallet")
        except InvalidField as exc:
            raise RelayRefused(400, "bad_request", field="newWallet") from exc
        expected = {registry.proposeMove.encode_input(wallet, target)}
        done = pending == target or moved_to == target
    elif action == "move_cancel":
        expected = {registry.cancelMove.encode_input(wallet)}
        done = pending == ZERO_ADDRESS and status is not ChainStatus.MOVED
    else:
        expected = {
            registry.completeMove.encode_input(wallet),
            points.carryOver.encode_input(wallet),
        }
        done = status is ChainStatus.MOVED
    if data not in {"0x" + bytes(call).hex() for call in expected}:
        raise RelayRefused(409, "not_done", field="txHash")
    if not done:
        raise RelayRefused(409, "not_done", field="action")
    remains = action == "move_complete" and int(points.balanceOf(wallet)) > 0
    if action == "move_complete" and not remains:
        _finish_move(programme, stored, wallet)
    return {
        "wallet": wallet,
        "memberId": stored.member_id,
        "action": action,
        "txHash": tx_hash.lower(),
        "block": int(receipt["blockNumber"], 16),
        "remains": remains,
        "status": status.word,
        "pendingMove": None if pending == ZERO_ADDRESS else pending,
        "executableAt": executable_at,
        "movedTo": None if moved_to == ZERO_ADDRESS else moved_to,
    }
