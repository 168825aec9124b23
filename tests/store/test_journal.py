"""The send journal on its own: batch ids, planning, and the rows it keeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memberledger.errors import JournalError
from memberledger.store.database import Database
from memberledger.store.journal import BatchKind, CreditEntry, Journal, batch_id

WALLET = "0x" + "ab" * 20


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    database = Database(tmp_path / "vault.db")
    yield Journal(database)
    database.close()


def test_batch_id_depends_on_kind_and_rows_not_their_order() -> None:
    assert batch_id(BatchKind.CREDIT, ["b", "a"]) == batch_id(BatchKind.CREDIT, ["a", "b"])
    assert batch_id(BatchKind.CREDIT, ["a", "b"]) != batch_id(BatchKind.ENROLL, ["a", "b"])
    assert batch_id(BatchKind.CREDIT, ["a", "b"]) != batch_id(BatchKind.CREDIT, ["a"])


def test_plan_refuses_a_row_already_in_a_live_batch(journal: Journal) -> None:
    entry = CreditEntry("event-1", WALLET, 5)
    journal.plan(BatchKind.CREDIT, [entry], 10)

    with pytest.raises(JournalError, match="already in batch"):
        journal.plan(BatchKind.CREDIT, [entry], 10)


def test_unbatched_keeps_the_keys_no_live_batch_holds_in_order(journal: Journal) -> None:
    journal.plan(BatchKind.CREDIT, [CreditEntry("b", WALLET, 1)], 10)

    assert journal.unbatched(BatchKind.CREDIT, ["c", "b", "a"]) == ["c", "a"]
    assert journal.unbatched(BatchKind.ENROLL, ["b"]) == ["b"]


ALICE, BOB, CAROL = ("0x" + c * 40 for c in "abc")


def test_claim_gives_a_sender_its_own_open_batches_nobodys_and_idle_accounts(
    journal: Journal,
) -> None:
    def planned(key: str, sender: str | None) -> str:
        (identity,) = journal.plan(BatchKind.CREDIT, [CreditEntry(key, WALLET, 1)], 10, sender)
        return identity

    nobodys, alices, bobs, carols = (
        planned("nobody", None),
        planned("alice", ALICE),
        planned("bob", BOB),
        planned("carol", CAROL),
    )
    journal.record_failed(planned("alice-failed", ALICE), "refused")
    assert journal.open_senders(BatchKind.CREDIT) == [ALICE, BOB, CAROL]

    # Bob's machine is running (not idle): his batch stays his; Carol's is taken over.
    assert journal.claim(BatchKind.CREDIT, ALICE, idle=[CAROL]) == [nobodys, alices, carols]
    assert journal.claim(BatchKind.CREDIT, BOB) == [bobs]
    assert journal.claim(BatchKind.CREDIT, CAROL) == []
    assert journal.claim(BatchKind.ENROLL, ALICE) == []
