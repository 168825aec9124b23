"""Enrollment files: every problem reported with its line and field, valid rows canonical."""

from __future__ import annotations

import csv
from collections.abc import Container
from pathlib import Path

import pytest

from memberledger.consent import ConsentFlags
from memberledger.errors import InvalidRow
from memberledger.intake.enrollment_file import (
    ValidationReport,
    validate_enrollment_file,
    write_rejects,
)
from memberledger.pii.canonical import PersonalData

HEADER = (
    "member_id,wallet,full_name,email,phone,birth_date,tier,"
    "consent_marketing,consent_analytics,consent_partners"
)
W1 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
W2 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
W3 = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"
GOOD_1 = f"M-001,{W1},Ana  DÍAZ,Ana.Diaz@Example.COM,+49 151 1234-5678,1990-02-28,gold,yes,no,1"
GOOD_2 = f"M-002,{W2},Bo Chen,bo@example.org,,,,,,"
FULLWIDTH_EQUALS = "\uff1d"
BELL = "\x07"


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "enroll.csv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def validate(
    tmp_path: Path,
    content: str | bytes,
    *,
    known_member_ids: Container[str] = (),
    known_wallets: Container[str] = (),
    default_region: str | None = None,
) -> ValidationReport:
    return validate_enrollment_file(
        write(tmp_path, content),
        known_member_ids=known_member_ids,
        known_wallets=known_wallets,
        default_region=default_region,
    )


def positions(report: ValidationReport) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in report.errors]


def row(**cells: str) -> str:
    """A data line for HEADER: GOOD_1's cells with some replaced."""
    values = dict(zip(HEADER.split(","), GOOD_1.split(","), strict=True))
    values.update(cells)
    return ",".join(values.values())


# ---------------------------------------------------------------- valid files


def test_validate_enrollment_file_valid_rows_are_canonical(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{GOOD_1}\n{GOOD_2}\n")

    assert report.ok and report.errors == []
    first, second = report.rows
    assert (first.line, first.member_id, first.wallet) == (2, "M-001", W1)
    assert first.personal == PersonalData(
        "ana díaz", "ana.diaz@example.com", "+4915112345678", "1990-02-28"
    )
    assert first.tier == 2
    assert first.consent == ConsentFlags.MARKETING | ConsentFlags.PARTNERS
    assert (second.line, second.tier, second.consent) == (3, 0, 0)
    assert second.personal == PersonalData("bo chen", "bo@example.org")


def test_validate_enrollment_file_wallet_lowercase_becomes_checksummed(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{row(wallet=W1.lower())}\n")

    assert report.rows[0].wallet == W1


def test_validate_enrollment_file_optional_columns_may_be_absent(tmp_path: Path) -> None:
    report = validate(tmp_path, f"email,full_name,wallet,member_id\nbo@example.org,Bo,{W2},M-9\n")

    assert report.errors == []
    assert report.rows[0].personal == PersonalData("bo", "bo@example.org")
    assert (report.rows[0].tier, report.rows[0].consent) == (0, 0)


def test_validate_enrollment_file_strips_byte_order_mark(tmp_path: Path) -> None:
    report = validate(tmp_path, "\ufeff" + f"{HEADER}\r\n{GOOD_1}\r\n")

    assert report.errors == []
    assert report.rows[0].member_id == "M-001"


def test_validate_enrollment_file_default_region_allows_national_numbers(tmp_path: Path) -> None:
    content = f"{HEADER}\n{row(phone='0151 12345678')}\n"

    assert positions(validate(tmp_path, content)) == [(2, "phone")]
    assert validate(tmp_path, content, default_region="DE").rows[0].personal.phone == (
        "+4915112345678"
    )


def test_validate_enrollment_file_quoted_fields_and_blank_rows(tmp_path: Path) -> None:
    content = f'{HEADER}\n\n"M-001","{W1}","Díaz, Ana",ana@example.com,,,,,,\n,,,,,,,,,\n'

    report = validate(tmp_path, content)

    assert report.errors == []
    assert [(r.line, r.personal.full_name) for r in report.rows] == [(3, "díaz, ana")]


def test_validate_enrollment_file_header_only_has_no_rows(tmp_path: Path) -> None:
    report = validate(tmp_path, HEADER + "\n")

    assert (report.rows, report.errors) == ([], [])


# ---------------------------------------------------------------- the corpus of bad input

#: (file content, [(line, field, part of the reason), ...]) — every error the file must give.
BAD_FILES = [
    pytest.param("", [(1, "header", "missing")], id="empty file"),
    pytest.param(f"{GOOD_1}\n", [(1, "header", "missing")], id="no header, data on line 1"),
    pytest.param(
        f"\n{HEADER}\n{row(email='bad')}\n",
        [(3, "email", "not a valid")],
        id="blank line before the header",
    ),
    pytest.param(
        "member_id,wallet,full_name\nM-1,0x,Ana\n",
        [(1, "email", "required column is missing")],
        id="missing required column",
    ),
    pytest.param(
        f"{HEADER},nickname\n{GOOD_1},Ani\n",
        [(1, "nickname", "unknown column")],
        id="unknown column",
    ),
    pytest.param(
        f"{HEADER},email\n{GOOD_1},x@example.com\n",
        [(1, "email", "column appears twice")],
        id="duplicate column",
    ),
    pytest.param(
        HEADER.replace("email", "Email") + f"\n{GOOD_1}\n",
        [(1, "Email", "did you mean 'email'"), (1, "email", "required column is missing")],
        id="column in wrong case",
    ),
    pytest.param(f"{HEADER}\n{GOOD_1},extra\n", [(2, "row", "has 11 fields")], id="too many"),
    pytest.param(
        f"{HEADER}\nM-001,{W1},Ana\n", [(2, "row", "has 3 fields, the header has 10")], id="too few"
    ),
    pytest.param(f"{HEADER}\n{row(member_id='')}\n", [(2, "member_id", "is empty")], id="no id"),
    pytest.param(
        f"{HEADER}\n{row(member_id='M 001')}\n", [(2, "member_id", "use 1 to 64")], id="id space"
    ),
    pytest.param(
        f"{HEADER}\n{row(member_id='M' * 65)}\n", [(2, "member_id", "use 1 to 64")], id="id long"
    ),
    pytest.param(
        f"{HEADER}\n{row(wallet='0xnothex')}\n", [(2, "wallet", "not a wallet")], id="wallet text"
    ),
    pytest.param(
        f"{HEADER}\n{row(wallet=W1[2:])}\n", [(2, "wallet", "not a wallet")], id="wallet no 0x"
    ),
    pytest.param(
        f"{HEADER}\n{row(wallet=W1.replace('a', 'A', 1))}\n",
        [(2, "wallet", "bad EIP-55 checksum")],
        id="wallet bad checksum",
    ),
    pytest.param(
        f"{HEADER}\n{row(wallet='0x' + '0' * 40)}\n",
        [(2, "wallet", "zero address")],
        id="wallet zero",
    ),
    pytest.param(f"{HEADER}\n{row(wallet='')}\n", [(2, "wallet", "is empty")], id="wallet empty"),
    pytest.param(
        f"{HEADER}\n{GOOD_1}\n{GOOD_2}\n{row(wallet=W3)}\n",
        [(4, "member_id", "duplicate of line 2")],
        id="duplicate member id",
    ),
    pytest.param(
        f"{HEADER}\n{GOOD_1}\n{row(member_id='M-003', wallet=W1.upper().replace('0X', '0x'))}\n",
        [(3, "wallet", "duplicate of line 2")],
        id="duplicate wallet other case",
    ),
    pytest.param(
        f"{HEADER}\n{row(full_name='   ')}\n", [(2, "full_name", "is empty")], id="name empty"
    ),
    pytest.param(
        f"{HEADER}\n{row(full_name='=HYPERLINK(x)')}\n",
        [(2, "full_name", "looks like a spreadsheet formula")],
        id="name formula =",
    ),
    pytest.param(
        f"{HEADER}\n{row(full_name='@SUM(A1)')}\n",
        [(2, "full_name", "looks like a spreadsheet formula")],
        id="name formula @",
    ),
    pytest.param(
        f"{HEADER}\n{row(full_name=' ' + FULLWIDTH_EQUALS + '1+1')}\n",
        [(2, "full_name", "looks like a spreadsheet formula")],
        id="name formula fullwidth =",
    ),
    pytest.param(
        f"{HEADER}\n{row(full_name='Ana' + BELL)}\n",
        [(2, "full_name", "control characters")],
        id="name control character",
    ),
    pytest.param(
        f"{HEADER}\n{row(email='ana.example.com')}\n",
        [(2, "email", "not a valid e-mail address")],
        id="email without @",
    ),
    pytest.param(f"{HEADER}\n{row(email='')}\n", [(2, "email", "is empty")], id="email empty"),
    pytest.param(
        f"{HEADER}\n{row(phone='0151 12345678')}\n",
        [(2, "phone", "country code")],
        id="phone without country code",
    ),
    pytest.param(
        f"{HEADER}\n{row(phone='+49 1')}\n", [(2, "phone", "phone number")], id="phone too short"
    ),
    pytest.param(
        f"{HEADER}\n{row(birth_date='28/02/1990')}\n",
        [(2, "birth_date", "YYYY-MM-DD")],
        id="date not ISO",
    ),
    pytest.param(
        f"{HEADER}\n{row(birth_date='1990-02-30')}\n",
        [(2, "birth_date", "not a real calendar date")],
        id="date not real",
    ),
    pytest.param(
        f"{HEADER}\n{row(birth_date='2999-01-01')}\n",
        [(2, "birth_date", "in the future")],
        id="date in future",
    ),
    pytest.param(
        f"{HEADER}\n{row(birth_date='1850-01-01')}\n",
        [(2, "birth_date", "before 1900")],
        id="date too old",
    ),
    pytest.param(
        f"{HEADER}\n{row(tier='diamond')}\n", [(2, "tier", "unknown tier 'diamond'")], id="tier"
    ),
    pytest.param(
        f"{HEADER}\n{row(consent_partners='maybe')}\n",
        [(2, "consent_partners", "'maybe' is not yes/no")],
        id="consent not a yes/no",
    ),
    pytest.param(
        f"{HEADER}\n{row(wallet='0x1', email='nope', tier='9', consent_marketing='y')}\n",
        [
            (2, "wallet", "not a wallet"),
            (2, "email", "not a valid"),
            (2, "tier", "unknown"),
            (2, "consent_marketing", "not yes/no"),
        ],
        id="every error of a row",
    ),
    pytest.param(
        f"{HEADER}\n{row(email='x')}\n{GOOD_2}\n{row(member_id='M-003', wallet=W3, tier='7')}\n",
        [(2, "email", "not a valid"), (4, "tier", "unknown")],
        id="errors on several lines",
    ),
    pytest.param(
        f'{HEADER}\nM-001,{W1},"Ana\nDíaz",ana@example.com,,,,,,\n'
        + row(member_id="M-2", wallet=W2, email="bad")
        + "\n",
        [(4, "email", "not a valid")],
        id="multi-line record counts physical lines",
    ),
    pytest.param(
        f'{HEADER}\n{GOOD_2}\n"M-003,{W3},Ana,ana@example.com,,,,,,\n',
        [(3, "file", "not CSV")],
        id="unterminated quote",
    ),
    pytest.param(
        f'{HEADER}\n{GOOD_2}\nM-003,{W3},"Ana"x,ana@example.com,,,,,,\n',
        [(3, "file", "not CSV")],
        id="text after closing quote",
    ),
    pytest.param(
        f"{HEADER}\r\n\r\n{GOOD_2}\r\n\r\n{row(email='bad')}\r\n",
        [(5, "email", "not a valid")],
        id="blank lines and CRLF keep line numbers",
    ),
    pytest.param(
        f"{HEADER}\n{GOOD_2}\n".encode() + b"M-003,0x,Ana \xff\xfe,a@b.c\n",
        [(3, "file", "not UTF-8 text")],
        id="not UTF-8",
    ),
    pytest.param(
        f"{HEADER}\n{GOOD_2}\n".encode("utf-16"),
        [(1, "file", "not UTF-8 text")],
        id="UTF-16 file",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES)
def test_validate_enrollment_file_reports_line_and_field(
    tmp_path: Path, content: str | bytes, expected: list[tuple[int, str, str]]
) -> None:
    report = validate(tmp_path, content)

    assert positions(report) == [(line, field) for line, field, _ in expected]
    for error, (_, _, reason) in zip(report.errors, expected, strict=True):
        assert reason in error.reason, str(error)
    assert not report.ok


def test_bad_file_corpus_is_large_enough() -> None:
    assert len(BAD_FILES) >= 25


def test_validate_enrollment_file_keeps_valid_rows_beside_errors(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{row(email='x')}\n{GOOD_2}\n")

    assert [r.member_id for r in report.rows] == ["M-002"]
    assert positions(report) == [(2, "email")]


def test_validate_enrollment_file_known_member_id(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{GOOD_1}\n{GOOD_2}\n", known_member_ids={"M-002"})

    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (3, "member_id", "already in the vault")
    ]


def test_validate_enrollment_file_known_wallet_compared_checksummed(tmp_path: Path) -> None:
    content = f"{HEADER}\n{row(wallet=W1.lower())}\n"

    report = validate(tmp_path, content, known_wallets={W1})

    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "wallet", "already in the vault")
    ]


def test_validate_enrollment_file_phone_may_start_with_plus(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{row(phone='+44 20 7946 0958')}\n")

    assert report.errors == []


def test_validate_enrollment_file_error_messages_read_as_one_line(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\n{GOOD_2}\n{GOOD_2}\n")

    assert [str(e) for e in report.errors] == [
        "line 3, field 'member_id': duplicate of line 2",
        "line 3, field 'wallet': duplicate of line 2",
    ]


def test_validate_enrollment_file_does_not_echo_personal_data(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{GOOD_1}\n{GOOD_2}\n")  # the header row was forgotten

    text = str(report.errors).lower()
    assert "díaz" not in text and "ana.diaz" not in text and "bo chen" not in text


# ---------------------------------------------------------------- rejects file


def test_write_rejects_writes_line_field_reason(tmp_path: Path) -> None:
    errors = [
        InvalidRow(2, "email", "not a valid e-mail address"),
        InvalidRow(5, "wallet", "duplicate of line 2"),
    ]
    path = tmp_path / "rejects.csv"

    write_rejects(path, errors)

    with path.open(encoding="utf-8", newline="") as rejects:
        assert list(csv.reader(rejects)) == [
            ["line", "field", "reason"],
            ["2", "email", "not a valid e-mail address"],
            ["5", "wallet", "duplicate of line 2"],
        ]


def test_write_rejects_neutralises_formulas_from_the_input(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER},=cmd|' /C calc'!A0\n{GOOD_1},x\n")
    path = tmp_path / "rejects.csv"

    write_rejects(path, report.errors)

    with path.open(encoding="utf-8", newline="") as rejects:
        rows = list(csv.reader(rejects))
    assert rows[1][:2] == ["1", "'=cmd|' /C calc'!A0"]
