"""Validating an enrollment file before anything reaches the vault or the chain.

The whole file is checked and every problem reported at once (line, field, reason), so an
operator fixes the spreadsheet in one pass; a file with any error enrols no one.

Columns (header required, any order): member_id, wallet, full_name, email are required;
phone, birth_date, tier, consent_marketing, consent_analytics, consent_partners may be left
out of the header entirely.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from memberledger.consent import ConsentFlags, parse_bool
from memberledger.csv_records import (
    check_field_count,
    check_header,
    read_table,
    write_rejects,
)
from memberledger.errors import InvalidField, InvalidRow
from memberledger.identifiers import parse_member_id, parse_wallet
from memberledger.pii import (
    PersonalData,
    canonical_birth_date,
    canonical_email,
    canonical_full_name,
    canonical_phone,
)
from memberledger.tiers import parse_tier

T = TypeVar("T")

__all__ = [
    "ENROLLMENT_COLUMNS",
    "REQUIRED_COLUMNS",
    "EnrollmentRow",
    "ValidationReport",
    "validate_enrollment_file",
    "write_rejects",
]

ENROLLMENT_COLUMNS = (
    "member_id",
    "wallet",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "tier",
    "consent_marketing",
    "consent_analytics",
    "consent_partners",
)
REQUIRED_COLUMNS = ("member_id", "wallet", "full_name", "email")
CONSENT_COLUMNS: dict[str, ConsentFlags] = {
    "consent_marketing": ConsentFlags.MARKETING,
    "consent_analytics": ConsentFlags.ANALYTICS,
    "consent_partners": ConsentFlags.PARTNERS,
}
#: A name starting with these would run as a formula when the data is opened in a
#: spreadsheet later. (Phone numbers legitimately start with "+".)
NAME_FORMULA_PREFIXES = ("=", "@")


@dataclass(frozen=True)
class EnrollmentRow:
    """One valid member of the file: checksummed wallet, canonical personal data."""

    line: int
    member_id: str
    wallet: str
    personal: PersonalData
    tier: int
    consent: int


@dataclass
class ValidationReport:
    rows: list[EnrollmentRow] = field(default_factory=list)
    errors: list[InvalidRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_enrollment_file(
    path: Path,
    *,
    known_member_ids: Container[str] = (),
    known_wallets: Container[str] = (),
    default_region: str | None = None,
) -> ValidationReport:
    """Every valid row and every error of the file at `path`.

    `known_member_ids` and `known_wallets` (checksummed) are those already in the vault;
    `default_region` (e.g. "DE") lets phone numbers omit their country code.
    """
    report = ValidationReport()
    table = read_table(path)
    if table.error is not None:
        report.errors.append(table.error)
        return report
    positions, header_errors = check_header(table.header, ENROLLMENT_COLUMNS, REQUIRED_COLUMNS)
    if table.header is None or header_errors:
        report.errors.extend(header_errors)
        return report

    seen = _SeenKeys()
    for record in table.records:
        count_error = check_field_count(record, table.header)
        if count_error is not None:
            report.errors.append(count_error)
            continue
        cells = {name: record.cells[index] for name, index in positions.items()}
        row, errors = _validate_row(
            record.line, cells, seen, known_member_ids, known_wallets, default_region
        )
        report.errors.extend(errors)
        if row is not None:
            report.rows.append(row)
    return report


@dataclass
class _SeenKeys:
    """First line of each member id and (lower-cased) wallet met so far in the file."""

    member_ids: dict[str, int] = field(default_factory=dict)
    wallets: dict[str, int] = field(default_factory=dict)


class _RowErrors:
    """Collects every field error of one row instead of stopping at the first."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[InvalidRow] = []

    def check(self, parse: Callable[[], T], default: T) -> T:
        try:
            return parse()
        except InvalidField as exc:
            self.errors.append(InvalidRow.from_field(self.line, exc))
            return default

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(InvalidRow(self.line, field_name, reason))


def _validate_row(
    line: int,
    cells: dict[str, str],
    seen: _SeenKeys,
    known_member_ids: Container[str],
    known_wallets: Container[str],
    default_region: str | None,
) -> tuple[EnrollmentRow | None, list[InvalidRow]]:
    row = _RowErrors(line)
    member_id = row.check(lambda: parse_member_id(cells["member_id"]), "")
    if member_id:
        first = seen.member_ids.setdefault(member_id, line)
        if first != line:
            row.add("member_id", f"duplicate of line {first}")
        elif member_id in known_member_ids:
            row.add("member_id", "already in the vault")

    wallet = row.check(lambda: parse_wallet(cells["wallet"]), "")
    wallet_key = cells["wallet"].strip().lower()
    if wallet_key:
        first = seen.wallets.setdefault(wallet_key, line)
        if first != line:
            row.add("wallet", f"duplicate of line {first}")
        elif wallet and wallet in known_wallets:
            row.add("wallet", "already in the vault")

    personal = PersonalData(
        full_name=row.check(lambda: _full_name(cells["full_name"]), ""),
        email=row.check(lambda: canonical_email(cells["email"]), ""),
        phone=row.check(lambda: canonical_phone(cells.get("phone", ""), default_region), ""),
        birth_date=row.check(lambda: canonical_birth_date(cells.get("birth_date", "")), ""),
    )
    tier = row.check(lambda: parse_tier(cells.get("tier", "")), 0)
    consent = ConsentFlags(0)
    for column, flag in CONSENT_COLUMNS.items():
        if row.check(partial(parse_bool, cells.get(column, ""), column), False):
            consent |= flag

    if row.errors:
        return None, row.errors
    return EnrollmentRow(line, member_id, wallet, personal, tier, int(consent)), []


def _full_name(text: str) -> str:
    name = canonical_full_name(text)
    if name.startswith(NAME_FORMULA_PREFIXES):
        raise InvalidField("full_name", "looks like a spreadsheet formula")
    return name
