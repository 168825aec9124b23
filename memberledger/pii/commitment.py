"""Salted commitments: what the chain stores instead of personal data.

commitment = first 20 bytes of keccak256(COMMITMENT_DOMAIN || salt || canonical_bytes)

- The domain tag keeps these hashes from ever colliding with another use of keccak256 in the
  programme; bump its version if the canonical rules change.
- The 32-byte random salt makes the commitment unguessable: without it, anyone could hash a
  list of known names and e-mails and find members on-chain. Destroying the salt (with the
  sealed data, see `Vault.erase`) leaves the on-chain value linked to nobody.
- 20 bytes (160 bits) fit beside consent, tier and status in the registry's single storage
  slot per member, and still leave second-preimage attacks out of reach.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from memberledger.hashing import keccak256
from memberledger.pii.canonical import PersonalData, canonical_bytes, canonicalize

COMMITMENT_DOMAIN = b"MemberLedger/commitment/v1"
SALT_LENGTH = 32
COMMITMENT_LENGTH = 20


def new_salt() -> bytes:
    """A fresh salt from the operating system's CSPRNG; one per member and commitment."""
    return secrets.token_bytes(SALT_LENGTH)


@dataclass(frozen=True)
class Commitment:
    """A 160-bit salted commitment, as the registry stores it (`bytes20`)."""

    value: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.value, bytes) or len(self.value) != COMMITMENT_LENGTH:
            raise ValueError(f"a commitment is exactly {COMMITMENT_LENGTH} bytes")

    @property
    def hex(self) -> str:
        """ "0x" and 40 lower-case hex digits, the form the vault and the browser use."""
        return "0x" + self.value.hex()

    @classmethod
    def from_hex(cls, text: str) -> Commitment:
        if len(text) == 42 and text.startswith("0x") and text[2:].isalnum():
            try:
                return cls(bytes.fromhex(text[2:]))
            except ValueError:
                pass
        raise ValueError(f"not a commitment (0x and 40 hex digits): {text!r}")

    def __str__(self) -> str:
        return self.hex


def commit(canonical: bytes, salt: bytes) -> Commitment:
    """Commit to already canonical bytes (`canonical_bytes`) with a 32-byte salt."""
    if not isinstance(salt, bytes) or len(salt) != SALT_LENGTH:
        raise ValueError(f"a salt is exactly {SALT_LENGTH} bytes")
    digest = keccak256(COMMITMENT_DOMAIN + salt + canonical)
    return Commitment(digest[:COMMITMENT_LENGTH])


def commit_person(p: PersonalData, salt: bytes, default_region: str | None = None) -> Commitment:
    """Canonicalise `p` and commit to it; raises `InvalidField` for invalid data."""
    return commit(canonical_bytes(canonicalize(p, default_region)), salt)
