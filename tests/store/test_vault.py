"""The vault: personal data sealed at rest, bound to its row, shredded on erasure."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from operator_kit import open_sqlite
from pg_kit import relation_bytes

from memberledger.errors import ConfigError, VaultError, VaultKeyError
from memberledger.pii.canonical import PersonalData, canonical_bytes, canonicalize
from memberledger.pii.commitment import Commitment, commit, commit_person
from memberledger.settings import settings
from memberledger.store.vault import (
    DevelopmentKeyWarning,
    MemberRecord,
    MemberStatus,
    Vault,
)

KEY = bytes.fromhex("11" * 32)
OTHER_KEY = bytes.fromhex("22" * 32)
TX = "0x" + "ab" * 32
WALLETS = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
#: Distinctive personal data, to search the raw database files for.
PEOPLE = [
    PersonalData(
        "Zéphyrine Quantock", "zephyrine.quantock@example.org", "+4915112345678", "1984-03-09"
    ),
    PersonalData(
        "Oluwaseun Brightwater", "seun.brightwater@example.net", "+442079460958", "1979-11-23"
    ),
    PersonalData("山田 太郎", "taro.yamada@example.jp", "+819012345678", "1990-01-31"),
    PersonalData("Bartholomew Fennimore", "bart.fennimore@example.com"),
]


def record(index: int, member_id: str | None = None, wallet: str | None = None) -> MemberRecord:
    personal = canonicalize(PEOPLE[index])
    salt = bytes([index + 1]) * 32
    return MemberRecord(
        member_id=member_id or f"M-{index:03d}",
        wallet=wallet or WALLETS[index],
        personal=personal,
        salt=salt,
        commitment=commit_person(personal, salt),
        consent=5,
        tier=index % 4,
    )


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "vault.db"


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    with Vault(vault_path, KEY) as opened:
        yield opened


def raw_files(path: Path) -> bytes:
    """The database file and its write-ahead log, as an attacker copying them would see (on
    PostgreSQL: the database's files and the server's write-ahead log)."""
    if url := settings().database_url:
        return relation_bytes(url, with_log=True)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def live_files(path: Path) -> bytes:
    """What the live database keeps: the SQLite file and its log; on PostgreSQL the
    database's own files (tables, TOAST, indexes), without the server's write-ahead log,
    which is recycled like a backup (docs/threat-model.md)."""
    if url := settings().database_url:
        return relation_bytes(url)
    return raw_files(path)


def raw_sealed(path: Path, member_id: str) -> bytes | None:
    """The sealed column as stored, read past the vault (SQLite file or PostgreSQL)."""
    if url := settings().database_url:
        with psycopg.connect(url) as pg:
            found = pg.execute(
                "SELECT sealed FROM members WHERE member_id = %s", (member_id,)
            ).fetchone()
        return None if found is None or found[0] is None else bytes(found[0])
    with open_sqlite(path) as db:
        row = db.execute("SELECT sealed FROM members WHERE member_id = ?", (member_id,)).fetchone()
    db.close()
    return None if row is None else row[0]


def set_sealed(path: Path, member_id: str, sealed: bytes) -> None:
    """Tamper with the sealed column past the vault."""
    if url := settings().database_url:
        with psycopg.connect(url) as pg:
            pg.execute("UPDATE members SET sealed = %s WHERE member_id = %s", (sealed, member_id))
        return
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE members SET sealed = ? WHERE member_id = ?", (sealed, member_id))
    db.close()


# ---------------------------------------------------------------- adding and reading


def test_add_member_then_get_returns_public_columns(vault: Vault) -> None:
    vault.add_member(record(0))

    stored = vault.get("M-000")

    assert stored is not None
    assert (stored.member_id, stored.wallet) == ("M-000", WALLETS[0])
    assert stored.commitment == record(0).commitment
    assert (stored.consent, stored.tier, stored.status) == (5, 0, MemberStatus.PENDING)
    assert (stored.enroll_tx, stored.enroll_block) == (None, None)
    assert stored.created_at == stored.updated_at


def test_personal_data_round_trips(vault: Vault) -> None:
    vault.add_member(record(2))

    personal, salt = vault.personal_data("M-002")

    assert personal == canonicalize(PEOPLE[2])
    assert salt == bytes([3]) * 32
    assert commit(canonical_bytes(personal), salt) == record(2).commitment


def test_get_unknown_member_is_none(vault: Vault) -> None:
    assert vault.get("nobody") is None
    assert vault.get_by_wallet(WALLETS[0]) is None
    assert vault.get_by_wallet("not an address") is None


def test_find_by_wallet_in_any_case_or_by_member_id(vault: Vault) -> None:
    vault.add_members([record(0), record(1)])

    by_lower = vault.find(WALLETS[1].lower())
    by_id = vault.find(" M-000 ")

    assert by_lower is not None and by_lower.member_id == "M-001"
    assert by_id is not None and by_id.member_id == "M-000"
    assert vault.find("M-999") is None


def test_has_member_id_and_get_by_wallet_in_any_case(vault: Vault) -> None:
    vault.add_member(record(0))

    assert vault.has_member_id("M-000") and not vault.has_member_id("M-001")
    assert vault.get_by_wallet(WALLETS[0].upper().replace("0X", "0x")) is not None
    assert vault.get_by_wallet(WALLETS[1]) is None


def test_add_member_duplicate_member_id_raises(vault: Vault) -> None:
    vault.add_member(record(0))

    with pytest.raises(VaultError, match="member id 'M-000' is already in the vault"):
        vault.add_member(record(1, member_id="M-000"))


def test_add_member_duplicate_wallet_raises(vault: Vault) -> None:
    vault.add_member(record(0))

    with pytest.raises(VaultError, match="already belongs to member 'M-000'"):
        vault.add_member(record(1, wallet=WALLETS[0]))


def test_add_members_is_all_or_nothing(vault: Vault) -> None:
    vault.add_member(record(0))

    with pytest.raises(VaultError):
        vault.add_members([record(1), record(2), record(3, wallet=WALLETS[0])])

    assert [m.member_id for m in vault.iter_members()] == ["M-000"]


def test_add_members_duplicate_inside_batch_stores_none(vault: Vault) -> None:
    with pytest.raises(VaultError):
        vault.add_members([record(1), record(2, member_id="M-001")])

    assert vault.count_by_status()[MemberStatus.PENDING] == 0


def test_add_member_commitment_not_matching_data_raises(vault: Vault) -> None:
    wrong = replace(record(0), commitment=Commitment(bytes(20)))

    with pytest.raises(VaultError, match="commitment does not match"):
        vault.add_member(wrong)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("wallet", WALLETS[0].lower(), "not a checksummed address"),
        ("member_id", "M 0", "member id"),
        ("salt", b"short", "salt must be 32 bytes"),
        ("consent", 8, "unknown consent flags"),
        ("tier", 4, "unknown tier"),
        ("personal", PersonalData(" Zéphyrine", "z@example.org"), "not canonical"),
    ],
)
def test_add_member_invalid_record_raises(
    vault: Vault, field: str, value: object, message: str
) -> None:
    bad = replace(record(0), **{field: value})  # type: ignore[arg-type]

    with pytest.raises(VaultError, match=message):
        vault.add_member(bad)
    assert vault.get(bad.member_id) is None


def test_iter_members_and_count_by_status(vault: Vault) -> None:
    vault.add_members([record(0), record(1), record(2)])
    vault.mark_enrolled(["M-001"], TX, 12)
    vault.erase("M-002")

    assert [m.member_id for m in vault.iter_members()] == ["M-000", "M-001", "M-002"]
    assert vault.count_by_status() == {
        MemberStatus.PENDING: 1,
        MemberStatus.ENROLLED: 1,
        MemberStatus.ERASED: 1,
    }


# ---------------------------------------------------------------- encryption at rest


def test_vault_files_hold_no_plaintext_personal_data(vault: Vault, vault_path: Path) -> None:
    vault.add_members([record(i) for i in range(len(PEOPLE))])
    wal = vault_path.with_name(vault_path.name + "-wal")

    on_disk = raw_files(vault_path)

    if not settings().database_url:
        assert wal.exists() and wal.stat().st_size > 0  # the rows really are in the log
    assert WALLETS[0].encode() in on_disk  # the search does find what is stored in clear
    for raw in PEOPLE:
        canonical = canonicalize(raw)
        for value in {*vars(raw).values(), *vars(canonical).values()} - {""}:
            assert value.encode("utf-8") not in on_disk, value


def test_vault_files_hold_no_salt(vault: Vault, vault_path: Path) -> None:
    vault.add_member(record(0))

    assert bytes([1]) * 32 not in raw_files(vault_path)
    assert (bytes([1]) * 32).hex().encode() not in raw_files(vault_path)


@pytest.mark.sqlite_only
def test_vault_uses_write_ahead_log(vault: Vault, vault_path: Path) -> None:
    db = sqlite3.connect(vault_path)
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    db.close()

    assert mode == "wal"


@pytest.mark.sqlite_only
def test_vault_file_is_private_to_its_owner(vault: Vault, vault_path: Path) -> None:
    assert stat.S_IMODE(vault_path.stat().st_mode) == 0o600


def test_open_with_wrong_key_raises(vault_path: Path) -> None:
    with Vault(vault_path, KEY) as first:
        first.add_member(record(0))

    with pytest.raises(VaultKeyError, match="the vault key does not match this vault"):
        Vault(vault_path, OTHER_KEY)


def test_open_with_right_key_again_reads_data(vault_path: Path) -> None:
    with Vault(vault_path, KEY) as first:
        first.add_member(record(0))

    with Vault(vault_path, KEY) as again:
        assert again.personal_data("M-000")[0] == canonicalize(PEOPLE[0])


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
def test_vault_key_not_32_bytes_raises(vault_path: Path, key: bytes) -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        Vault(vault_path, key)


@pytest.mark.sqlite_only
def test_vault_on_a_file_that_is_no_database_raises(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the droids you are looking for" * 100)

    with pytest.raises(VaultError, match="is not a MemberLedger vault"):
        Vault(path, KEY)


def test_personal_data_tampered_ciphertext_raises(vault: Vault, vault_path: Path) -> None:
    vault.add_member(record(0))
    sealed = bytearray(raw_sealed(vault_path, "M-000") or b"")
    sealed[-1] ^= 0x01
    set_sealed(vault_path, "M-000", bytes(sealed))

    with pytest.raises(VaultKeyError, match="member 'M-000' does not open"):
        vault.personal_data("M-000")


def test_personal_data_truncated_ciphertext_raises(vault: Vault, vault_path: Path) -> None:
    vault.add_member(record(0))
    set_sealed(vault_path, "M-000", b"\x00" * 5)

    with pytest.raises(VaultKeyError, match="M-000"):
        vault.personal_data("M-000")


def test_personal_data_swapped_rows_raise(vault: Vault, vault_path: Path) -> None:
    vault.add_members([record(0), record(1)])
    sealed_0 = raw_sealed(vault_path, "M-000")
    sealed_1 = raw_sealed(vault_path, "M-001")
    assert sealed_0 is not None and sealed_1 is not None
    set_sealed(vault_path, "M-000", sealed_1)
    set_sealed(vault_path, "M-001", sealed_0)

    for member_id in ("M-000", "M-001"):
        with pytest.raises(VaultKeyError, match=f"member '{member_id}'"):
            vault.personal_data(member_id)


def test_personal_data_unknown_member_raises(vault: Vault) -> None:
    with pytest.raises(VaultError, match="no member 'ghost'"):
        vault.personal_data("ghost")


# ---------------------------------------------------------------- enrolment and erasure


def test_mark_enrolled_records_transaction_and_block(vault: Vault) -> None:
    vault.add_members([record(0), record(1)])

    vault.mark_enrolled(["M-000", "M-001"], TX, 42)

    for member_id in ("M-000", "M-001"):
        stored = vault.get(member_id)
        assert stored is not None
        assert (stored.status, stored.enroll_tx, stored.enroll_block) == (
            MemberStatus.ENROLLED,
            TX,
            42,
        )


def test_mark_enrolled_same_transaction_again_changes_nothing(vault: Vault) -> None:
    vault.add_member(record(0))
    vault.mark_enrolled(["M-000"], TX, 42)
    before = vault.get("M-000")

    vault.mark_enrolled(["M-000"], TX, 42)

    assert vault.get("M-000") == before


def test_mark_enrolled_other_transaction_raises_and_changes_nothing(vault: Vault) -> None:
    vault.add_members([record(0), record(1)])
    vault.mark_enrolled(["M-000"], TX, 42)

    with pytest.raises(VaultError, match="'M-000' is enrolled, not pending"):
        vault.mark_enrolled(["M-001", "M-000"], "0x" + "cd" * 32, 43)

    pending = vault.get("M-001")
    assert pending is not None and pending.status is MemberStatus.PENDING


@pytest.mark.parametrize(
    ("tx", "block", "message"),
    [("0x1234", 1, "not a transaction hash"), (TX, -1, "cannot be negative")],
)
def test_mark_enrolled_bad_receipt_raises(vault: Vault, tx: str, block: int, message: str) -> None:
    vault.add_member(record(0))

    with pytest.raises(VaultError, match=message):
        vault.mark_enrolled(["M-000"], tx, block)


def test_mark_enrolled_unknown_member_raises(vault: Vault) -> None:
    with pytest.raises(VaultError, match="no member 'ghost'"):
        vault.mark_enrolled(["ghost"], TX, 1)


def test_erase_shreds_personal_data(vault: Vault, vault_path: Path) -> None:
    vault.add_members([record(0), record(1)])
    sealed = raw_sealed(vault_path, "M-000")
    assert sealed is not None and sealed in live_files(vault_path)

    assert vault.erase("M-000") is True

    stored = vault.get("M-000")
    assert stored is not None and stored.status is MemberStatus.ERASED
    assert raw_sealed(vault_path, "M-000") is None
    assert sealed not in live_files(vault_path)  # dead row versions included (PostgreSQL)
    assert sealed[12:44] not in live_files(vault_path)  # not even a piece of the ciphertext
    with pytest.raises(VaultError, match="'M-000' is erased: their personal data is gone"):
        vault.personal_data("M-000")
    assert vault.personal_data("M-001")[0] == canonicalize(PEOPLE[1])


@pytest.mark.parametrize("victim", [0, 57, 199])
def test_erase_leaves_no_copy_wherever_the_row_sat_in_its_page(
    vault: Vault, vault_path: Path, victim: int
) -> None:
    """On PostgreSQL the erased row's old version is a dead tuple: plain VACUUM prunes it
    but leaves its bytes in the page's free space when other rows do not move over it
    (found by this test with members 57 and 199 of 200)."""
    vault.add_members(
        [
            record(i % len(PEOPLE), f"M-{i:04d}", to_checksum_address(keccak(str(i).encode())[:20]))
            for i in range(200)
        ]
    )
    sealed = raw_sealed(vault_path, f"M-{victim:04d}")
    assert sealed is not None and sealed[12:44] in live_files(vault_path)

    assert vault.erase(f"M-{victim:04d}") is True

    assert sealed[12:44] not in live_files(vault_path)


@pytest.mark.postgres_only
def test_erase_says_so_when_a_postgres_snapshot_keeps_the_old_row_then_finishes(
    vault: Vault, vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.vault.ERASE_CHECKPOINT_ATTEMPTS", 1)
    vault.add_members([record(0), record(1)])
    sealed = raw_sealed(vault_path, "M-000")
    assert sealed is not None
    reader = psycopg.connect(settings().database_url)
    reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    reader.execute("SELECT 1").fetchone()  # its snapshot (taken now) sees the row

    shredded = vault.erase("M-000")

    assert shredded is False
    assert sealed[12:44] in live_files(vault_path)  # copied by the rewrite: still visible
    reader.rollback()
    reader.close()
    assert vault.erase("M-000") is True  # running it again finishes the job
    assert sealed[12:44] not in live_files(vault_path)


@pytest.mark.postgres_only
def test_erase_says_so_when_a_postgres_reader_holds_the_table_then_finishes(
    vault: Vault, vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.vault.ERASE_CHECKPOINT_ATTEMPTS", 1)
    monkeypatch.setattr("memberledger.store.database.VACUUM_LOCK_TIMEOUT_MS", 100)
    vault.add_members([record(0), record(1)])
    sealed = raw_sealed(vault_path, "M-000")
    assert sealed is not None
    reader = psycopg.connect(settings().database_url)
    reader.execute("SELECT count(*) FROM members").fetchone()  # its transaction holds it

    assert vault.erase("M-000") is False
    assert sealed[12:44] in live_files(vault_path)  # the dead version is not pruned yet
    reader.rollback()
    reader.close()
    assert vault.erase("M-000") is True
    assert sealed[12:44] not in live_files(vault_path)


@pytest.mark.sqlite_only
def test_erase_says_so_when_a_reader_keeps_old_copies_in_the_log_then_finishes(
    vault: Vault, vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memberledger.store.vault.ERASE_CHECKPOINT_ATTEMPTS", 1)
    vault.add_members([record(0), record(1)])
    sealed = raw_sealed(vault_path, "M-000")
    assert sealed is not None
    reader = sqlite3.connect(vault_path, timeout=0.1)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM members").fetchone()  # holds the log's old pages

    shredded = vault.erase("M-000")

    assert shredded is False
    assert sealed in raw_files(vault_path)  # the old page image is still in the log
    reader.execute("COMMIT")
    reader.close()
    assert vault.erase("M-000") is True  # running it again finishes the job
    assert sealed not in raw_files(vault_path)


def test_erase_keeps_tombstone_against_re_enrolment(vault: Vault) -> None:
    vault.add_member(record(0))
    vault.erase("M-000")

    with pytest.raises(VaultError, match="already belongs to member 'M-000'"):
        vault.add_member(record(1, wallet=WALLETS[0]))


def test_erase_twice_changes_nothing(vault: Vault) -> None:
    vault.add_member(record(0))
    vault.erase("M-000")
    before = vault.get("M-000")

    vault.erase("M-000")

    assert vault.get("M-000") == before


def test_erase_unknown_member_raises(vault: Vault) -> None:
    with pytest.raises(VaultError, match="no member 'ghost'"):
        vault.erase("ghost")


def test_mark_enrolled_erased_member_raises(vault: Vault) -> None:
    vault.add_member(record(0))
    vault.erase("M-000")

    with pytest.raises(VaultError, match="is erased, not pending"):
        vault.mark_enrolled(["M-000"], TX, 1)


# ---------------------------------------------------------------- opening from settings


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working directory without .env and no vault settings in the environment."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for name in ("MEMBERLEDGER_VAULT", "MEMBERLEDGER_VAULT_KEY"):
        monkeypatch.delenv(name, raising=False)
    return workdir


def test_open_reads_path_and_key_from_environment(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMBERLEDGER_VAULT", str(clean_environment / "v.db"))
    monkeypatch.setenv("MEMBERLEDGER_VAULT_KEY", KEY.hex())

    with Vault.open() as opened:
        opened.add_member(record(0))

    with Vault(clean_environment / "v.db", KEY) as again:
        assert again.has_member_id("M-000")


@pytest.mark.sqlite_only
def test_open_reads_dot_env(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(f"MEMBERLEDGER_VAULT_KEY={KEY.hex()}\n")

    with Vault.open() as opened:
        assert opened.path == Path("data/vault.db")
    assert (clean_environment / "data" / "vault.db").exists()


def test_open_without_key_raises(clean_environment: Path) -> None:
    with pytest.raises(ConfigError, match="MEMBERLEDGER_VAULT_KEY is not set"):
        Vault.open()


@pytest.mark.parametrize("value", ["abc", "zz" * 32, "11" * 31, "11 " * 32])
def test_open_malformed_key_raises_without_echoing_it(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MEMBERLEDGER_VAULT_KEY", value)

    with pytest.raises(ConfigError, match="must be 64 hex digits") as caught:
        Vault.open()
    assert value.strip() not in str(caught.value)


def test_open_dev_key_creates_private_key_file_and_warns(clean_environment: Path) -> None:
    path = clean_environment / "dev" / "vault.db"

    with pytest.warns(DevelopmentKeyWarning, match="development key"):
        first = Vault.open(path, allow_dev_key=True)
    with first:
        first.add_member(record(0))

    key_file = path.with_name("vault.db.devkey")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with pytest.warns(DevelopmentKeyWarning), Vault.open(path, allow_dev_key=True) as again:
        assert again.personal_data("M-000")[0] == canonicalize(PEOPLE[0])


def test_open_explicit_key_wins_over_dev_key(clean_environment: Path) -> None:
    path = clean_environment / "vault.db"

    with Vault.open(path, KEY, allow_dev_key=True) as opened:
        assert opened.count_by_status()[MemberStatus.PENDING] == 0
    assert not path.with_name("vault.db.devkey").exists()


def test_dev_key_file_corrupt_raises(clean_environment: Path) -> None:
    path = clean_environment / "vault.db"
    key_file = path.with_name("vault.db.devkey")
    key_file.write_text("not a key\n")
    os.chmod(key_file, 0o600)

    with pytest.raises(ConfigError, match="does not hold a 32-byte key"):
        Vault.open(path, allow_dev_key=True)
