"""Switching a programme from its SQLite file to PostgreSQL (README "Growing past one
machine"): `ape run vault copy-to-postgresql` copies the vault, and the programme goes on from
the database: the same members, their history from an index rebuilt there, the same file
found already enrolled, new rewards credited once, a second machine enrolling beside it."""

from __future__ import annotations

from pathlib import Path

from operator_kit import (
    member_row,
    new_operator,
    one_red_line,
    second_machine,
    table_value,
    write_members,
    write_rewards,
)
from pg_kit import PostgresServer


def test_a_sqlite_programme_copied_into_postgresql_goes_on_there(
    anvil_url: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    operator = new_operator(anvil_url, tmp_path / "a")
    rows = [member_row(f"switch-{i}") for i in range(6)]
    members = write_members(tmp_path / "members.csv", rows)
    operator.run("enroll", members, "--batch-size", "4").ok()
    first_rewards = [(f"switch-visit-{i}", row["wallet"], 10) for i, row in enumerate(rows)]
    operator.run("issue_rewards", write_rewards(tmp_path / "r1.csv", first_rewards)).ok()

    refused = operator.run("vault", "copy-to-postgresql", network=False)
    assert "set MEMBERLEDGER_DATABASE_URL" in one_red_line(refused)

    url = postgres_server.new_database("switch")
    operator.env["MEMBERLEDGER_DATABASE_URL"] = url
    copied = operator.run("vault", "copy-to-postgresql", network=False).ok()
    assert table_value(copied.stdout, "members") == "6"
    again = operator.run("vault", "copy-to-postgresql", network=False)
    assert "already holds a vault" in one_red_line(again)

    (tmp_path / "a" / "vault.db").rename(tmp_path / "a" / "kept-as-backup.db")
    done = operator.run("enroll", members).ok()
    assert table_value(done.stdout, "already enrolled") == "6"
    shown = operator.run("member", rows[2]["wallet"]).ok()
    assert "switch-2" in shown.stdout and "switch-visit-2" in shown.stdout
    second_rewards = [(f"switch-shop-{i}", row["wallet"], 3) for i, row in enumerate(rows)]
    credited = operator.run("issue_rewards", write_rewards(tmp_path / "r2.csv", second_rewards))
    assert table_value(credited.ok().stdout, "credited now") == "6"
    repeated = operator.run("issue_rewards", tmp_path / "r1.csv").ok()
    assert table_value(repeated.stdout, "already credited") == "6"

    (tmp_path / "b").mkdir()
    second, address = second_machine(operator, tmp_path / "b")
    operator.run("roles", "grant", "registrar", address, "--yes").ok()
    more = write_members(tmp_path / "more.csv", [member_row(f"switch-b-{i}") for i in range(3)])
    assert table_value(second.run("enroll", more).ok().stdout, "enrolled now") == "3"
    report = operator.run("report").ok()
    assert table_value(report.stdout, "enrolled") == "9"
