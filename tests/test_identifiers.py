"""Member ids and wallet addresses."""

from __future__ import annotations

import pytest

from memberledger.errors import InvalidField
from memberledger.identifiers import is_checksummed_wallet, parse_member_id, parse_wallet

# EIP-55's own examples.
CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@pytest.mark.parametrize("text", ["M-001", "a", "x" * 64, "team.lead_7", " M1 "])
def test_parse_member_id_accepts(text: str) -> None:
    assert parse_member_id(text) == text.strip()


@pytest.mark.parametrize("text", ["", "  ", "x" * 65, "M 001", "M|1", "=1+1", "üser", "a/b"])
def test_parse_member_id_rejects(text: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_member_id(text)

    assert caught.value.field == "member_id"


@pytest.mark.parametrize(
    "text", [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper(), f"  {CHECKSUMMED} "]
)
def test_parse_wallet_returns_checksummed(text: str) -> None:
    assert parse_wallet(text) == CHECKSUMMED


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        (CHECKSUMMED[:-1], "not a wallet address"),
        (CHECKSUMMED + "0", "not a wallet address"),
        ("0X" + CHECKSUMMED[2:], "not a wallet address"),
        (CHECKSUMMED[2:], "not a wallet address"),
        ("0x" + "g" * 40, "not a wallet address"),
        (CHECKSUMMED.replace("a", "A", 1), "bad EIP-55 checksum"),
        ("0x" + "0" * 40, "the zero address"),
    ],
)
def test_parse_wallet_rejects(text: str, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_wallet(text)

    assert caught.value.field == "wallet"
    assert caught.value.reason.startswith(reason)


def test_is_checksummed_wallet_only_for_stored_spelling() -> None:
    assert is_checksummed_wallet(CHECKSUMMED)
    assert not is_checksummed_wallet(CHECKSUMMED.lower())
    assert not is_checksummed_wallet(" " + CHECKSUMMED)
