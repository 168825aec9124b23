"""Validating a rewards file: which member earned how many points for which event.

Every event id is credited at most once, ever: a file re-sent by mistake, or a line copied
twice, must not pay twice. The points are base points; the chain applies the tier multiplier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple

from memberledger.errors import InvalidField, InvalidRow
from memberledger.identifiers import parse_wallet
from memberledger.intake.csv_records import Columns, CsvRecord, check_record, open_csv
from memberledger.intake.duplicates import (
    DuplicateIndex,
    MemoryIndex,
    RowOutcome,
    resolve_duplicates,
)
from memberledger.intake.parallel import validate_chunks

REWARDS_COLUMNS = ("event_id", "wallet", "points")
EVENT_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The token's balances are uint256, but one credit above 2**64 - 1 is surely a mistake.
MAX_POINTS = 2**64 - 1

_DECIMAL_DIGITS = re.compile(r"[0-9]+")


class RewardRow(NamedTuple):
    """A valid reward row. (A named tuple: rows travel back from validation workers by the
    hundred thousand, and a tuple pickles several times faster than a dataclass.)"""

    line: int
    event_id: str
    wallet: str
    points: int


@dataclass
class RewardsReport:
    rows: list[RewardRow] = field(default_factory=list)
    errors: list[InvalidRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def scan_rewards_file(
    path: Path, duplicates: DuplicateIndex, *, workers: int = 0
) -> Iterator[RowOutcome[RewardRow]]:
    """Each record's outcome, in file order (see `scan_enrollment_file`); an event id that
    appears twice is an error on the later line."""
    csv_file, header_errors = open_csv(path, REWARDS_COLUMNS, REWARDS_COLUMNS)
    if csv_file is None:
        for error in header_errors:
            yield RowOutcome(error.line, None, [error])
        return
    validator = partial(validate_reward_records, columns=csv_file.columns)
    outcomes = validate_chunks(csv_file.records, validator, workers)
    yield from resolve_duplicates(outcomes, duplicates, REWARDS_COLUMNS)


def validate_reward_records(
    records: Sequence[CsvRecord], *, columns: Columns
) -> list[RowOutcome[RewardRow]]:
    """Validate records on their own, no duplicate check: runs in worker processes."""
    outcomes: list[RowOutcome[RewardRow]] = []
    for record in records:
        cells, errors = check_record(record, columns)
        if cells is None:
            outcomes.append(RowOutcome(record.line, None, errors))
        else:
            outcomes.append(_validate_row(record.line, cells))
    return outcomes


def validate_rewards_file(
    path: Path,
    *,
    is_active_member: Callable[[str], bool] | None = None,
    credited_event_ids: Container[str] = (),
) -> RewardsReport:
    """Every valid row and every error of the file at `path`, in memory (small files).

    `is_active_member` is asked about each valid row's (checksummed) wallet;
    `credited_event_ids` are the events already paid out.
    """
    report = RewardsReport()
    for outcome in scan_rewards_file(path, MemoryIndex()):
        row, errors = outcome.row, list(outcome.errors)
        if row is not None:
            if row.event_id in credited_event_ids:
                errors.append(InvalidRow(row.line, "event_id", "already credited"))
            if is_active_member is not None and not is_active_member(row.wallet):
                errors.append(InvalidRow(row.line, "wallet", "not an active member"))
        if errors:
            report.errors.extend(errors)
        elif row is not None:
            report.rows.append(row)
    return report


def _validate_row(line: int, cells: dict[str, str]) -> RowOutcome[RewardRow]:
    errors: list[InvalidRow] = []
    event_id, wallet, points = "", "", 0
    try:
        event_id = parse_event_id(cells["event_id"])
    except InvalidField as exc:
        errors.append(InvalidRow.from_field(line, exc))
    try:
        wallet = parse_wallet(cells["wallet"])
    except InvalidField as exc:
        errors.append(InvalidRow.from_field(line, exc))
    try:
        points = parse_points(cells["points"])
    except InvalidField as exc:
        errors.append(InvalidRow.from_field(line, exc))
    keys = (("event_id", event_id),)
    if errors:
        return RowOutcome(line, None, errors, keys)
    return RowOutcome(line, RewardRow(line, event_id, wallet, points), [], keys)


def parse_event_id(text: str) -> str:
    event_id = text.strip()
    if not event_id:
        raise InvalidField("event_id", "is empty")
    if not EVENT_ID_PATTERN.fullmatch(event_id):
        raise InvalidField(
            "event_id", "use 1 to 128 letters, digits, '.', '_', ':' or '-' (no spaces)"
        )
    return event_id


def parse_points(text: str) -> int:
    """A positive whole number in plain decimal digits: no sign, point, exponent or
    separators, so "1.5", "1e3" and "1,000" are refused rather than guessed at."""
    digits = text.strip()
    if not digits:
        raise InvalidField("points", "is empty")
    if not _DECIMAL_DIGITS.fullmatch(digits):
        raise InvalidField("points", "not a whole number in decimal digits")
    points = int(digits)
    if points == 0:
        raise InvalidField("points", "must be at least 1")
    if points > MAX_POINTS:
        raise InvalidField("points", "too large")
    return points
