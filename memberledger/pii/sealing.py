"""Sealing personal data: AES-256-GCM, bound to the member it belongs to.

A sealed record is `nonce (12 bytes) ‖ ciphertext ‖ tag`. The plaintext is the member's
personal data in canonical form (what the commitment hashes), the salt behind their
commitment, and (since the vault keeps the member's own spelling) the data as the member gave
it under "given", as UTF-8 JSON with sorted keys. Records sealed by release 0.1.0 have no
"given": their canonical form is all there is. The
associated data `member_id|wallet` binds each ciphertext to its row: a sealed value copied to
another member fails to open instead of showing one member's data under another's name.

No database here: a `Sealer` is just the key, so it can travel to the worker processes that
check large files and seal their rows there (`memberledger.intake`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memberledger.hashing import keccak256
from memberledger.pii.canonical import PersonalData, joined_fields
from memberledger.pii.commitment import SALT_LENGTH, Commitment, commit

KEY_LENGTH = 32
NONCE_LENGTH = 12
#: Random bytes that sealing a new member uses: its salt, then its nonce.
SEALING_RANDOMNESS = SALT_LENGTH + NONCE_LENGTH


class SealBroken(ValueError):
    """A sealed value does not open: wrong key, altered bytes, or another row's value."""


@dataclass(frozen=True)
class SealedMember:
    """A new member sealed for the vault: the commitment to their personal data under a
    fresh salt, the sealed personal data and salt, and a fingerprint of the personal data
    (keccak256 of its canonical bytes, to compare two files' rows without decrypting)."""

    commitment: Commitment
    sealed: bytes
    fingerprint: bytes


@dataclass(frozen=True)
class OpenedMember:
    """A member's sealed record, opened: the canonical data the commitment hashes, the salt,
    and the data as the member gave it (None for records sealed before it was kept)."""

    personal: PersonalData
    salt: bytes
    given: PersonalData | None

    @property
    def shown(self) -> PersonalData:
        """What to show the member and the operator: their own spelling when it was kept."""
        return self.given or self.personal


class Sealer:
    """AES-256-GCM under the vault key; picklable (only the key travels)."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_LENGTH:
            raise ValueError(f"the vault key must be {KEY_LENGTH} bytes (AES-256)")
        self._key = key
        self._aead: AESGCM | None = None

    def __getstate__(self) -> bytes:
        return self._key

    def __setstate__(self, key: bytes) -> None:
        self._key, self._aead = key, None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            self._aead = AESGCM(self._key)
        return self._aead

    def seal(self, plaintext: bytes, associated_data: bytes, nonce: bytes | None = None) -> bytes:
        nonce = nonce or secrets.token_bytes(NONCE_LENGTH)
        return nonce + self._cipher().encrypt(nonce, plaintext, associated_data)

    def open(self, sealed: bytes, associated_data: bytes) -> bytes:
        """The plaintext of `sealed`, or `SealBroken`."""
        if len(sealed) <= NONCE_LENGTH:
            raise SealBroken("sealed value too short")
        try:
            return self._cipher().decrypt(
                sealed[:NONCE_LENGTH], sealed[NONCE_LENGTH:], associated_data
            )
        except InvalidTag as exc:
            raise SealBroken("the sealed value does not open") from exc

    def seal_member(
        self,
        member_id: str,
        wallet: str,
        personal: PersonalData,
        salt: bytes,
        given: PersonalData | None = None,
    ) -> bytes:
        """The sealed record of a member's personal data and salt (and, if known, the data
        as the member gave it), bound to the member."""
        return self.seal(member_payload(personal, salt, given), row_binding(member_id, wallet))

    def open_member_record(self, member_id: str, wallet: str, sealed: bytes) -> OpenedMember:
        """A member's whole sealed record, or `SealBroken` (altered, or another row's)."""
        payload = self.open(sealed, row_binding(member_id, wallet))
        try:
            fields: dict[str, Any] = orjson.loads(payload)
            personal = _personal(fields)
            salt = bytes.fromhex(fields["salt"])
            given = _personal(fields["given"]) if "given" in fields else None
        except (ValueError, KeyError, TypeError) as exc:
            raise SealBroken("the sealed value is not a member record") from exc
        return OpenedMember(personal, salt, given)

    def seal_new_member(
        self,
        member_id: str,
        wallet: str,
        personal: PersonalData,
        randomness: bytes = b"",
        given: PersonalData | None = None,
    ) -> SealedMember:
        """A new member's record with a fresh salt: `personal` must be canonical (straight
        from validation; it is not checked again here).

        `randomness` (`SEALING_RANDOMNESS` bytes, fresh from `secrets`, used for this member
        only) supplies the salt and the nonce: a bulk run draws it for a whole chunk of rows
        in one call, since one system call per row cost a twentieth of validating it."""
        canonical = joined_fields(personal)  # validated just before: canonical already
        if not randomness:
            randomness = secrets.token_bytes(SEALING_RANDOMNESS)
        elif len(randomness) != SEALING_RANDOMNESS:
            raise ValueError(f"sealing a member takes exactly {SEALING_RANDOMNESS} random bytes")
        salt, nonce = randomness[:SALT_LENGTH], randomness[SALT_LENGTH:]
        payload = member_payload(personal, salt, given)
        sealed = self.seal(payload, row_binding(member_id, wallet), nonce)
        return SealedMember(commit(canonical, salt), sealed, keccak256(canonical))


def member_payload(personal: PersonalData, salt: bytes, given: PersonalData | None = None) -> bytes:
    """The plaintext that is sealed: the canonical personal data, the salt and the data as
    given, as UTF-8 JSON with sorted keys (orjson: a bulk run seals a row every few
    microseconds)."""
    fields: dict[str, Any] = {
        "full_name": personal.full_name,
        "email": personal.email,
        "phone": personal.phone,
        "birth_date": personal.birth_date,
        "salt": salt.hex(),
    }
    if given is not None:
        fields["given"] = {
            "full_name": given.full_name,
            "email": given.email,
            "phone": given.phone,
            "birth_date": given.birth_date,
        }
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def _personal(fields: dict[str, Any]) -> PersonalData:
    values = [fields[name] for name in ("full_name", "email", "phone", "birth_date")]
    if not all(isinstance(value, str) for value in values):
        raise TypeError("a personal-data field is not text")
    return PersonalData(*values)


def row_binding(member_id: str, wallet: str) -> bytes:
    """AES-GCM associated data tying a sealed value to its row."""
    return f"{member_id}|{wallet}".encode()
