"""The access log's table: rows added in order with a time and a known reason, read newest
first; a new vault file has it (migration 0003_access_log)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memberledger.store.access_log import REASONS, AccessLog
from memberledger.store.database import Database

STAFF = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
WALLET = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_record_keeps_views_newest_first(tmp_path: Path) -> None:
    database = Database(tmp_path / "vault.db")
    try:
        log = AccessLog(database)
        first = log.record(STAFF, "M-001", WALLET, "support_case")
        second = log.record(STAFF, "M-002", WALLET, "member_request")
        entries = log.latest()
        assert [e.member_id for e in entries] == ["M-002", "M-001"]
        assert entries[0] == second and entries[1] == first
        assert second.entry > first.entry
        assert first.viewed_at.endswith("Z") and len(first.viewed_at) == 20
        assert log.latest(1) == [second]
    finally:
        database.close()


def test_record_refuses_an_unknown_reason(tmp_path: Path) -> None:
    database = Database(tmp_path / "vault.db")
    try:
        with pytest.raises(ValueError, match="curiosity"):
            AccessLog(database).record(STAFF, "M-001", WALLET, "curiosity")
        assert AccessLog(database).latest() == []
        assert "support_case" in REASONS
    finally:
        database.close()


def test_a_new_vault_file_has_the_access_log(tmp_path: Path) -> None:
    database = Database(tmp_path / "vault.db")
    try:
        assert database.columns("access_log") == {
            "entry", "viewed_at", "staff", "member_id", "wallet", "reason",
        }  # fmt: skip
    finally:
        database.close()
