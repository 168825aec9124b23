"""Consent purposes, as bit flags matching the registry's `CONSENT_*` constants.

The chain stores consent as a `uint16`; each bit is one purpose a member can agree to and
withdraw from independently. The bit values must equal `MembershipRegistry.CONSENT_*`.
"""

from __future__ import annotations

import enum

from memberledger.errors import InvalidField


class ConsentFlags(enum.IntFlag):
    MARKETING = 1
    ANALYTICS = 2
    PARTNERS = 4


#: Every bit that names a purpose (the registry's `KNOWN_CONSENT_FLAGS`).
KNOWN_CONSENT_FLAGS = ConsentFlags.MARKETING | ConsentFlags.ANALYTICS | ConsentFlags.PARTNERS

#: Plain words for each purpose, in bit order, for tables and member-facing text.
PURPOSE_WORDS: dict[ConsentFlags, str] = {
    ConsentFlags.MARKETING: "marketing e-mails",
    ConsentFlags.ANALYTICS: "usage analytics",
    ConsentFlags.PARTNERS: "sharing with partners",
}

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0", ""})


def describe(flags: int) -> list[str]:
    """The purposes `flags` consents to, in plain words; unknown bits raise `ValueError`
    rather than being silently dropped from what a member is shown."""
    if flags < 0 or flags & ~int(KNOWN_CONSENT_FLAGS):
        raise ValueError(f"consent flags {flags:#x} name unknown purposes")
    return [words for flag, words in PURPOSE_WORDS.items() if flags & flag]


def parse_bool(text: str, field: str = "consent") -> bool:
    """A yes/no cell: true/false, yes/no, 1/0 in any case, trimmed; empty means no."""
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InvalidField(field, f"{text.strip()!r} is not yes/no, true/false or 1/0")
