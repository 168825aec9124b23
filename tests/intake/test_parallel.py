"""Large files are validated in worker processes; the outcome must not depend on it."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memberledger.intake.duplicates import MemoryIndex, SqliteIndex
from memberledger.intake.enrollment_file import scan_sealed_enrollment_file
from memberledger.intake.parallel import CHUNK_RECORDS
from memberledger.intake.rewards_file import scan_rewards_file
from memberledger.pii.canonical import PersonalData
from memberledger.pii.sealing import NONCE_LENGTH, SEALING_RANDOMNESS, Sealer, row_binding

HEADER = "member_id,wallet,full_name,email,phone,birth_date,tier"
W = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def members_file(path: Path, rows: int, tail: bytes = b"") -> Path:
    lines = [HEADER]
    for i in range(rows):
        wallet = f"0x{i:040x}" if i % 97 else W  # every 97th row repeats one wallet
        email = f"m{i}@example.org" if i % 101 else "not-an-email"
        lines.append(f"m-{i},{wallet},Member {i},{email},,1980-01-01,gold")
    path.write_bytes(("\n".join(lines) + "\n").encode() + tail)
    return path


def summary(outcomes: object) -> list[tuple[int, bool, list[tuple[int, str, str]]]]:
    return [
        (o.line, o.row is not None, [(e.line, e.field, e.reason) for e in o.errors])
        for o in outcomes  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("tail", [b"", b'm-x,"unterminated\n'])
def test_scan_enrollment_file_workers_give_the_same_outcomes(tmp_path: Path, tail: bytes) -> None:
    path = members_file(tmp_path / "m.csv", CHUNK_RECORDS + 321, tail)
    sealer = Sealer(secrets.token_bytes(32))
    db = sqlite3.connect(tmp_path / "seen.db", isolation_level=None)

    alone = list(scan_sealed_enrollment_file(path, MemoryIndex(), sealer))
    forked = list(scan_sealed_enrollment_file(path, SqliteIndex(db), sealer, workers=2))

    assert summary(forked) == summary(alone)
    assert sum(1 for o in forked if o.row is not None) > CHUNK_RECORDS
    assert all(o.row.sealed is not None for o in forked if o.row is not None)
    assert any("duplicate of line 2" in e.reason for o in forked for e in o.errors)
    if tail:
        assert forked[-1].errors[0].field == "file"


def test_scan_rewards_file_workers_give_the_same_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    rows = [f"e{i % 3000},{W},{i % 7}" for i in range(CHUNK_RECORDS + 1500)]
    path.write_text("event_id,wallet,points\n" + "\n".join(rows) + "\n")

    alone = list(scan_rewards_file(path, MemoryIndex()))
    forked = list(scan_rewards_file(path, MemoryIndex(), workers=2))

    assert summary(forked) == summary(alone)


def test_every_member_sealed_in_workers_gets_its_own_salt_and_nonce(tmp_path: Path) -> None:
    """Salts and nonces are drawn a chunk at a time in the workers: no two rows, in one chunk
    or in chunks of different workers, may share either (a shared nonce breaks AES-GCM)."""
    path = members_file(tmp_path / "m.csv", 2 * CHUNK_RECORDS + 50)
    key = secrets.token_bytes(32)
    db = sqlite3.connect(tmp_path / "seen.db", isolation_level=None)

    rows = [
        o.row
        for o in scan_sealed_enrollment_file(path, SqliteIndex(db), Sealer(key), workers=2)
        if o.row is not None
    ]

    aead = AESGCM(key)
    nonces = {row.sealed[:NONCE_LENGTH] for row in rows}
    salts = {
        orjson.loads(
            aead.decrypt(
                row.sealed[:NONCE_LENGTH],
                row.sealed[NONCE_LENGTH:],
                row_binding(row.member_id, row.wallet),
            )
        )["salt"]
        for row in rows
    }
    assert len(rows) > 2 * CHUNK_RECORDS - 100
    assert len(nonces) == len(salts) == len(rows)


def test_sealing_refuses_randomness_of_the_wrong_length() -> None:
    personal = PersonalData("ada lovelace", "ada@example.org")
    sealer = Sealer(secrets.token_bytes(32))
    with pytest.raises(ValueError, match="exactly 44 random bytes"):
        sealer.seal_new_member("m-1", W, personal, secrets.token_bytes(SEALING_RANDOMNESS - 1))
