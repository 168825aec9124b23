"""ABI encoding of the few calls bulk sending makes, packed by hand.

Every argument is static, an array of static values, or packed bytes, so the encoding is the
selector, offsets, and 32-byte words: no general ABI encoder is needed. Measured by
`bench/fast_paths.py`: a 600-row `enrollBatch` in 0.25 ms against 10.8 ms for `eth_abi`
(44x), a 550-row `credit` in 0.15 ms against 4.6 ms (32x); about 2.5 s of a 100,000-row run.
A test checks each encoder against Ape's own encoding, and `ErrorDecoder` turns revert data
back into the contracts' custom errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from eth_abi.abi import decode

from memberledger.hashing import checksum_address, keccak256


def selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


ENROLL_BATCH = selector("enrollBatch(bytes)")
CREDIT = selector("credit(bytes)")
STATUSES_AND_TIERS = selector("statusesAndTiers(address[])")
MEMBER_OF = selector("memberOf(address)")
BATCH_APPLIED = selector("batchApplied(address,bytes32)")

#: keccak256 of the event signatures, the first topic of their logs.
MEMBER_ENROLLED_TOPIC = "0x" + keccak256(b"MemberEnrolled(address,bytes20,uint8)").hex()
BATCH_CREDITED_TOPIC = (
    "0x" + keccak256(b"BatchCredited(bytes32,address,uint256,uint256,uint256)").hex()
)
CREDIT_SKIPPED_TOPIC = "0x" + keccak256(b"CreditSkipped(address,bytes16,uint256,uint8)").hex()
CREDIT_ROUNDED_TO_ZERO_TOPIC = (
    "0x" + keccak256(b"CreditRoundedToZero(address,bytes16,uint256,uint32)").hex()
)
#: Bytes of one packed credit row: wallet (20) ‖ base amount, uint64 (8) ‖ event tag (16).
CREDIT_ROW_BYTES = 44

_ZERO12 = bytes(12)


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def address_word(address: str) -> bytes:
    return _ZERO12 + bytes.fromhex(address[2:])


def address_topic(address: str) -> str:
    return "0x" + address_word(address).hex()


def topic_address(topic: str) -> str:
    """The address an indexed address topic holds, checksummed."""
    return checksum_address(topic[-40:])


class Enrollment(NamedTuple):
    """One row of `enrollBatch` (a named tuple: a batch makes hundreds)."""

    wallet: str
    commitment: bytes
    consent: int
    tier: int


def enroll_batch(rows: Sequence[Enrollment]) -> bytes:
    """`enrollBatch(rows)`: one `bytes` argument, 43 bytes a row, no padding: wallet (20) ‖
    commitment (20) ‖ consent (uint16) ‖ tier (uint8)."""
    packed = b"".join(
        bytes.fromhex(row.wallet[2:])
        + row.commitment
        + row.consent.to_bytes(2, "big")
        + row.tier.to_bytes(1, "big")
        for row in rows
    )
    return _bytes_call(ENROLL_BATCH, packed)


class CreditRow(NamedTuple):
    """One row of a credit batch as the chain reads it."""

    wallet: str
    amount: int
    tag: bytes


def credit(packed_rows: bytes) -> bytes:
    """`credit(rows)`: one dynamic `bytes` argument (`identifiers.packed_credit_rows`)."""
    return _bytes_call(CREDIT, packed_rows)


def _bytes_call(function: bytes, data: bytes) -> bytes:
    """A call whose one argument is `bytes`: its offset, its length, the data padded to 32."""
    return b"".join([function, word(32), word(len(data)), data, bytes(-len(data) % 32)])


def decode_credit(data: bytes) -> list[CreditRow] | None:
    """The rows of `credit(rows)` calldata, or None if `data` is not such a call (a
    transaction through a contract wallet, say)."""
    if data[:4] != CREDIT or len(data) < 68:
        return None
    length = int.from_bytes(data[36:68], "big")
    packed = data[68 : 68 + length]
    if int.from_bytes(data[4:36], "big") != 32 or len(packed) != length:
        return None
    if length == 0 or length % CREDIT_ROW_BYTES:
        return None
    return [
        CreditRow(
            checksum_address(packed[i : i + 20].hex()),
            int.from_bytes(packed[i + 20 : i + 28], "big"),
            packed[i + 28 : i + 44],
        )
        for i in range(0, length, CREDIT_ROW_BYTES)
    ]


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


def batch_applied(issuer: str, packed_content_hash: bytes) -> bytes:
    return BATCH_APPLIED + address_word(issuer) + packed_content_hash


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
