"""One member as the vault and the chain see them: lookup and the side-by-side view (the
subject-access package a member may ask for is `memberledger.ops.subject_access`).

The chain's side comes from the chain index, brought up to date first: the record and
balance the member's events left, and the events themselves."""

from __future__ import annotations

from dataclasses import dataclass, field

from memberledger.chain.reads import ChainMember, ChainStatus, read_member
from memberledger.errors import InvalidField, UnknownMember, VaultKeyError
from memberledger.identifiers import parse_wallet
from memberledger.index.chain_index import ChainIndex, open_index
from memberledger.index.members import IndexedMember
from memberledger.ops.history import HistoryEvent, member_history
from memberledger.pii.canonical import PersonalData
from memberledger.pii.commitment import Commitment
from memberledger.programme import Programme
from memberledger.store.member_notes import MemberNote
from memberledger.store.vault import MemberStatus, StoredMember


@dataclass(frozen=True)
class MemberView:
    wallet: str
    stored: StoredMember | None
    #: The personal data as the member gave it (canonical only for 0.1.0 vaults' members).
    personal: PersonalData | None
    vault_problem: str | None
    chain: ChainMember
    balance: int
    history: list[HistoryEvent]
    #: The operator's notes on the member (a suspension's reason), oldest first.
    notes: list[MemberNote] = field(default_factory=list)

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
        raise UnknownMember(
            f"wallet {wallet} is not a member, in the vault or on chain: check the address, "
            "or that --network is the programme's node"
        )
    raise UnknownMember(
        f"no member {text!r} in the vault ({programme.vault.path}): check the member id (as "
        "in the enrollment file), give the member's wallet address instead, or check that "
        "MEMBERLEDGER_VAULT names the programme's vault"
    )


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


def member_view(
    programme: Programme, wallet_or_id: str, index: ChainIndex | None = None
) -> MemberView:
    """The member, after bringing the chain index up to date (or from `index`, an index the
    caller keeps up to date itself: the staff dashboard's)."""
    if index is not None:
        return _member_view(programme, wallet_or_id, index)
    with open_index(programme) as index:
        index.catch_up()
        return _member_view(programme, wallet_or_id, index)


def _member_view(programme: Programme, wallet_or_id: str, index: ChainIndex) -> MemberView:
    stored, wallet = locate(programme, wallet_or_id, index)
    personal: PersonalData | None = None
    problem: str | None = None
    notes: list[MemberNote] = []
    if stored is not None and stored.status is not MemberStatus.ERASED:
        try:
            personal = programme.vault.member_record(stored.member_id).shown
            notes = programme.notes.of(stored.member_id)
        except VaultKeyError as exc:
            problem = str(exc)
    return MemberView(
        wallet=wallet,
        stored=stored,
        personal=personal,
        vault_problem=problem,
        chain=chain_member(index, wallet),
        balance=record.balance if (record := index.member(wallet)) else 0,
        history=member_history(index, wallet, programme.journal, programme.reward_name),
        notes=notes,
    )
