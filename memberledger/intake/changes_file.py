"""Reading a changes file: the same actions as `ape run members ...`, one per row.

    member,action,value
    m-001,tier,gold
    m-002,suspend,card lent to someone else
    m-002,reinstate,
    m-003,email,Ana.Diaz@example.org
    0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,revoke,

`member` is a member id or a wallet; `action` is one of `ACTIONS`; `value` is the tier, the
suspension's reason (optional), or the new name, e-mail, phone or birth date ("" removes a
phone or birth date). Each row is checked on its own here, every problem reported with its
line and field; whether the rows make sense against the vault and the chain (a member who
exists, a membership that is still current) is `memberledger.ops.changes`'s question. A value
is personal data for the data actions: it is never echoed in an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from memberledger.errors import InvalidField, InvalidRow
from memberledger.identifiers import parse_member_id, parse_wallet
from memberledger.intake.csv_records import check_record, open_csv
from memberledger.pii.canonical import (
    canonical_birth_date,
    canonical_email,
    canonical_full_name,
    canonical_phone,
)
from memberledger.tiers import parse_tier

CHANGES_COLUMNS = ("member", "action", "value")
#: Actions on the membership itself (no value, or the tier / reason).
STATUS_ACTIONS = ("tier", "suspend", "reinstate", "revoke")
#: Actions that change personal data: action -> the field it changes.
DATA_ACTIONS = {"name": "full_name", "email": "email", "phone": "phone", "birth_date": "birth_date"}
ACTIONS = (*STATUS_ACTIONS, *DATA_ACTIONS)
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class ChangeRow:
    """One valid row: `member` as written (an id, or a checksummed wallet), the action, and
    its value (a tier number as text for `tier`)."""

    line: int
    member: str
    action: str
    value: str


@dataclass
class ChangesReport:
    rows: list[ChangeRow] = field(default_factory=list)
    errors: list[InvalidRow] = field(default_factory=list)


def read_changes_file(path: Path, default_region: str | None = None) -> ChangesReport:
    """Every valid row and every problem of the changes file at `path`."""
    report = ChangesReport()
    csv_file, header_errors = open_csv(path, CHANGES_COLUMNS, ("member", "action"))
    if csv_file is None:
        report.errors.extend(header_errors)
        return report
    try:
        for record in csv_file.records:
            cells, errors = check_record(record, csv_file.columns)
            if cells is None:
                report.errors.extend(errors)
                continue
            try:
                report.rows.append(_row(record.line, cells, default_region))
            except InvalidField as exc:
                report.errors.append(InvalidRow.from_field(record.line, exc))
    except InvalidRow as error:  # the file stops being readable here
        report.errors.append(error)
    return report


def _row(line: int, cells: dict[str, str], default_region: str | None) -> ChangeRow:
    member_text = cells["member"].strip()
    if member_text.lower().startswith("0x"):
        member = parse_wallet(member_text, "member")
    else:
        member = parse_member_id(member_text, "member")
    action = cells["action"].strip().lower()
    if action not in ACTIONS:
        raise InvalidField("action", f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    value = cells.get("value", "").strip()
    match action:
        case "tier":
            if not value:
                raise InvalidField(
                    "value", "tier takes the new tier (basic, silver, gold, platinum)"
                )
            try:
                value = str(parse_tier(value))
            except InvalidField as exc:
                raise InvalidField("value", exc.reason) from None
        case "suspend":
            if len(value) > MAX_REASON_CHARS:
                raise InvalidField("value", f"a reason is at most {MAX_REASON_CHARS} characters")
        case "reinstate" | "revoke":
            if value:
                raise InvalidField("value", f"{action} takes no value")
        case "name":
            _quietly(lambda: canonical_full_name(value))
        case "email":
            _quietly(lambda: canonical_email(value))
        case "phone":
            _quietly(lambda: canonical_phone(value, default_region))
        case "birth_date":
            _quietly(lambda: canonical_birth_date(value))
    return ChangeRow(line, member, action, value)


def _quietly(check: Callable[[], object]) -> None:
    """Run a personal-data check, reporting its reason under the column `value` (the reason
    never quotes the value)."""
    try:
        check()
    except InvalidField as exc:
        raise InvalidField("value", f"{exc.field}: {exc.reason}") from None
