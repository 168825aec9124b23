"""The packed batch formats of `enrollBatch(bytes)`, `changeBatch(bytes32,bytes)` and
`credit(bytes)`, as the tests send them.

All are rows of fixed width, concatenated with no padding (the NatSpec of the functions is the
specification; these few lines are its reference encoder for the tests):

- enrollment row, 43 bytes: wallet (20) ‖ commitment (20) ‖ consent uint16 (2) ‖ tier uint8 (1);
- change row, 22 bytes (the batch tag is an argument of its own): wallet (20) ‖ action
  uint8 (1: 0 tier, 1 suspend, 2 reinstate, 3 revoke) ‖ value uint8 (1: the tier, else 0);
- credit row, 44 bytes: wallet (20) ‖ base amount uint64 (8) ‖ event tag bytes16 (16), the
  event tag being the first 16 bytes of keccak256("MemberLedger/reward-event/v1" ‖ event id).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_utils.crypto import keccak

ENROLLMENT_ROW_BYTES = 43
CHANGE_ROW_BYTES = 22
CREDIT_ROW_BYTES = 44
EVENT_TAG_DOMAIN = b"MemberLedger/reward-event/v1"


def _wallet(wallet: Any) -> bytes:
    address = str(getattr(wallet, "address", wallet))
    return bytes.fromhex(address.removeprefix("0x"))


def event_tag(event_id: str) -> bytes:
    """The 16-byte tag that stands for a reward event id on chain."""
    return keccak(EVENT_TAG_DOMAIN + event_id.encode())[:16]


def enrollment_rows(rows: Iterable[tuple[Any, bytes, int, int]]) -> bytes:
    """Pack (wallet, commitment, consent, tier) rows for `enrollBatch(bytes)`."""
    return b"".join(
        _wallet(wallet) + bytes(commitment) + consent.to_bytes(2, "big") + tier.to_bytes(1, "big")
        for wallet, commitment, consent, tier in rows
    )


def change_rows(rows: Iterable[tuple[Any, int, int]]) -> bytes:
    """Pack (wallet, action, value) rows for `changeBatch(bytes32,bytes)`."""
    return b"".join(
        _wallet(wallet) + action.to_bytes(1, "big") + value.to_bytes(1, "big")
        for wallet, action, value in rows
    )


def credit_rows(rows: Iterable[tuple[Any, int, bytes]]) -> bytes:
    """Pack (wallet, base amount, event tag) rows for `credit(bytes)`."""
    return b"".join(
        _wallet(wallet) + amount.to_bytes(8, "big") + bytes(tag) for wallet, amount, tag in rows
    )


def credits(label: str, wallets: Iterable[Any], amounts: Iterable[int]) -> bytes:
    """Credit rows paying `amounts` to `wallets`, event ids `label#0`, `label#1`, ..."""
    return credit_rows(
        (wallet, amount, event_tag(f"{label}#{i}"))
        for i, (wallet, amount) in enumerate(zip(wallets, amounts, strict=True))
    )


def content_hash(rows: bytes) -> bytes:
    """The id of a batch on chain: keccak256 of its packed rows."""
    return keccak(rows)
