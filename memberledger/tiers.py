"""Membership tiers known to the programme; the registry stores the number (`uint8`)."""

from __future__ import annotations

from memberledger.errors import InvalidField

#: Tier number -> name; the points token's tier multipliers are keyed by the same numbers.
TIERS: dict[int, str] = {0: "basic", 1: "silver", 2: "gold", 3: "platinum"}
DEFAULT_TIER = 0

_BY_NAME = {name: number for number, name in TIERS.items()}


def parse_tier(text: str) -> int:
    """A tier given by name (any case) or number; an empty cell means the default tier."""
    word = text.strip().lower()
    if not word:
        return DEFAULT_TIER
    if word in _BY_NAME:
        return _BY_NAME[word]
    if word.isascii() and word.isdigit() and int(word) in TIERS:
        return int(word)
    known = ", ".join(f"{number} {name}" for number, name in TIERS.items())
    raise InvalidField("tier", f"unknown tier {text.strip()!r} (known: {known})")
