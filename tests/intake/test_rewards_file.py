"""Rewards files: each event paid once, to active members, in whole points."""

from __future__ import annotations

from collections.abc import Callable, Container
from pathlib import Path

import pytest

from memberledger.errors import InvalidField
from memberledger.intake.rewards_file import (
    MAX_POINTS,
    RewardRow,
    RewardsReport,
    parse_points,
    validate_rewards_file,
)

W1 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
W2 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
HEADER = "event_id,wallet,points"


def validate(
    tmp_path: Path,
    content: str | bytes,
    *,
    is_active_member: Callable[[str], bool] | None = None,
    credited_event_ids: Container[str] = (),
) -> RewardsReport:
    path = tmp_path / "rewards.csv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return validate_rewards_file(
        path, is_active_member=is_active_member, credited_event_ids=credited_event_ids
    )


def errors(report: RewardsReport) -> list[tuple[int, str, str]]:
    return [(e.line, e.field, e.reason) for e in report.errors]


def test_validate_rewards_file_valid_rows(tmp_path: Path) -> None:
    content = f"{HEADER}\npurchase:2024-07-01:17,{W1.lower()},120\nreferral.9,{W2}, 5 \n"

    report = validate(tmp_path, content)

    assert report.ok
    assert report.rows == [
        RewardRow(2, "purchase:2024-07-01:17", W1, 120),
        RewardRow(3, "referral.9", W2, 5),
    ]


def test_validate_rewards_file_columns_in_any_order(tmp_path: Path) -> None:
    report = validate(tmp_path, f"points,event_id,wallet\n7,e-1,{W1}\n")

    assert report.rows == [RewardRow(2, "e-1", W1, 7)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.5", "not a whole number"),
        ("1e3", "not a whole number"),
        ("-3", "not a whole number"),
        ("+3", "not a whole number"),
        ("1,000", "not a whole number"),
        ("1_000", "not a whole number"),
        ("\uff13", "not a whole number"),
        ("0x10", "not a whole number"),
        ("0", "must be at least 1"),
        ("000", "must be at least 1"),
        (" ", "is empty"),
        ("", "is empty"),
        (str(2**64), "too large"),
    ],
)
def test_parse_points_rejects(text: str, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_points(text)

    assert (caught.value.field, caught.value.reason.startswith(reason)) == ("points", True)


def test_parse_points_largest_accepted() -> None:
    assert parse_points(str(2**64 - 1)) == MAX_POINTS == 2**64 - 1
    assert parse_points(" 1 ") == 1


def test_validate_rewards_file_points_errors_name_the_line(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\ne1,{W1},10\ne2,{W1},1.5\n")

    assert errors(report) == [(3, "points", "not a whole number in decimal digits")]
    assert [r.event_id for r in report.rows] == ["e1"]


@pytest.mark.parametrize("event_id", ["", "has space", "x" * 129, "a/b", "ä", "=1+1"])
def test_validate_rewards_file_bad_event_id(tmp_path: Path, event_id: str) -> None:
    report = validate(tmp_path, f"{HEADER}\n{event_id},{W1},10\n")

    assert [(line, field) for line, field, _ in errors(report)] == [(2, "event_id")]


def test_validate_rewards_file_duplicate_event_id_names_first_line(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\ne1,{W1},10\ne2,{W2},10\ne1,{W2},10\n")

    assert errors(report) == [(4, "event_id", "duplicate of line 2")]


def test_validate_rewards_file_already_credited(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\ne1,{W1},10\ne2,{W1},10\n", credited_event_ids={"e2"})

    assert errors(report) == [(3, "event_id", "already credited")]


def test_validate_rewards_file_same_wallet_may_earn_twice(tmp_path: Path) -> None:
    report = validate(tmp_path, f"{HEADER}\ne1,{W1},10\ne2,{W1},10\n")

    assert report.ok and len(report.rows) == 2


@pytest.mark.parametrize(
    ("wallet", "reason"),
    [
        ("0x123", "not a wallet address"),
        (W1.replace("a", "A", 1), "bad EIP-55 checksum"),
        ("0x" + "0" * 40, "the zero address"),
    ],
)
def test_validate_rewards_file_bad_wallet(tmp_path: Path, wallet: str, reason: str) -> None:
    report = validate(tmp_path, f"{HEADER}\ne1,{wallet},10\n")

    assert [(e.line, e.field) for e in report.errors] == [(2, "wallet")]
    assert report.errors[0].reason.startswith(reason)


def test_validate_rewards_file_inactive_member(tmp_path: Path) -> None:
    asked: list[str] = []

    def is_active(wallet: str) -> bool:
        asked.append(wallet)
        return wallet == W1

    report = validate(
        tmp_path, f"{HEADER}\ne1,{W1.lower()},10\ne2,{W2.lower()},10\n", is_active_member=is_active
    )

    assert asked == [W1, W2]  # asked with the checksummed address
    assert errors(report) == [(3, "wallet", "not an active member")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("event_id,wallet\ne1,x\n", [(1, "points", "required column is missing")]),
        (f"{HEADER},memo\ne1,{W1},1,x\n", [(1, "memo", "unknown column")]),
        (f"{HEADER}\ne1,{W1}\n", [(2, "row", "has 2 fields, the header has 3")]),
        (b"event_id,wallet,points\ne1,\xc3(,1\n", [(2, "file", "not UTF-8 text")]),
        ("", [(1, "header", "missing: line 1 must name the columns (event_id,wallet,points)")]),
    ],
)
def test_validate_rewards_file_broken_files(
    tmp_path: Path, content: str | bytes, expected: list[tuple[int, str, str]]
) -> None:
    assert errors(validate(tmp_path, content)) == expected


def test_validate_rewards_file_collects_every_error(tmp_path: Path) -> None:
    content = f"{HEADER}\n,0x1,0\ne1,{W1},5\ne1,{W1},-1\n"

    report = validate(tmp_path, content)

    assert [(line, field) for line, field, _ in errors(report)] == [
        (2, "event_id"),
        (2, "wallet"),
        (2, "points"),
        (4, "event_id"),
        (4, "points"),
    ]
    assert [r.line for r in report.rows] == [3]
