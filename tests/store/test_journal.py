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
