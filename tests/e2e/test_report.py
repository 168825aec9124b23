"""`ape run report`: members and points as tables."""

from __future__ import annotations

from operator_kit import Operator, Run, table_value


def test_report_counts_members_and_points(operator: Operator, enrolled: Run) -> None:
    run = operator.run("report").ok()

    assert "Members by status (chain)" in run.stdout
    assert int(table_value(run.stdout, "active")) >= 7
    assert "Current members by consent" in run.stdout
    assert table_value(run.stdout, "forfeited").replace(",", "").isdigit()
