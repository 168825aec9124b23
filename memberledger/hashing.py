"""Keccak-256 and EIP-55 checksums, fast enough for files of a million rows.

`eth_utils` reaches the hash through several layers of type conversion, and pycryptodome
through ctypes; at bulk scale (a checksum and a commitment per row, a batch id per batch)
that overhead costs more than the hashing itself, so this module calls the C implementation
of safe-pysha3 directly.
"""

from __future__ import annotations

import sha3  # type: ignore[import-untyped]

_UPPER_NIBBLES = frozenset("89abcdef")


def keccak256(data: bytes) -> bytes:
    """keccak256(data), as the EVM computes it."""
    digest: bytes = sha3.keccak_256(data).digest()
    return digest


def checksum_address(hex_digits: str) -> str:
    """EIP-55 spelling of an address given as 40 hex digits (any case, no "0x")."""
    lower = hex_digits.lower()
    nibbles: str = sha3.keccak_256(lower.encode("ascii")).hexdigest()
    upper = lower.upper()
    return "0x" + "".join(
        [
            big if nibble in _UPPER_NIBBLES else small
            for small, big, nibble in zip(lower, upper, nibbles, strict=False)
        ]
    )
