"""Validating an enrollment file before anything reaches the vault or the chain.

The whole file is checked and every problem reported at once (line, field, reason), so an
operator fixes the spreadsheet in one pass; a file with any error enrols no one.

Columns (header required, any order): member_id, wallet, full_name, email are required;
phone, birth_date, tier, consent_marketing, consent_analytics, consent_partners may be left
out of the header entirely.

The file is streamed: records are validated a chunk at a time (in worker processes for large
files, see `memberledger.intake.parallel`), and the only state kept across the file is the index of
member ids and wallets seen so far (`DuplicateIndex`), so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from memberledger.consent import ConsentFlags, parse_bool
from memberledger.errors import InvalidField, InvalidRow
from memberledger.identifiers import parse_member_id, parse_wallet
from memberledger.intake.csv_records import (
    Columns,
    CsvRecord,
    check_record,
    open_csv,
    write_rejects,
)
from memberledger.intake.duplicates import (
    DuplicateIndex,
    MemoryIndex,
    RowOutcome,
    resolve_duplicates,
)
from memberledger.intake.parallel import ChunkValidator, validate_chunks
from memberledger.pii.canonical import (
    PersonalData,
    as_given,
    canonical_birth_date,
    canonical_email,
    canonical_full_name,
    canonical_phone,
)
from memberledger.pii.sealing import SEALING_RANDOMNESS, Sealer
from memberledger.tiers import parse_tier

T = TypeVar("T")
R = TypeVar("R")

__all__ = [
    "ENROLLMENT_COLUMNS",
    "REQUIRED_COLUMNS",
    "EnrollmentRow",
    "SealedRow",
    "ValidationReport",
    "scan_enrollment_file",
    "scan_sealed_enrollment_file",
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
_CONSENT_BITS = tuple((column, int(flag)) for column, flag in CONSENT_COLUMNS.items())
#: A name or e-mail starting with these would run as a formula when the data is opened in a
#: spreadsheet later. (Phone numbers legitimately start with "+".)
NAME_FORMULA_PREFIXES = ("=", "@")


@dataclass(frozen=True)
class EnrollmentRow:
    """One valid member of the file: checksummed wallet, canonical personal data (what the
    commitment hashes) and the data as the member gave it (what they are shown)."""

    line: int
    member_id: str
    wallet: str
    personal: PersonalData
    tier: int
    consent: int
    given: PersonalData | None = None


class SealedRow(NamedTuple):
    """One valid member of the file as a bulk run stages it: sealed for the vault, with its
    commitment, and no personal data in the clear (a plain tuple, cheap to send back from a
    validation worker)."""

    line: int
    member_id: str
    wallet: str
    commitment: str  # hex
    consent: int
    tier: int
    sealed: bytes
    fingerprint: bytes


@dataclass
class ValidationReport:
    rows: list[EnrollmentRow] = field(default_factory=list)
    errors: list[InvalidRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def scan_enrollment_file(
    path: Path,
    duplicates: DuplicateIndex,
    *,
    default_region: str | None = None,
    workers: int = 0,
) -> Iterator[RowOutcome[EnrollmentRow]]:
    """Each record's outcome, in file order: the valid row, or its errors (a duplicate member
    id or wallet names the line it first appeared on). Problems with the file itself (header,
    encoding, quoting) come as outcomes without a row; after one of those nothing follows.

    `workers` > 0 validates in that many worker processes, for large files.
    """
    validator = partial(validate_enrollment_records, default_region=default_region)
    return _scan(path, duplicates, validator, workers)


def scan_sealed_enrollment_file(
    path: Path,
    duplicates: DuplicateIndex,
    sealer: Sealer,
    *,
    default_region: str | None = None,
    workers: int = 0,
    worker_setup: Callable[[], None] | None = None,
) -> Iterator[RowOutcome[SealedRow]]:
    """`scan_enrollment_file`, each valid row sealed for the vault by `sealer` (in the
    workers too: sealing is a quarter of the work of a row). `worker_setup` runs in each
    worker as it starts."""
    validator = partial(seal_enrollment_records, default_region=default_region, sealer=sealer)
    return _scan(path, duplicates, validator, workers, worker_setup)


def _scan(
    path: Path,
    duplicates: DuplicateIndex,
    validator: Callable[..., list[RowOutcome[R]]],
    workers: int,
    worker_setup: Callable[[], None] | None = None,
) -> Iterator[RowOutcome[R]]:
    csv_file, header_errors = open_csv(path, ENROLLMENT_COLUMNS, REQUIRED_COLUMNS)
    if csv_file is None:
        for error in header_errors:
            yield RowOutcome(error.line, None, [error])
        return
    chunk_validator: ChunkValidator[R] = partial(validator, columns=csv_file.columns)
    outcomes = validate_chunks(csv_file.records, chunk_validator, workers, worker_setup)
    yield from resolve_duplicates(outcomes, duplicates, ENROLLMENT_COLUMNS)


def validate_enrollment_file(
    path: Path,
    *,
    known_member_ids: Container[str] = (),
    known_wallets: Container[str] = (),
    default_region: str | None = None,
) -> ValidationReport:
    """Every valid row and every error of the file at `path`, in memory (small files).

    `known_member_ids` and `known_wallets` (checksummed) are those already in the vault;
    `default_region` (e.g. "DE") lets phone numbers omit their country code.
    """
    report = ValidationReport()
    for outcome in scan_enrollment_file(path, MemoryIndex(), default_region=default_region):
        errors = outcome.errors
        row = outcome.row
        if row is not None:
            if row.member_id in known_member_ids:
                errors = [*errors, InvalidRow(row.line, "member_id", "already in the vault")]
            if row.wallet in known_wallets:
                errors = [*errors, InvalidRow(row.line, "wallet", "already in the vault")]
        if errors:
            report.errors.extend(errors)
        elif row is not None:
            report.rows.append(row)
    return report


def validate_enrollment_records(
    records: Sequence[CsvRecord], *, columns: Columns, default_region: str | None
) -> list[RowOutcome[EnrollmentRow]]:
    """Validate records on their own, no duplicate check: runs in workers."""
    outcomes: list[RowOutcome[EnrollmentRow]] = []
    # Once per chunk: asking for the date costs a look at the time zone file each time.
    today = dt.date.today()
    for record in records:
        cells, errors = check_record(record, columns)
        if cells is None:
            outcomes.append(RowOutcome(record.line, None, errors))
            continue
        outcomes.append(_validate_row(record.line, cells, default_region, today))
    return outcomes


def seal_enrollment_records(
    records: Sequence[CsvRecord], *, columns: Columns, default_region: str | None, sealer: Sealer
) -> list[RowOutcome[SealedRow]]:
    """Validate records on their own and seal each valid one: runs in workers."""
    outcomes: list[RowOutcome[SealedRow]] = []
    validated = validate_enrollment_records(records, columns=columns, default_region=default_region)
    # Every row's salt and nonce in one draw from the system's CSPRNG, each slice used once.
    # Drawn here, per call, never kept: a pool kept across calls would be copied into every
    # forked worker, and two workers would seal with the same salts and nonces.
    randomness = secrets.token_bytes(SEALING_RANDOMNESS * len(validated))
    for index, outcome in enumerate(validated):
        row = outcome.row
        if row is None:
            outcomes.append(RowOutcome(outcome.line, None, outcome.errors, outcome.keys))
            continue
        start = index * SEALING_RANDOMNESS
        member = sealer.seal_new_member(
            row.member_id,
            row.wallet,
            row.personal,
            randomness[start : start + SEALING_RANDOMNESS],
            row.given,
        )
        sealed = SealedRow(
            row.line,
            row.member_id,
            row.wallet,
            member.commitment.hex,
            row.consent,
            row.tier,
            member.sealed,
            member.fingerprint,
        )
        outcomes.append(RowOutcome(outcome.line, sealed, [], outcome.keys))
    return outcomes


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


def _validate_row(
    line: int, cells: dict[str, str], default_region: str | None, today: dt.date
) -> RowOutcome[EnrollmentRow]:
    row = _RowErrors(line)
    member_id = row.check(lambda: parse_member_id(cells["member_id"]), "")
    wallet = row.check(lambda: parse_wallet(cells["wallet"]), "")
    personal = PersonalData(
        full_name=row.check(
            lambda: _not_formula("full_name", canonical_full_name(cells["full_name"])), ""
        ),
        email=row.check(lambda: _not_formula("email", canonical_email(cells["email"])), ""),
        phone=row.check(lambda: canonical_phone(cells.get("phone", ""), default_region), ""),
        birth_date=row.check(
            lambda: canonical_birth_date(cells.get("birth_date", ""), today=today), ""
        ),
    )
    tier = row.check(lambda: parse_tier(cells.get("tier", "")), 0)
    consent = 0  # a plain int: or-ing enum flags costs a microsecond each
    for column, flag in _CONSENT_BITS:
        if row.check(partial(parse_bool, cells.get(column, ""), column), False):
            consent |= flag

    keys = (("member_id", member_id), ("wallet", cells["wallet"].strip().lower()))
    if row.errors:
        return RowOutcome(line, None, row.errors, keys)
    given = as_given(
        PersonalData(
            cells["full_name"],
            cells["email"],
            cells.get("phone", ""),
            cells.get("birth_date", ""),
        )
    )
    valid = EnrollmentRow(line, member_id, wallet, personal, tier, consent, given)
    return RowOutcome(line, valid, [], keys)


def _not_formula(column: str, value: str) -> str:
    if value.startswith(NAME_FORMULA_PREFIXES):
        raise InvalidField(column, "looks like a spreadsheet formula")
    return value
