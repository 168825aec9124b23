"""`ape run proofs publish`: bring the four groups' roots on chain up to date.

Exactly once, as the other bulk runs: one run at a time (a lock beside the manifest); no run
while a transaction of the publisher is still pending (it may be a publication that a killed
run sent); and nothing is sent when the roots computed from the chain equal the roots on
chain. A run that dies before its transaction is mined is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from memberledger.chain.reads import revert_reason, tx_hex
from memberledger.chain.rpc import NodeClient
from memberledger.errors import ChainRejected, JournalError
from memberledger.proofs.deployment import ProofsDeployment, proofs_manifest_path
from memberledger.proofs.events import ChainEvent, read_events
from memberledger.proofs.groups import GROUP_COUNT, GroupReplay
from memberledger.proofs.settings import MAX_GROUP_SIZE
from memberledger.proofs.zk import GroupRoots, ProofError, group_roots
from memberledger.store.lock import exclusive_run

_STATUSES_AND_TIERS = keccak(text="statusesAndTiers(address[])")[:4]
#: Wallets per `statusesAndTiers` call when checking the replay against the registry.
CHECK_CHUNK = 2_000


@dataclass(frozen=True)
class Publication:
    """What `MembershipProofs.publication()` holds."""

    through_block: int
    roots: tuple[int, ...]
    sizes: tuple[int, ...]
    root_validity: int


@dataclass(frozen=True)
class GroupsAt:
    """The groups rebuilt from the chain through `through_block`."""

    through_block: int
    leaves: list[list[int]]
    roots: GroupRoots
    replay: GroupReplay
    events: list[ChainEvent]


@dataclass(frozen=True)
class PublishResult:
    through_block: int
    roots: tuple[int, ...]
    sizes: tuple[int, ...]
    #: Groups whose root changed, and members who joined or left any group since the last
    #: publication (a member counts once per group they joined or left).
    changed_groups: tuple[int, ...]
    members_changed: int
    tx_hash: str | None = None
    gas_used: int | None = None

    @property
    def sent(self) -> bool:
        return self.tx_hash is not None


def read_publication(proofs: Any) -> Publication:
    through, roots, sizes, validity = proofs.publication()
    return Publication(
        through_block=int(through),
        roots=tuple(int(r) for r in roots),
        sizes=tuple(int(s) for s in sizes),
        root_validity=int(validity),
    )


def groups_at(
    node: NodeClient,
    deployment: ProofsDeployment,
    through_block: int,
    on_blocks: Callable[[int], None] | None = None,
    events: list[ChainEvent] | None = None,
) -> GroupsAt:
    """Read every event through `through_block` (unless given) and rebuild the groups."""
    if events is None:
        events = read_events(
            node,
            deployment.registry,
            deployment.proofs,
            deployment.registry_block,
            through_block,
            on_blocks,
        )
    replay = GroupReplay()
    replay.apply_through(events, through_block)
    leaves = replay.leaves()
    for group, members in enumerate(leaves):
        if len(members) > MAX_GROUP_SIZE:
            raise ProofError(
                f"group {group} has {len(members):,} members, more than the circuit's "
                f"{MAX_GROUP_SIZE:,}: a deeper circuit is needed"
            )
    return GroupsAt(through_block, leaves, group_roots(leaves), replay, events)


def check_against_registry(node: NodeClient, registry: str, groups: GroupsAt) -> None:
    """Compare the replayed status and tier of every member with the registry's own answer
    at the same block: a registry event this module does not know (a new status) would make
    them differ, and then nothing may be published."""
    members = groups.replay.members()
    for start in range(0, len(members), CHECK_CHUNK):
        chunk = members[start : start + CHECK_CHUNK]
        data = _STATUSES_AND_TIERS + encode(["address[]"], [chunk])
        answer = node.call(
            "eth_call", {"to": registry, "data": "0x" + data.hex()}, hex(groups.through_block)
        )
        (packed,) = decode(["uint256[]"], bytes.fromhex(str(answer)[2:]))
        for member, value in zip(chunk, packed, strict=True):
            chain_status, chain_tier = int(value) >> 8, int(value) & 0xFF
            status, tier = groups.replay.status[member]
            if status != chain_status or (status != 4 and tier != chain_tier):
                raise JournalError(
                    f"the registry says {member} is status {chain_status} tier {chain_tier} at "
                    f"block {groups.through_block}, but its events say status {status} tier "
                    f"{tier}: a registry event unknown to memberledger.proofs.events? Nothing "
                    "was published"
                )


def members_changed(before: Sequence[Sequence[int]], after: Sequence[Sequence[int]]) -> int:
    return sum(len(set(b) ^ set(a)) for b, a in zip(before, after, strict=True))


def publish(
    node: NodeClient,
    deployment: ProofsDeployment,
    proofs: Any,
    sender: Any,
    *,
    confirmations: int = 0,
    on_blocks: Callable[[int], None] | None = None,
) -> PublishResult:
    """Rebuild the groups through the head (less `confirmations` blocks) and publish their
    roots, unless they equal the roots on chain."""
    lock = proofs_manifest_path(deployment.chain_id).with_suffix(".publish")
    with exclusive_run(lock, "ape run proofs publish"):
        sender_address = str(sender.address)
        if node.nonce(sender_address, "pending") != node.nonce(sender_address, "latest"):
            raise JournalError(
                f"a transaction from {sender_address} is still pending (perhaps a publication "
                "sent by a run that was stopped): wait until it is mined, then run again"
            )
        current = read_publication(proofs)
        head = node.block_number() - confirmations
        if head <= current.through_block:
            return PublishResult(current.through_block, current.roots, current.sizes, (), 0)
        now = groups_at(node, deployment, head, on_blocks)
        check_against_registry(node, deployment.registry, now)
        before = GroupReplay()
        before.apply_through(now.events, current.through_block)
        changed = members_changed(before.leaves(), now.leaves)
        roots, sizes = now.roots.roots, now.roots.sizes
        changed_groups = tuple(g for g in range(GROUP_COUNT) if roots[g] != current.roots[g])
        if roots == current.roots and sizes == current.sizes:
            return PublishResult(current.through_block, roots, sizes, (), 0)
        try:
            receipt = proofs.publishRoots(list(roots), list(sizes), head, sender=sender)
        except Exception as exc:
            raise ChainRejected(f"the chain refused the publication: {revert_reason(exc)}") from exc
        return PublishResult(
            through_block=head,
            roots=roots,
            sizes=sizes,
            changed_groups=changed_groups,
            members_changed=changed,
            tx_hash=tx_hex(receipt.txn_hash),
            gas_used=int(receipt.gas_used),
        )
