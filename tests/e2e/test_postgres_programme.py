"""One operator's programme in PostgreSQL through the real scripts: enrollment, rewards, the
reads from the chain index (schema `idx`), verification, and an erasure that leaves no piece
of the member's sealed record in the database's files."""

from __future__ import annotations

from pathlib import Path

import psycopg
from operator_kit import member_row, new_operator, table_value, write_members, write_rewards
from pg_kit import PostgresServer, relation_bytes


def test_a_programme_in_postgres_enrolls_credits_reads_verifies_and_erases(
    anvil_url: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.new_database("programme")
    operator = new_operator(anvil_url, tmp_path, MEMBERLEDGER_DATABASE_URL=url)
    rows = [member_row(f"pg-{i}", tier="basic") for i in range(5)]
    operator.run("enroll", write_members(tmp_path / "members.csv", rows)).ok()
    rewards = [(f"pg-order:{i}", row["wallet"], 10 * (i + 1)) for i, row in enumerate(rows)]
    credited = operator.run("issue_rewards", write_rewards(tmp_path / "orders.csv", rewards)).ok()
    assert table_value(credited.stdout, "credited now") == "5"

    report = operator.run("report").ok()
    member = operator.run("member", "pg-2").ok()
    verified = operator.run("verify").ok()

    assert table_value(report.stdout, "outstanding (total supply)") == "150"
    assert table_value(report.stdout, "reward events credited") == "5"
    assert "+30 points credited for reward event pg-order:2" in member.stdout  # the index
    assert table_value(verified.stdout, "commitment recomputed and compared") == "5"
    assert table_value(verified.stdout, "mismatches") == "0"
    with psycopg.connect(url) as pg:
        found = pg.execute("SELECT sealed FROM members WHERE member_id = 'pg-2'").fetchone()
        indexed = pg.execute("SELECT count(*) FROM idx.index_members").fetchone()
    assert found is not None and indexed is not None and indexed[0] == 5
    sealed = bytes(found[0])
    assert sealed[12:44] in relation_bytes(url)

    operator.run("erase", "pg-2", "--yes").ok()

    assert sealed[12:44] not in relation_bytes(url)
    assert not (tmp_path / "vault.db").exists()  # everything went to PostgreSQL
