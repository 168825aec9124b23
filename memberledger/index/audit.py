"""The index against the contracts' storage: `ape run index verify`.

The index is derived from events; the contracts keep state. For every wallet checked (a
random sample, or all), the registry's record (status, tier, consent, policy version,
commitment, enrollment time) and the points balance are read in bulk and compared with what
the index folded; so are the programme's totals (points outstanding against `totalSupply`,
current members against `memberCount`) and each role holder (`hasRole`). Every read is made
in the state of the last block the index has read, so blocks mined meanwhile never show up
as differences.

A difference means the index missed or misread an event: `ape run index rebuild`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from memberledger.chain import calldata
from memberledger.chain.reads import ChainMember, fetch_balances, fetch_members
from memberledger.chain.rpc import NodeClient
from memberledger.index.chain_index import ChainIndex
from memberledger.index.members import ACTIVE, SUSPENDED, IndexedMember

#: Wallets read per round (`membersOf` takes 4,000 at a time).
ROUND = 4_000
_TOTAL_SUPPLY = calldata.selector("totalSupply()")
_MEMBER_COUNT = calldata.selector("memberCount()")
_HAS_ROLE = calldata.selector("hasRole(bytes32,address)")


@dataclass(frozen=True)
class Difference:
    """Where the index and the contracts disagree."""

    what: str
    field: str
    index: str
    chain: str


@dataclass
class AuditResult:
    block: int
    wallets_checked: int = 0
    wallets_indexed: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def audit(
    index: ChainIndex,
    node: NodeClient,
    *,
    registry: str,
    points: str,
    bulk_view: bool,
    sample: int | None,
) -> AuditResult:
    """Compare `sample` random wallets of the index (all of them if None) with the
    contracts, in the state of the index's last block."""
    status = index.status()
    block = status.read_block
    result = AuditResult(block=block, wallets_indexed=status.wallets)
    if block < 0:
        return result
    for records in _rounds(index, sample):
        wallets = [record.wallet for record in records]
        chain = fetch_members(node, registry, wallets, bulk_view=bulk_view, block=block)
        balances = fetch_balances(node, points, wallets, block=block)
        for record, member, balance in zip(records, chain, balances, strict=True):
            result.differences += compare(record, member, balance)
        result.wallets_checked += len(records)

    totals = index.point_totals()
    supply = _number(node.eth_call(points, _TOTAL_SUPPLY, block=block))
    if totals.outstanding != supply:
        result.differences.append(
            Difference("programme", "points outstanding", f"{totals.outstanding:,}", f"{supply:,}")
        )
    current = sum(
        count.members for count in index.state_counts() if count.status in (ACTIVE, SUSPENDED)
    )
    members = _number(node.eth_call(registry, _MEMBER_COUNT, block=block))
    if current != members:
        result.differences.append(
            Difference("programme", "current members", f"{current:,}", f"{members:,}")
        )
    addresses = {"registry": registry, "points": points}
    for holder in index.role_holders():
        data = _HAS_ROLE + bytes.fromhex(holder.role[2:]) + calldata.address_word(holder.account)
        if not _number(node.eth_call(addresses[holder.contract], data, block=block)):
            result.differences.append(
                Difference(
                    f"role {holder.role[:10]}… on {holder.contract}",
                    holder.account,
                    "holds it",
                    "does not",
                )
            )
    return result


def compare(record: IndexedMember, member: ChainMember, balance: int) -> list[Difference]:
    """The fields of one wallet on which the index and the contracts disagree."""
    commitment = member.commitment.hex if member.commitment else None
    pairs: Sequence[tuple[str, object, object]] = (
        ("status", record.status, int(member.status)),
        ("tier", record.tier, member.tier),
        ("consent", record.consent, member.consent),
        ("policy version", record.policy_version, member.policy_version),
        ("commitment", record.commitment, commitment),
        ("member since", record.since, member.since),
        ("points balance", record.balance, balance),
    )
    return [
        Difference(record.wallet, name, str(ours), str(theirs))
        for name, ours, theirs in pairs
        if ours != theirs
    ]


def _rounds(index: ChainIndex, sample: int | None) -> Iterator[list[IndexedMember]]:
    if sample is None:
        yield from index.members_in_chunks(ROUND)
        return
    picked = index.members_near(_random_wallets(sample))
    for start in range(0, len(picked), ROUND):
        yield picked[start : start + ROUND]


def _random_wallets(count: int) -> list[str]:
    return ["0x" + secrets.token_hex(20) for _ in range(count)]


def _number(data: bytes) -> int:
    return int.from_bytes(data[:32], "big")
