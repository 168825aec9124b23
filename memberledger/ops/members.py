"""One member as the vault and the chain see them: lookup, side-by-side view, and the
subject-access package a member may ask for (GDPR article 15).

The chain's side comes from the chain index, brought up to date first: the record and
balance the member's events left, and the events themselves."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memberledger.chain.reads import ChainMember, ChainStatus, read_member
from memberledger.consent import describe
from memberledger.errors import InvalidField, UnknownMember, VaultKeyError
from memberledger.identifiers import parse_wallet
from memberledger.index.chain_index import ChainIndex, open_index
from memberledger.index.members import IndexedMember
from memberledger.ops.history import HistoryEvent, member_history
from memberledger.pii.canonical import PersonalData
from memberledger.pii.commitment import Commitment
from memberledger.programme import Programme
from memberledger.store.vault import MemberStatus, StoredMember
from memberledger.tiers import TIERS


@dataclass(frozen=True)
class MemberView:
    wallet: str
    stored: StoredMember | None
    personal: PersonalData | None
    vault_problem: str | None
    chain: ChainMember
    balance: int
    history: list[HistoryEvent]

    @property
    def commitment_matches(self) -> bool | None:
        """Whether the chain holds the vault's commitment (None: nothing to compare)."""
        if self.stored is None or self.chain.status in (ChainStatus.NONE, ChainStatus.ERASED):
            return None
        return self.chain.commitment == self.stored.commitment


def locate(
    programme: Programme, wallet_or_id: str, index: ChainIndex | None = None
) -> tuple[StoredMember | None, str]:
    """The vault's record (if any) and the wallet of a member named by wallet or member id.
    A wallet the vault does not know must be a member on chain: as the index has it, or
    (without an index: for an action about to change the chain) as the registry says now."""
    stored = programme.vault.find(wallet_or_id)
    if stored is not None:
        return stored, stored.wallet
    text = wallet_or_id.strip()
    if text.lower().startswith("0x"):
        try:
            wallet = parse_wallet(text)
        except InvalidField as exc:
            raise UnknownMember(
                f"{text!r} is neither a member id nor a wallet: {exc.reason}"
            ) from exc
        found = chain_member(index, wallet) if index else read_member(programme.registry, wallet)
        if found.status is not ChainStatus.NONE:
            return None, wallet
        raise UnknownMember(f"wallet {wallet} is not a member, in the vault or on chain")
    raise UnknownMember(f"no member {text!r} in the vault ({programme.vault.path})")


def chain_member(index: ChainIndex, wallet: str) -> ChainMember:
    """The registry's record of `wallet` as the index folded it (all zero if none)."""
    record = index.member(wallet) or IndexedMember(wallet.lower())
    return ChainMember(
        wallet=wallet,
        commitment=Commitment.from_hex(record.commitment) if record.commitment else None,
        consent=record.consent,
        tier=record.tier,
        status=ChainStatus(record.status),
        policy_version=record.policy_version,
        since=record.since,
    )


def member_view(programme: Programme, wallet_or_id: str) -> MemberView:
    """The member, after bringing the chain index up to date."""
    with open_index(programme) as index:
        index.catch_up()
        return _member_view(programme, wallet_or_id, index)


def _member_view(programme: Programme, wallet_or_id: str, index: ChainIndex) -> MemberView:
    stored, wallet = locate(programme, wallet_or_id, index)
    personal, problem = None, None
    if stored is not None and stored.status is not MemberStatus.ERASED:
        try:
            personal, _ = programme.vault.personal_data(stored.member_id)
        except VaultKeyError as exc:
            problem = str(exc)
    return MemberView(
        wallet=wallet,
        stored=stored,
        personal=personal,
        vault_problem=problem,
        chain=chain_member(index, wallet),
        balance=record.balance if (record := index.member(wallet)) else 0,
        history=member_history(index, wallet),
    )


def subject_access_package(programme: Programme, wallet_or_id: str) -> dict[str, Any]:
    """Everything the programme holds about a member, as JSON-ready data: the vault's record
    (with the salt, so the member can check their commitment themselves), the on-chain
    record and balance, and the history of events."""
    view = member_view(programme, wallet_or_id)
    stored = view.stored
    vault: dict[str, Any] | None = None
    if stored is not None:
        vault = {
            "member_id": stored.member_id,
            "wallet": stored.wallet,
            "status": stored.status.value,
            "tier": _tier(stored.tier),
            "consent_at_enrollment": describe(stored.consent),
            "commitment": stored.commitment.hex,
            "enroll_tx": stored.enroll_tx,
            "enroll_block": stored.enroll_block,
            "created_at": stored.created_at,
            "updated_at": stored.updated_at,
            "personal_data": None,
            "salt": None,
        }
        if view.personal is not None:
            personal, salt = programme.vault.personal_data(stored.member_id)
            vault["personal_data"] = {
                "full_name": personal.full_name,
                "email": personal.email,
                "phone": personal.phone,
                "birth_date": personal.birth_date,
            }
            vault["salt"] = "0x" + salt.hex()
    chain = view.chain
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "chain_id": programme.deployment.chain_id,
        "contracts": {
            "registry": programme.deployment.registry,
            "points": programme.deployment.points,
        },
        "wallet": view.wallet,
        "vault": vault,
        "chain": {
            "status": chain.status.word,
            "commitment": chain.commitment.hex if chain.commitment else None,
            "consent": describe(chain.consent),
            "policy_version": chain.policy_version,
            "tier": _tier(chain.tier),
            "member_since": chain.since or None,
            "points_balance": view.balance,
            "commitment_matches_vault": view.commitment_matches,
        },
        "history": [
            {
                "event": event.name,
                "summary": event.summary,
                "block": event.block,
                "time": event.when,
                "tx_hash": event.tx_hash,
                "arguments": event.arguments,
            }
            for event in view.history
        ],
    }


def _tier(tier: int) -> str:
    return TIERS.get(tier, str(tier))


def write_package(package: dict[str, Any], path: Path) -> None:
    """Write a subject-access package as JSON, readable by its owner only (it holds
    personal data)."""
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
