"""Tiers by name or number."""

from __future__ import annotations

import pytest

from memberledger.errors import InvalidField
from memberledger.tiers import TIERS, parse_tier


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("", 0),
        ("  ", 0),
        ("basic", 0),
        ("Silver", 1),
        (" GOLD ", 2),
        ("platinum", 3),
        ("0", 0),
        ("3", 3),
    ],
)
def test_parse_tier_name_or_number(text: str, tier: int) -> None:
    assert parse_tier(text) == tier


@pytest.mark.parametrize("text", ["4", "-1", "bronze", "gold!", "2.0", "٢", "1e0"])
def test_parse_tier_unknown_raises(text: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_tier(text)

    assert caught.value.field == "tier"
    assert "unknown tier" in caught.value.reason


def test_tier_names_round_trip() -> None:
    assert list(TIERS.values()) == ["basic", "silver", "gold", "platinum"]
    assert all(parse_tier(name) == tier for tier, name in TIERS.items())
