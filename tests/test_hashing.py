"""`memberledger.hashing` against the reference implementations in eth-utils / eth-hash: the
fast paths must spell every address and hash every input exactly as they do."""

from __future__ import annotations

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from memberledger.hashing import checksum_address, keccak256

addresses = st.binary(min_size=20, max_size=20)


@given(addresses)
def test_checksum_matches_eth_utils_for_lower_case_digits(raw: bytes) -> None:
    assert checksum_address(raw.hex()) == to_checksum_address(raw)


@given(addresses)
def test_checksum_ignores_the_case_it_is_given(raw: bytes) -> None:
    expected = to_checksum_address(raw)
    assert checksum_address(raw.hex().upper()) == expected
    assert checksum_address(expected[2:]) == expected


def test_checksum_of_the_eip55_examples() -> None:
    # The test vectors of EIP-55 itself.
    for spelled in (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ):
        assert checksum_address(spelled[2:].lower()) == spelled


@given(st.binary(max_size=300))
def test_keccak_matches_eth_hash(data: bytes) -> None:
    assert keccak256(data) == keccak(data)
