"""The vault keeps each member's data as they gave it for display and export; only the
commitment uses the canonical form. Vaults of release 0.1.0 are migrated on first open and
say that their members' original spelling is lost; a changed record waits for the chain."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest
from store.test_database import SCHEMA_0_1_0

from memberledger.errors import VaultError
from memberledger.pii.canonical import PersonalData, as_given, canonicalize
from memberledger.pii.commitment import commit_person
from memberledger.pii.sealing import Sealer
from memberledger.store.vault import MemberRecord, SpellingLostWarning, Vault

KEY = bytes.fromhex("33" * 32)
WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
OTHER_WALLET = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
GIVEN = PersonalData("O'Brien,  Liam", "Liam.OBrien@Example.ORG", "+353 1 234 5678", "1975-06-01")


def member(given: PersonalData = GIVEN, salt: bytes = b"\x07" * 32) -> MemberRecord:
    personal = canonicalize(given)
    return MemberRecord(
        member_id="m-liam",
        wallet=WALLET,
        personal=personal,
        salt=salt,
        commitment=commit_person(personal, salt),
        consent=1,
        tier=0,
        given=as_given(given),
    )


def test_member_record_keeps_the_spelling_given_and_commits_to_the_canonical(
    tmp_path: Path,
) -> None:
    with Vault(tmp_path / "vault.db", KEY) as vault:
        vault.add_member(member())

        opened = vault.member_record("m-liam")

    assert opened.shown.full_name == "O'Brien,  Liam"
    assert opened.shown.email == "Liam.OBrien@Example.ORG"
    assert opened.personal.full_name == "o'brien, liam"
    assert commit_person(opened.personal, opened.salt) == member().commitment


@pytest.mark.sqlite_only
def test_a_0_1_0_vault_is_migrated_and_says_the_spelling_is_lost_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(SCHEMA_0_1_0)
    record = member()
    sealed = Sealer(KEY).seal_member(record.member_id, WALLET, record.personal, record.salt)
    with sqlite3.connect(path) as old:
        old.execute(
            "INSERT INTO members VALUES (?, ?, ?, 1, 0, ?, 'enrolled', ?, 7, 'then', 'then')",
            ("m-liam", WALLET, record.commitment.hex, sealed, "0x" + "ab" * 32),
        )

    with pytest.warns(SpellingLostWarning, match="1 member was stored by MemberLedger 0.1"):
        vault = Vault(path, KEY)
    with vault:
        stored = vault.get("m-liam")
        assert stored is not None and not stored.given_spelling
        opened = vault.member_record("m-liam")
        assert opened.given is None and opened.shown.full_name == "o'brien, liam"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Vault(path, KEY).close()  # said once


def test_staged_update_waits_for_the_chain_then_replaces_the_record(tmp_path: Path) -> None:
    with Vault(tmp_path / "vault.db", KEY) as vault:
        vault.add_member(member())
        changed = member(GIVEN.__class__(GIVEN.full_name, "liam@New.example"), b"\x08" * 32)

        vault.stage_update("m-liam", changed)
        waiting = vault.get("m-liam")
        assert waiting is not None and waiting.pending_commitment == changed.commitment
        assert waiting.commitment == member().commitment  # the current one until applied
        assert vault.member_record("m-liam", pending=True).shown.email == "liam@New.example"

        assert vault.apply_update("m-liam") == changed.commitment
        applied = vault.get("m-liam")
        assert applied is not None and applied.pending_commitment is None
        assert applied.commitment == changed.commitment
        assert vault.member_record("m-liam").salt == b"\x08" * 32
        with pytest.raises(VaultError, match="no update waiting"):
            vault.apply_update("m-liam")


def test_move_wallet_reseals_under_the_new_wallet(tmp_path: Path) -> None:
    with Vault(tmp_path / "vault.db", KEY) as vault:
        vault.add_member(member())

        vault.move_wallet("m-liam", OTHER_WALLET)

        assert vault.get_by_wallet(WALLET) is None
        moved = vault.get_by_wallet(OTHER_WALLET)
        assert moved is not None and moved.member_id == "m-liam"
        assert vault.member_record("m-liam").shown == as_given(GIVEN)
