"""Reading the two contracts: member records, statuses, event logs and revert reasons.

Every module that asks the chain a question goes through here, so the chain's types (Ape's
structs, `HexBytes`, custom errors) become plain Python values in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from memberledger.chain import calldata
from memberledger.chain.rpc import NodeClient
from memberledger.errors import RpcError
from memberledger.pii.commitment import COMMITMENT_LENGTH, Commitment

#: Wallets per `statusesAndTiers` call made through the node directly: about 10.5M gas, under
#: the 30M-50M that nodes allow an `eth_call` by default, and few calls for a large file (each
#: costs a node like Anvil several milliseconds whatever its size).
BULK_QUERY_CHUNK = 4_000
ZERO_WALLET = "0x" + "00" * 20


class ChainStatus(enum.IntEnum):
    """`IMembershipRegistry.Status`, in the same order."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3
    ERASED = 4
    #: The membership moved to another wallet (a member who lost theirs); a tombstone.
    MOVED = 5

    @property
    def word(self) -> str:
        if self is ChainStatus.NONE:
            return "not enrolled"
        if self is ChainStatus.MOVED:
            return "moved to another wallet"
        return self.name.lower()


@dataclass(frozen=True)
class ChainMember:
    """A member's record as the registry stores it (all zero if never enrolled)."""

    wallet: str
    commitment: Commitment | None
    consent: int
    tier: int
    status: ChainStatus
    policy_version: int
    since: int


def read_member(registry: Any, wallet: str) -> ChainMember:
    record = registry.memberOf(wallet)
    raw = bytes(record.commitment)
    commitment = None if raw == bytes(COMMITMENT_LENGTH) else Commitment(raw)
    return ChainMember(
        wallet=wallet,
        commitment=commitment,
        consent=int(record.consent),
        tier=int(record.tier),
        status=ChainStatus(int(record.status)),
        policy_version=int(record.policyVersion),
        since=int(record.since),
    )


def event_logs(chain: Any, event: Any, from_block: int, **topics: Any) -> Iterator[Any]:
    """Logs of `event` (e.g. `registry.MemberEnrolled`) from `from_block` to the head,
    filtered by indexed arguments (`member=wallet`)."""
    return event_logs_between(event, from_block, int(chain.blocks.height), **topics)


def event_logs_between(event: Any, first: int, last: int, **topics: Any) -> Iterator[Any]:
    """Logs of `event` in blocks `first` to `last` (both included)."""
    if first > last:
        return iter(())
    found: Iterator[Any] = event.range(first, last + 1, search_topics=topics or None)
    return found


def revert_reason(exc: BaseException) -> str:
    """A contract's custom error as `Name(arg=value, ...)`, or the node's message."""
    name = getattr(getattr(exc, "abi", None), "name", None)
    inputs = getattr(exc, "inputs", None)
    if name and isinstance(inputs, dict):
        args = ", ".join(f"{key}={_plain(value)}" for key, value in inputs.items())
        return f"{name}({args})"
    message = str(exc).strip().splitlines()
    return message[0] if message else type(exc).__name__


def tx_hex(value: str | bytes) -> str:
    """A transaction hash as "0x" and 64 lower-case hex digits, whatever Ape handed over."""
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _plain(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def distinct(values: Iterable[str]) -> list[str]:
    """`values` without repeats, first occurrence first."""
    return list(dict.fromkeys(values))


# ---------------------------------------------------------------------- bulk reads


def fetch_statuses(
    node: NodeClient, registry: str, wallets: Sequence[str]
) -> list[tuple[ChainStatus, int]]:
    """Status and tier of each wallet, through the node directly, a chunk per call."""
    found: list[tuple[ChainStatus, int]] = []
    for start in range(0, len(wallets), BULK_QUERY_CHUNK):
        chunk = wallets[start : start + BULK_QUERY_CHUNK]
        packed = calldata.decode_uint_array(
            node.eth_call(registry, calldata.statuses_and_tiers(chunk))
        )
        found.extend((ChainStatus(value >> 8), value & 0xFF) for value in packed)
    return found


def fetch_commitments(node: NodeClient, registry: str, wallets: Sequence[str]) -> list[bytes]:
    """The commitment each wallet holds on chain (20 zero bytes if none), in one request."""
    answers = node.batch(
        [
            ("eth_call", [{"to": registry, "data": "0x" + calldata.member_of(w).hex()}, "latest"])
            for w in wallets
        ]
    )
    commitments = []
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
        commitments.append(calldata.decode_member_commitment(bytes.fromhex(str(answer)[2:])))
    return commitments


def fetch_batch_applied(node: NodeClient, points: str, issuer: str, batch_id: str) -> bool:
    """Whether `issuer` credited the batch `batch_id` (its content hash) on `points`."""
    return any(node.eth_call(points, calldata.batch_applied(issuer, bytes.fromhex(batch_id[2:]))))


def has_bulk_view(node: NodeClient, registry: str) -> bool:
    """Whether the deployed registry answers `membersOf` (registries deployed before it
    was added do not): asked of the chain, not of an ABI, which may be newer than the
    contract."""
    try:
        answer = node.eth_call(registry, calldata.members_of([ZERO_WALLET]))
    except RpcError:
        return False
    try:
        return len(calldata.decode_members(answer)) == 1
    except (ValueError, IndexError):
        return False


#: `memberOf` calls per JSON-RPC batch when the registry has no `membersOf`.
MEMBER_CALLS_PER_REQUEST = 1_000


def fetch_members(
    node: NodeClient,
    registry: str,
    wallets: Sequence[str],
    *,
    bulk_view: bool,
    block: int | str = "latest",
) -> list[ChainMember]:
    """The registry's record of each wallet, in the state after `block`: `BULK_QUERY_CHUNK`
    wallets per `membersOf` call when the registry has that view (`bulk_view`), else
    `memberOf` calls batched a thousand per request (several times slower on Anvil, still
    tens of thousands a second)."""
    found: list[ChainMember] = []
    tag = hex(block) if isinstance(block, int) else block
    if bulk_view:
        for start in range(0, len(wallets), BULK_QUERY_CHUNK):
            chunk = wallets[start : start + BULK_QUERY_CHUNK]
            answer = node.eth_call(registry, calldata.members_of(chunk), block=block)
            found += map(_chain_member, chunk, calldata.decode_members(answer))
        return found
    for start in range(0, len(wallets), MEMBER_CALLS_PER_REQUEST):
        chunk = wallets[start : start + MEMBER_CALLS_PER_REQUEST]
        answers = node.batch(
            [
                ("eth_call", [{"to": registry, "data": "0x" + calldata.member_of(w).hex()}, tag])
                for w in chunk
            ]
        )
        for wallet, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, Exception):
                raise answer
            found.append(_chain_member(wallet, calldata.decode_member(bytes.fromhex(answer[2:]))))
    return found


def fetch_balances(
    node: NodeClient, points: str, wallets: Sequence[str], *, block: int | str = "latest"
) -> list[int]:
    """The points balance of each wallet, `balanceOf` calls batched a thousand per request."""
    tag = hex(block) if isinstance(block, int) else block
    found: list[int] = []
    for start in range(0, len(wallets), MEMBER_CALLS_PER_REQUEST):
        chunk = wallets[start : start + MEMBER_CALLS_PER_REQUEST]
        answers = node.batch(
            [
                ("eth_call", [{"to": points, "data": "0x" + calldata.balance_of(w).hex()}, tag])
                for w in chunk
            ]
        )
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
            found.append(int(answer, 16))
    return found


def _chain_member(wallet: str, words: calldata.MemberWords) -> ChainMember:
    commitment = (
        None if words.commitment == bytes(COMMITMENT_LENGTH) else Commitment(words.commitment)
    )
    return ChainMember(
        wallet=wallet,
        commitment=commitment,
        consent=words.consent,
        tier=words.tier,
        status=ChainStatus(words.status),
        policy_version=words.policy_version,
        since=words.since,
    )
