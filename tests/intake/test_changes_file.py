"""A changes file (`members apply`): each row checked on its own, every problem reported with
its line and field, personal data never echoed."""

from __future__ import annotations

from pathlib import Path

from memberledger.intake.changes_file import ChangeRow, read_changes_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "changes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_rows_are_read_in_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "member,action,value\n"
        "m-1,tier,Gold\n"
        "m-2,suspend,lost card\n"
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed,reinstate,\n"
        "m-3,email,New@Example.org\n"
        "m-3,phone,\n",
    )

    report = read_changes_file(path)

    assert report.errors == []
    assert report.rows == [
        ChangeRow(2, "m-1", "tier", "2"),
        ChangeRow(3, "m-2", "suspend", "lost card"),
        ChangeRow(4, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "reinstate", ""),
        ChangeRow(5, "m-3", "email", "New@Example.org"),
        ChangeRow(6, "m-3", "phone", ""),
    ]


def test_every_problem_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "member,action,value\n"
        "m 1,tier,gold\n"
        "m-2,promote,\n"
        "m-3,tier,\n"
        "m-4,revoke,now\n"
        "m-5,email,private-text\n"
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,suspend,\n",
    )

    report = read_changes_file(path)

    found = [(e.line, e.field) for e in report.errors]
    assert found == [
        (2, "member"),
        (3, "action"),
        (4, "value"),
        (5, "value"),
        (6, "value"),
        (7, "member"),
    ]
    assert all("private-text" not in str(error) for error in report.errors)
    assert "checksum" in str(report.errors[-1])


def test_a_missing_header_column_is_one_error(tmp_path: Path) -> None:
    report = read_changes_file(write(tmp_path, "member,value\nm-1,gold\n"))

    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (1, "action", "required column is missing")
    ]
