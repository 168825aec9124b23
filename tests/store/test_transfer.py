"""Copying a SQLite vault into PostgreSQL (`ape run vault copy-to-postgresql`): every row
across, in order, sealed records still opening with the vault key, serial columns going on
from where the file left off; a database that is not empty, or a copy that fails half way,
leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memberledger.errors import VaultError
from memberledger.pii.canonical import PersonalData, canonicalize
from memberledger.pii.commitment import commit_person
from memberledger.settings import settings
from memberledger.store.access_log import AccessLog
from memberledger.store.database import Database
from memberledger.store.journal import BatchKind, CreditEntry, Journal
from memberledger.store.member_notes import MemberNotes
from memberledger.store.transfer import copy_vault, rows_to_copy
from memberledger.store.vault import MemberRecord, MemberStatus, Vault

pytestmark = pytest.mark.postgres_only

KEY = bytes.fromhex("33" * 32)
TX = "0x" + "cd" * 32


def record(index: int) -> MemberRecord:
    personal = canonicalize(PersonalData(f"Member Number{index}", f"m{index}@example.org"))
    salt = bytes([index + 1]) * 32
    return MemberRecord(
        member_id=f"M-{index:03d}",
        wallet="0x" + f"{index + 1:02x}" * 20,
        personal=personal,
        salt=salt,
        commitment=commit_person(personal, salt),
        consent=5,
        tier=index % 4,
    )


@pytest.fixture
def sqlite_vault(tmp_path: Path) -> Iterator[Database]:
    """A vault file with a bit of everything: members (one enrolled, one erased), journal
    batches in a known order, a sealed note, access-log entries."""
    database = Database(tmp_path / "vault.db", url="")
    vault = Vault(database, KEY)
    for index in range(4):
        vault.add_member(record(index))
    vault.mark_enrolled(["M-000"], TX, 7)
    vault.erase("M-003")
    journal = Journal(database)
    for name in ("c", "a", "b"):  # planned in this order, not the batch ids' order
        journal.plan(BatchKind.CREDIT, [CreditEntry(f"event-{name}", record(0).wallet, 5)], 10)
    MemberNotes(database, vault.sealer).add("M-001", "suspend", "asked to pause", TX)
    log = AccessLog(database)
    log.record("0x" + "5a" * 20, "M-000", record(0).wallet, "member_request")
    log.record("0x" + "5a" * 20, "M-001", record(1).wallet, "support_case")
    yield database
    database.close()


def test_copy_brings_every_row_across_and_the_vault_opens_from_postgresql(
    sqlite_vault: Database, tmp_path: Path
) -> None:
    target = Database(tmp_path / "vault.db")
    told: list[int] = []
    copies = copy_vault(sqlite_vault, target, on_rows=told.append)

    by_table = {copy.table: copy.rows for copy in copies}
    assert by_table["members"] == 4 and by_table["journal_batches"] == 3
    assert sum(told) == sum(by_table.values()) == rows_to_copy(sqlite_vault)
    vault = Vault(target, KEY)  # the key check came across: the same key opens it
    assert vault.count_by_status()[MemberStatus.ENROLLED] == 1
    assert vault.personal_data("M-002")[0] == record(2).personal
    assert vault.get("M-003") is not None and vault.get("M-003").status is MemberStatus.ERASED  # type: ignore[union-attr]
    assert Journal(target).batch_ids(BatchKind.CREDIT) == Journal(sqlite_vault).batch_ids(
        BatchKind.CREDIT
    )
    notes = MemberNotes(target, vault.sealer)
    assert [note.text for note in notes.of("M-001")] == ["asked to pause"]
    log = AccessLog(target)
    entry = log.record("0x" + "5a" * 20, "M-002", record(2).wallet, "compliance_check")
    assert entry.entry == 3  # numbered after the two copied entries
    target.close()


def test_copy_refuses_a_database_that_already_holds_a_vault(
    sqlite_vault: Database, tmp_path: Path
) -> None:
    target = Database(tmp_path / "vault.db")
    Vault(target, KEY).add_member(record(0))

    with pytest.raises(VaultError, match=r"already holds a vault \(\d+ rows in \w+\)"):
        copy_vault(sqlite_vault, target)
    target.close()


def test_a_copy_that_fails_half_way_leaves_the_database_empty(
    sqlite_vault: Database, tmp_path: Path
) -> None:
    target = Database(tmp_path / "vault.db")
    # A column the file does not have and the database insists on: the journal's entries,
    # copied after the members and the batches, cannot go in.
    target.execute("ALTER TABLE journal_entries ADD COLUMN imposed TEXT NOT NULL")

    with pytest.raises(Exception, match="imposed"):
        copy_vault(sqlite_vault, target)

    for table in ("members", "journal_batches", "vault_meta"):
        assert target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    target.close()


def test_copy_wants_a_sqlite_file_and_a_postgresql_database(tmp_path: Path) -> None:
    both_postgres = Database(tmp_path / "vault.db")
    with pytest.raises(VaultError, match="from its SQLite file into PostgreSQL"):
        copy_vault(both_postgres, both_postgres)
    both_postgres.close()
    assert settings().database_url  # the fixture's database, for the record
