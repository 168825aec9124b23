"""ABI encoding of the few calls bulk sending makes, packed by hand.

Every argument is static or an array of static values, so the encoding is the selector, the
offsets of the arrays, and 32-byte words: no general ABI encoder is needed. Measured by
`bench/fast_paths.py`: a 600-row `enrollBatch` in 0.25 ms against 10.8 ms for `eth_abi`
(44x), a 550-row `credit` in 0.15 ms against 4.6 ms (32x); about 2.5 s of a 100,000-row run.
A test checks each encoder against Ape's own encoding, and `ErrorDecoder` turns revert data
back into the contracts' custom errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from eth_abi.abi import decode

from memberledger.hashing import keccak256


def selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


ENROLL_BATCH = selector("enrollBatch((address,bytes20,uint16,uint8)[])")
CREDIT = selector("credit(bytes32,address[],uint256[])")
STATUSES_AND_TIERS = selector("statusesAndTiers(address[])")
MEMBER_OF = selector("memberOf(address)")
BATCH_APPLIED = selector("batchApplied(bytes32)")

#: keccak256 of the event signatures, the first topic of their logs.
MEMBER_ENROLLED_TOPIC = "0x" + keccak256(b"MemberEnrolled(address,bytes20,uint8,uint16)").hex()
BATCH_CREDITED_TOPIC = "0x" + keccak256(b"BatchCredited(bytes32,uint256,uint256,address)").hex()

_ZERO12 = bytes(12)


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def address_word(address: str) -> bytes:
    return _ZERO12 + bytes.fromhex(address[2:])


def address_topic(address: str) -> str:
    return "0x" + address_word(address).hex()


class Enrollment(NamedTuple):
    """One `IMembershipRegistry.Enrollment` tuple (a named tuple: a batch makes hundreds)."""

    wallet: str
    commitment: bytes
    consent: int
    tier: int


def enroll_batch(rows: Sequence[Enrollment]) -> bytes:
    """`enrollBatch(rows)`: a dynamic array of static 4-word tuples."""
    parts = [ENROLL_BATCH, word(32), word(len(rows))]
    for row in rows:
        parts.append(address_word(row.wallet))
        parts.append(row.commitment + _ZERO12)  # bytes20 is left-aligned
        parts.append(word(row.consent))
        parts.append(word(row.tier))
    return b"".join(parts)


def credit(batch_id: bytes, wallets: Sequence[str], amounts: Sequence[int]) -> bytes:
    """`credit(batchId, wallets, amounts)`."""
    count = len(wallets)
    parts = [CREDIT, batch_id, word(96), word(96 + 32 * (count + 1)), word(count)]
    parts.extend(address_word(wallet) for wallet in wallets)
    parts.append(word(len(amounts)))
    parts.extend(word(amount) for amount in amounts)
    return b"".join(parts)


def statuses_and_tiers(wallets: Sequence[str]) -> bytes:
    return b"".join([STATUSES_AND_TIERS, word(32), word(len(wallets)), *map(address_word, wallets)])


def decode_uint_array(data: bytes) -> list[int]:
    offset = int.from_bytes(data[0:32], "big")
    count = int.from_bytes(data[offset : offset + 32], "big")
    start = offset + 32
    return [int.from_bytes(data[start + 32 * i : start + 32 * i + 32], "big") for i in range(count)]


def member_of(wallet: str) -> bytes:
    return MEMBER_OF + address_word(wallet)


def decode_member_commitment(data: bytes) -> bytes:
    """The commitment (first field) of an encoded `Member` struct."""
    return data[:20]


def batch_applied(batch_id: bytes) -> bytes:
    return BATCH_APPLIED + batch_id


# ---------------------------------------------------------------------- bulk reads

MEMBERS_OF = selector("membersOf(address[])")
BALANCE_OF = selector("balanceOf(address)")
#: Words of an encoded `IMembershipRegistry.Member`: commitment, consent, tier, status,
#: policy version, since.
MEMBER_WORDS = 6


class MemberWords(NamedTuple):
    """An encoded `Member` struct's fields, as plain values."""

    commitment: bytes
    consent: int
    tier: int
    status: int
    policy_version: int
    since: int


def members_of(wallets: Sequence[str]) -> bytes:
    return b"".join([MEMBERS_OF, word(32), word(len(wallets)), *map(address_word, wallets)])


def decode_member(data: bytes, at: int = 0) -> MemberWords:
    """The `Member` struct whose six words start at byte `at` of `data`."""

    def number(index: int) -> int:
        return int.from_bytes(data[at + 32 * index : at + 32 * index + 32], "big")

    return MemberWords(data[at : at + 20], number(1), number(2), number(3), number(4), number(5))


def decode_members(data: bytes) -> list[MemberWords]:
    """A `Member[]` as `membersOf` returns it."""
    offset = int.from_bytes(data[0:32], "big")
    count = int.from_bytes(data[offset : offset + 32], "big")
    start = offset + 32
    return [decode_member(data, start + 32 * MEMBER_WORDS * i) for i in range(count)]


def balance_of(wallet: str) -> bytes:
    return BALANCE_OF + address_word(wallet)


class ErrorDecoder:
    """Custom errors of the contracts' ABIs, by selector."""

    def __init__(self, abi_items: Iterable[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for item in abi_items:
            if item.get("type") != "error":
                continue
            inputs = item.get("inputs", [])
            types = [str(i["type"]) for i in inputs]
            names = [str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)]
            signature = f"{item['name']}({','.join(types)})"
            self._errors[selector(signature)] = (str(item["name"]), types, names)

    def describe(self, data: bytes | None) -> str | None:
        """`Name(arg=value, ...)` for revert data of a known error, else None."""
        if not data or len(data) < 4:
            return None
        known = self._errors.get(data[:4])
        if known is None:
            return None
        name, types, names = known
        try:
            values = decode(types, data[4:])
        except Exception:  # malformed revert data: name the error at least
            return name
        args = ", ".join(f"{n}={_plain(v)}" for n, v in zip(names, values, strict=True))
        return f"{name}({args})"


def _plain(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
