"""Salted commitments and the vectors shared with the browser."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import keccak as Keccak
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from memberledger.errors import InvalidField
from memberledger.pii.canonical import PersonalData, canonical_bytes, canonicalize
from memberledger.pii.commitment import (
    COMMITMENT_DOMAIN,
    Commitment,
    commit,
    commit_person,
    new_salt,
)

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS = json.loads((VECTORS_DIR / "commitments.json").read_text(encoding="utf-8"))
SALT = bytes(range(32))
ANA = PersonalData("ana díaz", "ana@example.com", "+4915112345678", "1990-02-28")


def test_commit_is_keccak_of_domain_salt_and_data_truncated() -> None:
    data = canonical_bytes(ANA)

    assert commit(data, SALT).value == keccak(b"MemberLedger/commitment/v1" + SALT + data)[:20]


def test_commit_known_answer() -> None:
    # Pinned (computed with pycryptodome's Keccak) so that any change of the domain, the
    # order of the parts or the truncation is noticed.
    assert commit(b"", bytes(32)).hex == "0xcf336c7f9e7523c9be7359afcd39799baa6ee3cd"


@given(st.binary(max_size=100), st.binary(min_size=32, max_size=32))
def test_commit_agrees_with_independent_keccak(data: bytes, salt: bytes) -> None:
    digest = Keccak.new(digest_bits=256, data=COMMITMENT_DOMAIN + salt + data).digest()

    assert commit(data, salt).value == digest[:20]


@pytest.mark.parametrize("salt", [b"", bytes(31), bytes(33), bytes(64)])
def test_commit_salt_not_32_bytes_raises(salt: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        commit(b"data", salt)


def test_commit_salt_as_str_raises() -> None:
    with pytest.raises(ValueError):
        commit(b"data", "00" * 32)  # type: ignore[arg-type]


def test_new_salt_is_32_fresh_bytes() -> None:
    salts = {new_salt() for _ in range(100)}

    assert len(salts) == 100
    assert all(len(salt) == 32 for salt in salts)


def test_commitment_hex_round_trips() -> None:
    commitment = commit(b"x", SALT)

    assert commitment.hex.startswith("0x")
    assert len(commitment.hex) == 42
    assert Commitment.from_hex(commitment.hex) == commitment
    assert Commitment.from_hex(commitment.hex.upper().replace("0X", "0x")) == commitment
    assert str(commitment) == commitment.hex


@pytest.mark.parametrize(
    "text", ["", "0x", "0x" + "a" * 39, "0x" + "a" * 41, "a" * 42, "0x" + "g" * 40]
)
def test_commitment_from_hex_malformed_raises(text: str) -> None:
    with pytest.raises(ValueError):
        Commitment.from_hex(text)


@pytest.mark.parametrize("value", [b"", bytes(19), bytes(21), bytes(32)])
def test_commitment_wrong_length_raises(value: bytes) -> None:
    with pytest.raises(ValueError, match="20 bytes"):
        Commitment(value)


def test_commit_person_canonicalises_first() -> None:
    messy = PersonalData("  ANA  DÍAZ", "Ana@Example.COM ", "+49 151 1234 5678", "1990-02-28")

    assert commit_person(messy, SALT) == commit(canonical_bytes(ANA), SALT)


def test_commit_person_invalid_data_raises() -> None:
    with pytest.raises(InvalidField) as caught:
        commit_person(PersonalData("ana", "not-an-address"), SALT)

    assert caught.value.field == "email"


# ---------------------------------------------------------------- shared vectors


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_commit_person_matches_shared_vector(vector: dict[str, Any]) -> None:
    raw = PersonalData(**vector["raw"])
    salt = bytes.fromhex(vector["salt_hex"][2:])

    canonical = canonicalize(raw, vector["default_region"])

    assert canonical == PersonalData(**vector["canonical"])
    assert "0x" + canonical_bytes(canonical).hex() == vector["canonical_bytes_hex"]
    assert commit_person(raw, salt, vector["default_region"]).hex == vector["commitment_hex"]


def test_shared_vectors_cover_the_promised_cases() -> None:
    vectors = VECTORS["vectors"]
    raw_text = "".join(v["raw"]["full_name"] + v["raw"]["email"] for v in vectors)

    assert VECTORS["commitment_domain"] == COMMITMENT_DOMAIN.decode()
    assert len(vectors) >= 10
    assert any("\uff01" <= char <= "\uff5e" for char in raw_text)  # fullwidth
    assert any("\u4e00" <= char <= "\u9fff" for char in raw_text)  # CJK
    assert any("\u0300" <= char <= "\u036f" for char in raw_text)  # combining accents
    assert any(v["raw"]["email"] != v["raw"]["email"].lower() for v in vectors)
    assert any(
        v["canonical"]["phone"] == "" and v["canonical"]["birth_date"] == "" for v in vectors
    )
    assert len({v["commitment_hex"] for v in vectors}) == len(vectors) - 1


def test_shared_vectors_two_spellings_one_commitment() -> None:
    messy, tidy = VECTORS["vectors"][1], VECTORS["vectors"][2]

    assert messy["raw"] != tidy["raw"]
    assert messy["salt_hex"] == tidy["salt_hex"]
    assert messy["canonical_bytes_hex"] == tidy["canonical_bytes_hex"]
    assert messy["commitment_hex"] == tidy["commitment_hex"]


def test_shared_vectors_file_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS_DIR / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    expected = generator.render(generator.build_vectors())

    assert (VECTORS_DIR / "commitments.json").read_text(encoding="utf-8") == expected


# ---------------------------------------------------------------- properties


@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32))
def test_commit_is_deterministic(data: bytes, salt: bytes) -> None:
    assert commit(data, salt) == commit(bytes(data), bytes(salt))


@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32), st.data())
def test_commit_changes_with_any_bit_of_data(data: bytes, salt: bytes, draw: st.DataObject) -> None:
    flipped = bytearray(data + b"\x00")
    position = draw.draw(st.integers(0, len(flipped) - 1))
    flipped[position] ^= 1 << draw.draw(st.integers(0, 7))

    assert commit(bytes(flipped), salt) != commit(data + b"\x00", salt)
    assert commit(data + b"\x00", salt) != commit(data, salt)


@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32), st.data())
def test_commit_changes_with_any_bit_of_salt(data: bytes, salt: bytes, draw: st.DataObject) -> None:
    other = bytearray(salt)
    other[draw.draw(st.integers(0, 31))] ^= 1 << draw.draw(st.integers(0, 7))

    assert commit(data, bytes(other)) != commit(data, salt)


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=20))
def test_commit_person_distinguishes_names(suffix: str) -> None:
    base = PersonalData("ana", "ana@example.com")
    other = PersonalData("ana " + suffix, "ana@example.com")

    assert commit_person(other, SALT) != commit_person(base, SALT)
