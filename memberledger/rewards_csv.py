"""Validating a rewards file: which member earned how many points for which event.

Every event id is credited at most once, ever: a file re-sent by mistake, or a line copied
twice, must not pay twice. The points are base points; the chain applies the tier multiplier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path

from memberledger.csv_records import check_field_count, check_header, read_table
from memberledger.errors import InvalidField, InvalidRow
from memberledger.identifiers import parse_wallet

REWARDS_COLUMNS = ("event_id", "wallet", "points")
EVENT_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The token's balances are uint256, but one credit above 2**64 - 1 is surely a mistake.
MAX_POINTS = 2**64 - 1

_DECIMAL_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class RewardRow:
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


def validate_rewards_file(
    path: Path,
    *,
    is_active_member: Callable[[str], bool] | None = None,
    credited_event_ids: Container[str] = (),
) -> RewardsReport:
    """Every valid row and every error of the file at `path`.

    `is_active_member` is asked about each (checksummed) wallet; `credited_event_ids` are
    the events already paid out.
    """
    report = RewardsReport()
    table = read_table(path)
    if table.error is not None:
        report.errors.append(table.error)
        return report
    positions, header_errors = check_header(table.header, REWARDS_COLUMNS, REWARDS_COLUMNS)
    if table.header is None or header_errors:
        report.errors.extend(header_errors)
        return report

    first_line_of_event: dict[str, int] = {}
    for record in table.records:
        count_error = check_field_count(record, table.header)
        if count_error is not None:
            report.errors.append(count_error)
            continue
        line = record.line
        errors: list[InvalidRow] = []
        event_id, wallet, points = "", "", 0
        try:
            event_id = parse_event_id(record.cells[positions["event_id"]])
        except InvalidField as exc:
            errors.append(InvalidRow.from_field(line, exc))
        if event_id:
            first = first_line_of_event.setdefault(event_id, line)
            if first != line:
                errors.append(InvalidRow(line, "event_id", f"duplicate of line {first}"))
            elif event_id in credited_event_ids:
                errors.append(InvalidRow(line, "event_id", "already credited"))
        try:
            wallet = parse_wallet(record.cells[positions["wallet"]])
        except InvalidField as exc:
            errors.append(InvalidRow.from_field(line, exc))
        if wallet and is_active_member is not None and not is_active_member(wallet):
            errors.append(InvalidRow(line, "wallet", "not an active member"))
        try:
            points = parse_points(record.cells[positions["points"]])
        except InvalidField as exc:
            errors.append(InvalidRow.from_field(line, exc))

        if errors:
            report.errors.extend(errors)
        else:
            report.rows.append(RewardRow(line, event_id, wallet, points))
    return report


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
