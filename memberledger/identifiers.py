"""Member ids, wallet addresses and reward event ids: the keys every other module looks
members and credits up by.

Both input files, the vault and the chain must agree on one spelling of a wallet, so every
address is stored and compared in its EIP-55 checksummed form. A reward event id never
reaches the chain: its tag does (`event_tag`), so the chain alone can say which events were
paid without learning the operator's ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from memberledger.errors import InvalidField
from memberledger.hashing import checksum_address, keccak256

#: Member ids are the operator's own keys: short, and safe in file names, URLs and the
#: vault's `member_id|wallet` associated data (no "|").
MEMBER_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
ZERO_ADDRESS = "0x" + "0" * 40
#: Domain of the event tag hash; bump its version if the tag ever changes.
EVENT_TAG_DOMAIN = b"MemberLedger/reward-event/v1"
EVENT_TAG_LENGTH = 16

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def parse_member_id(text: str, field: str = "member_id") -> str:
    member_id = text.strip()
    if not member_id:
        raise InvalidField(field, "is empty")
    if not MEMBER_ID_PATTERN.fullmatch(member_id):
        raise InvalidField(
            field, "use 1 to 64 letters, digits, '.', '_' or '-' (no spaces or other signs)"
        )
    return member_id


def parse_wallet(text: str, field: str = "wallet") -> str:
    """The checksummed form of a wallet address written as "0x" and 40 hex digits.

    All-lower and all-upper hex carry no checksum and are accepted; mixed case claims an
    EIP-55 checksum, and a wrong one is rejected because it usually means a typo.
    """
    address = text.strip()
    if not address:
        raise InvalidField(field, "is empty")
    if not _HEX_ADDRESS.fullmatch(address):
        raise InvalidField(field, "not a wallet address (0x and 40 hex digits)")
    digits = address[2:]
    checksummed = checksum_address(digits)
    mixed_case = digits != digits.lower() and digits != digits.upper()
    if mixed_case and address != checksummed:
        raise InvalidField(field, "bad EIP-55 checksum (mixed case that is not the checksum)")
    if address.lower() == ZERO_ADDRESS:
        raise InvalidField(field, "the zero address cannot be a member")
    return checksummed


def is_checksummed_wallet(text: str) -> bool:
    """Whether `text` is already in the one spelling the vault stores."""
    return bool(_HEX_ADDRESS.fullmatch(text)) and text == checksum_address(text[2:])


def event_tag(event_id: str) -> bytes:
    """The 16 bytes a credit carries on chain for reward event `event_id`: the first 16 bytes
    of keccak256(domain ‖ event id as UTF-8). Collisions need about 2^64 events."""
    return keccak256(EVENT_TAG_DOMAIN + event_id.encode("utf-8"))[:EVENT_TAG_LENGTH]


def packed_credit_rows(rows: Iterable[tuple[str, int, bytes]]) -> bytes:
    """Credit rows `(wallet, base points, event tag)` as `LoyaltyPoints.credit` reads them:
    wallet (20 bytes) ‖ points (uint64, big-endian) ‖ tag (16 bytes), no padding."""
    return b"".join(
        bytes.fromhex(wallet[2:]) + points.to_bytes(8, "big") + tag for wallet, points, tag in rows
    )


def credit_batch_id(rows: Iterable[tuple[str, int, bytes]]) -> str:
    """A credit batch's identity on chain and in the journal: keccak256 of its packed rows,
    as "0x" and 64 hex digits (the contract keeps it per issuer)."""
    return "0x" + keccak256(packed_credit_rows(rows)).hex()
