"""The logs that decide the groups, read straight from the node in block ranges.

Two contracts speak: the registry (who is Active, at which tier) and `MembershipProofs` (who
registered which identity commitment, which roots were published). Both are read with one
`eth_getLogs` per range of `BLOCKS_PER_QUERY` blocks, so a long history never asks a node
for more than it will answer, and decoded here into plain records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from memberledger.chain.rpc import NodeClient

#: Blocks per `eth_getLogs` request (public nodes commonly allow 10,000).
BLOCKS_PER_QUERY = 10_000

#: Registry events that change who is in a group: name -> (signature, data types after the
#: indexed member). A new status event must be added here and folded in
#: `groups.GroupReplay.apply`; `groups.check_against_registry` catches one that was forgotten.
REGISTRY_EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Issue 14's registry drops the consent from the event (consent is a ConsentChanged):
    # both forms are read, the tier is the second argument in each.
    "MemberEnrolled/v2": ("MemberEnrolled(address,bytes20,uint8)", ("bytes20", "uint8")),
    "MemberEnrolled": (
        "MemberEnrolled(address,bytes20,uint8,uint16)",
        ("bytes20", "uint8", "uint16"),
    ),
    "TierChanged": ("TierChanged(address,uint8,uint8)", ("uint8", "uint8")),
    "MemberSuspended": ("MemberSuspended(address,address)", ()),
    "MemberReinstated": ("MemberReinstated(address,address)", ()),
    "MemberRevoked": ("MemberRevoked(address,address)", ()),
    "MemberLeft": ("MemberLeft(address)", ()),
    "MemberErased": ("MemberErased(address,address)", ()),
    # Both wallets are indexed: the new one is read from the second topic (`decode_log`).
    "MemberMoved": ("MemberMoved(address,address)", ()),
}
PROOFS_EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "IdentityRegistered": ("IdentityRegistered(address,uint256)", ("uint256",)),
    "RootsPublished": (
        "RootsPublished(uint64,uint256[4],uint32[4],address)",
        ("uint256[4]", "uint32[4]"),
    ),
}


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


_BY_TOPIC: dict[str, tuple[str, tuple[str, ...]]] = {
    _topic(signature): (name.split("/")[0], types)
    for name, (signature, types) in {**REGISTRY_EVENTS, **PROOFS_EVENTS}.items()
}


@dataclass(frozen=True)
class ChainEvent:
    """One decoded log: `subject` is the first indexed argument (a member's wallet, or for
    `RootsPublished` the block number through which the roots were built)."""

    block: int
    log_index: int
    name: str
    subject: str | int
    args: tuple[Any, ...]
    tx_hash: str

    @property
    def position(self) -> tuple[int, int]:
        return (self.block, self.log_index)


def read_events(
    node: NodeClient,
    registry: str,
    proofs: str,
    from_block: int,
    to_block: int,
    on_blocks: Callable[[int], None] | None = None,
) -> list[ChainEvent]:
    """Every group-relevant event of both contracts in `[from_block, to_block]`, in chain
    order; `on_blocks` is told how many blocks each range covered (for a progress bar)."""
    found: list[ChainEvent] = []
    topics = [list(_BY_TOPIC)]
    start = from_block
    while start <= to_block:
        end = min(start + BLOCKS_PER_QUERY - 1, to_block)
        logs = node.call(
            "eth_getLogs",
            {
                "address": [registry, proofs],
                "topics": topics,
                "fromBlock": hex(start),
                "toBlock": hex(end),
            },
        )
        found.extend(decode_log(log) for log in logs if not log.get("removed"))
        if on_blocks:
            on_blocks(end - start + 1)
        start = end + 1
    found.sort(key=lambda event: event.position)
    return found


def decode_log(log: dict[str, Any]) -> ChainEvent:
    topics: Sequence[str] = log["topics"]
    name, types = _BY_TOPIC[str(topics[0]).lower()]
    subject_word = bytes.fromhex(str(topics[1])[2:])
    subject: str | int = (
        int.from_bytes(subject_word, "big")
        if name == "RootsPublished"
        else str(to_checksum_address(subject_word[12:]))
    )
    data = bytes.fromhex(str(log["data"])[2:])
    args = tuple(decode(list(types), data)) if types else ()
    if name == "MemberMoved":  # (new wallet,), from its indexed topic
        args = (str(to_checksum_address(bytes.fromhex(str(topics[2])[2:])[12:])),)
    return ChainEvent(
        block=int(log["blockNumber"], 16),
        log_index=int(log["logIndex"], 16),
        name=name,
        subject=subject,
        args=args,
        tx_hash=str(log["transactionHash"]).lower(),
    )
