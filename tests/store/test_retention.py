"""Retention: old confirmed journal batches leave the vault (archived first, if asked) only when
they are old, deep and still shown by the chain; a removed reward event is still refused a
second credit; compaction gives the space back and keeps erased members erased."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from memberledger.bulk.courier import ROLLBACK_WINDOW
from memberledger.errors import JournalError, VaultError
from memberledger.identifiers import event_tag
from memberledger.pii.canonical import PersonalData, canonicalize
from memberledger.pii.commitment import commit_person
from memberledger.store.database import Database
from memberledger.store.journal import (
    BatchKind,
    BatchStatus,
    CreditEntry,
    Journal,
    RetirableBatch,
    SentTransaction,
)
from memberledger.store.retention import (
    DEFAULT_DEPTH,
    RetentionPolicy,
    candidates,
    read_archive,
    retire_batches,
)
from memberledger.store.vault import MemberRecord, Vault

WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
OTHER_WALLET = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
HEAD = 1_000
#: Rows confirmed "now" count as older than zero days a moment later.
ANY_AGE = RetentionPolicy(dt.timedelta(0), depth=10)


def later() -> dt.datetime:
    """A moment from now: rows confirmed so far are older than zero days then."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)


KEY = bytes.fromhex("11" * 32)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database(tmp_path / "vault.db")
    yield opened
    opened.close()


@pytest.fixture
def journal(database: Database) -> Journal:
    return Journal(database)


def credit_batch(journal: Journal, events: Sequence[str], *, block: int | None = None) -> str:
    """A credit batch of `events` (2 points each to WALLET), sent, and confirmed in `block`
    (left sent if None)."""
    entries = [CreditEntry(event, WALLET, 2) for event in events]
    (identity,) = journal.plan(BatchKind.CREDIT, entries, len(entries))
    tx_hash = "0x" + identity[2:66]
    journal.record_sent(SentTransaction(tx_hash, identity, 0, 90_000, 10, 1, "then"))
    if block is not None:
        journal.record_confirmed(identity, tx_hash, block, 60_000, "0x" + "bb" * 32)
    return identity


def member(index: int) -> MemberRecord:
    personal = canonicalize(PersonalData(f"Zéphyrine Quantock {index}", f"z{index}@example.org"))
    salt = bytes([index + 1]) * 32
    wallet = (WALLET, OTHER_WALLET)[index]
    return MemberRecord(
        f"M-{index:03d}", wallet, personal, salt, commit_person(personal, salt), 1, 0
    )


def raw_files(path: Path) -> bytes:
    """The database file and its write-ahead log, as someone copying them would see."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def raw_sealed(path: Path, member_id: str) -> bytes:
    db = sqlite3.connect(path)
    try:
        (sealed,) = db.execute(
            "SELECT sealed FROM members WHERE member_id = ?", (member_id,)
        ).fetchone()
    finally:
        db.close()
    return bytes(sealed)


def everything_shown(batches: Sequence[RetirableBatch]) -> set[str]:
    return {batch.batch_id for batch in batches}


def staged_matches(
    database: Database, journal: Journal, rows: list[tuple[str, str, str]]
) -> list[tuple[int, bool, BatchStatus]]:
    """`Journal.match_staged_credits` on rows (event id, wallet, points) staged as a bulk run
    would (by the event's tag): (line, same wallet and points, status)."""
    database.execute("DROP TABLE IF EXISTS temp.staged_test")
    database.execute(
        "CREATE TABLE temp.staged_test (line INTEGER PRIMARY KEY, tag TEXT, wallet TEXT, "
        "points TEXT)"
    )
    database.executemany(
        "INSERT INTO temp.staged_test VALUES (?, ?, ?, ?)",
        [
            (line, "0x" + event_tag(event_id).hex(), wallet, points)
            for line, (event_id, wallet, points) in enumerate(rows, start=2)
        ],
    )
    query = "SELECT line, tag, wallet, points FROM temp.staged_test"
    return sorted((m.line, m.same, m.status) for m in journal.match_staged_credits(query))


def test_by_default_nothing_the_courier_may_still_reopen_is_a_candidate(
    journal: Journal,
) -> None:
    """The courier re-checks confirmed batches mined at or after head - ROLLBACK_WINDOW."""
    credit_batch(journal, ["in-window"], block=HEAD - ROLLBACK_WINDOW)
    below = credit_batch(journal, ["below-window"], block=HEAD - ROLLBACK_WINDOW - 1)
    policy = RetentionPolicy(dt.timedelta(0))

    assert policy.depth == DEFAULT_DEPTH
    assert [b.batch_id for b in candidates(journal, policy, HEAD, later())] == [below]


def test_candidates_are_confirmed_old_and_deep_batches_only(journal: Journal) -> None:
    deep = credit_batch(journal, ["deep"], block=HEAD - 10)
    credit_batch(journal, ["shallow"], block=HEAD - 9)
    credit_batch(journal, ["in-flight"])
    (planned,) = journal.plan(BatchKind.CREDIT, [CreditEntry("planned", WALLET, 1)], 5)

    assert [b.batch_id for b in candidates(journal, ANY_AGE, HEAD, later())] == [deep]
    young = RetentionPolicy(dt.timedelta(days=1), depth=10)
    assert candidates(journal, young, HEAD, later()) == []  # confirmed a moment ago
    assert journal.get(planned) is not None


def test_retire_removes_the_batch_and_keeps_its_events_as_retired_keys(
    journal: Journal,
) -> None:
    identity = credit_batch(journal, ["visit-1", "visit-2"], block=HEAD - 20)

    outcome = retire_batches(journal, ANY_AGE, HEAD, everything_shown, now=later())

    assert (outcome.candidates, outcome.removed.batches, outcome.removed.rows) == (1, 1, 2)
    assert journal.get(identity) is None
    assert journal.transactions(identity) == []
    assert journal.retired_keys(BatchKind.CREDIT, ["visit-2", "other", "visit-1"]) == [
        "visit-2",
        "visit-1",
    ]
    assert journal.entry_status(BatchKind.CREDIT, "visit-1") is BatchStatus.CONFIRMED
    assert journal.unbatched(BatchKind.CREDIT, ["visit-1", "new"]) == ["new"]
    totals = journal.totals(BatchKind.CREDIT)
    assert (totals.batches, totals.rows, totals.gas_used) == (1, 2, 60_000)


def test_a_retired_event_is_done_again_and_refused_with_other_wallet_or_points(
    database: Database, journal: Journal
) -> None:
    credit_batch(journal, ["visit-1", "visit-2", "visit-3"], block=HEAD - 20)
    retire_batches(journal, ANY_AGE, HEAD, everything_shown, now=later())

    matches = staged_matches(
        database,
        journal,
        [("visit-1", WALLET, "2"), ("visit-2", OTHER_WALLET, "2"), ("visit-3", WALLET, "3")],
    )

    assert matches == [
        (2, True, BatchStatus.CONFIRMED),  # the same credit: done
        (3, False, BatchStatus.CONFIRMED),  # another wallet: an error in the file
        (4, False, BatchStatus.CONFIRMED),  # other points: an error in the file
    ]


def test_a_retired_event_can_never_be_planned_again(journal: Journal) -> None:
    credit_batch(journal, ["visit-1"], block=HEAD - 20)
    retire_batches(journal, ANY_AGE, HEAD, everything_shown, now=later())

    with pytest.raises(JournalError, match="'visit-1' was confirmed long ago and retired"):
        journal.plan(
            BatchKind.CREDIT, [CreditEntry("new", WALLET, 1), CreditEntry("visit-1", WALLET, 2)], 5
        )

    assert journal.unbatched(BatchKind.CREDIT, ["new"]) == ["new"]  # nothing of it planned


def test_a_batch_the_chain_does_not_show_stays(journal: Journal) -> None:
    shown = credit_batch(journal, ["a"], block=HEAD - 30)
    hidden = credit_batch(journal, ["b"], block=HEAD - 30)

    outcome = retire_batches(journal, ANY_AGE, HEAD, lambda batches: {shown}, now=later())

    assert outcome.unconfirmed_by_chain == [hidden]
    assert journal.get(shown) is None
    batch = journal.get(hidden)
    assert batch is not None and batch.status is BatchStatus.CONFIRMED


def test_archive_holds_every_row_removed_and_is_owner_only(
    journal: Journal, tmp_path: Path
) -> None:
    first = credit_batch(journal, ["visit-1", "visit-2"], block=HEAD - 40)
    second = credit_batch(journal, ["visit-3"], block=HEAD - 30)
    folder = tmp_path / "archive"

    outcome = retire_batches(
        journal, ANY_AGE, HEAD, everything_shown, archive_to=folder, now=later()
    )

    assert outcome.archive is not None and outcome.archive.parent == folder
    assert stat.S_IMODE(outcome.archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    header, rows = read_archive(outcome.archive)
    assert header["batches"] == 2 and header["chain_head"] == HEAD
    assert [(table, row.get("entry_key") or row["batch_id"]) for table, row in rows] == [
        ("journal_batches", first),
        ("journal_entries", "visit-1"),
        ("journal_entries", "visit-2"),
        ("journal_transactions", first),
        ("journal_batches", second),
        ("journal_entries", "visit-3"),
        ("journal_transactions", second),
    ]
    batch_row = rows[0][1]
    assert (batch_row["status"], batch_row["block"], batch_row["gas_used"]) == (
        "confirmed",
        HEAD - 40,
        60_000,
    )
    assert rows[1][1]["wallet"] == WALLET and rows[1][1]["points"] == "2"


def test_the_archive_is_on_disk_before_anything_is_removed(
    journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = credit_batch(journal, ["visit-1"], block=HEAD - 40)

    def crash(batch_ids: Sequence[str]) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(journal, "retire", crash)
    with pytest.raises(OSError, match="power cut"):
        retire_batches(
            journal, ANY_AGE, HEAD, everything_shown, archive_to=tmp_path / "a", now=later()
        )

    (written,) = (tmp_path / "a").iterdir()
    assert len(read_archive(written)[1]) == 3
    assert journal.get(identity) is not None  # still whole: a second run archives it again
    monkeypatch.undo()
    again = retire_batches(journal, ANY_AGE, HEAD, everything_shown, archive_to=tmp_path / "a")
    assert again.removed.batches == 1 and journal.get(identity) is None


def test_retire_refuses_a_batch_that_is_not_confirmed(journal: Journal) -> None:
    sent = credit_batch(journal, ["visit-1"])

    with pytest.raises(JournalError, match="is sent, not confirmed"):
        journal.retire([sent])

    assert journal.get(sent) is not None


def test_a_negative_age_or_depth_is_refused() -> None:
    with pytest.raises(VaultError, match="cannot be negative"):
        RetentionPolicy(dt.timedelta(days=-1))
    with pytest.raises(VaultError, match="cannot be negative"):
        RetentionPolicy(dt.timedelta(0), depth=-1)


def test_retirement_then_compaction_shrinks_the_vault(database: Database, journal: Journal) -> None:
    for start in range(0, 6_000, 500):
        credit_batch(journal, [f"event-{i:06d}" for i in range(start, start + 500)], block=1)
    database.checkpoint()
    full = database.size()

    retire_batches(journal, ANY_AGE, HEAD, everything_shown, now=later())
    before, after = database.compact()

    assert before >= full  # deleting frees pages inside the file, it does not shrink it
    assert after < full * 0.6, (full, after)
    assert database.size() == after
    if not database.is_postgres:  # (on PostgreSQL there is no file to read)
        assert b"event-000001" in database.path.read_bytes()  # the retired key stays


@pytest.mark.sqlite_only  # PostgreSQL: test_vault.py's erasure tests
def test_compaction_keeps_an_erased_member_erased(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    with Vault(path, KEY) as vault:
        vault.add_members([member(0), member(1)])
        sealed = raw_sealed(path, "M-000")
        vault.erase("M-000")
    database = Database(path)
    try:
        database.compact()
    finally:
        database.close()

    assert sealed not in raw_files(path)
    assert sealed[12:44] not in raw_files(path)
    with Vault(path, KEY) as vault:
        assert vault.personal_data("M-001")[1] == member(1).salt
