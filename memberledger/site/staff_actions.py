"""A registrar's actions on one member from the dashboard, signed by the registrar's own wallet:
a new tier, a suspension and its end, a revocation. (Updating personal data, moving a wallet
and erasure, whose vault steps follow the chain's in a strict order, stay with `ape run
members` and `ape run erase` for now.)

The server never signs. `prepare` checks what the chain holds now (the action must change
something the chain would allow) and builds the transaction, `to` and `data`, with the
registry's own ABI; the browser sends it with `eth_sendTransaction` from the staff member's
wallet; `confirm` then reads the receipt of the hash the page posts back: mined, successful,
sent by that staff member to the registry, and the chain now holding what was asked. Only
then is the vault touched (the member's tier). No personal data goes into the transaction:
the registry takes wallets, tiers and nothing else.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from memberledger.chain.reads import ChainMember, ChainStatus, read_member
from memberledger.errors import UnknownMember
from memberledger.ops.members import locate
from memberledger.programme import Programme
from memberledger.site.refusals import RelayRefused
from memberledger.tiers import TIERS

ACTIONS = ("tier", "suspend", "reinstate", "revoke")
#: Seconds `confirm` waits for the transaction's receipt.
RECEIPT_WAIT = 20.0
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Prepared:
    wallet: str
    member_id: str | None
    to: str
    data: str

    def as_json(self) -> dict[str, Any]:
        return {"wallet": self.wallet, "memberId": self.member_id, "to": self.to, "data": self.data}


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


def prepare(programme: Programme, action: str, query: str, tier: int | None) -> Prepared:
    """The transaction that carries out `action` on the member named by `query`."""
    try:
        stored, wallet = locate(programme, query.strip()[:100])
    except UnknownMember as exc:
        raise RelayRefused(404, "unknown_member") from exc
    registry = programme.registry
    _wanted(action, read_member(registry, wallet), tier)
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


def confirm(
    programme: Programme,
    action: str,
    query: str,
    tier: int | None,
    tx_hash: str,
    staff: str,
) -> dict[str, Any]:
    """Check the staff member's transaction did `action`, then bring the vault along."""
    if not _TX_HASH.fullmatch(tx_hash):
        raise RelayRefused(400, "bad_request", field="txHash")
    try:
        stored, wallet = locate(programme, query.strip()[:100])
    except UnknownMember as exc:
        raise RelayRefused(404, "unknown_member") from exc
    deadline = time.monotonic() + RECEIPT_WAIT
    receipt = programme.node.call("eth_getTransactionReceipt", tx_hash)
    while receipt is None and time.monotonic() < deadline:
        time.sleep(0.2)
        receipt = programme.node.call("eth_getTransactionReceipt", tx_hash)
    if receipt is None:
        raise RelayRefused(504, "not_mined")
    registry = str(programme.registry.address).lower()
    sender = str(receipt.get("from", "")).lower()
    if int(receipt["status"], 16) != 1 or str(receipt.get("to") or "").lower() != registry:
        raise RelayRefused(409, "not_done", field="txHash")
    if sender != staff.lower():
        raise RelayRefused(409, "not_done", field="txHash")
    chain = read_member(programme.registry, wallet)
    done = {
        "tier": chain.tier == tier,
        "suspend": chain.status is ChainStatus.SUSPENDED,
        "reinstate": chain.status is ChainStatus.ACTIVE,
        "revoke": chain.status is ChainStatus.REVOKED,
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
        "status": chain.status.word,
        "tier": chain.tier,
    }
