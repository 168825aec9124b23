"""Consent purposes as bit flags, in the registry's numbering."""

from __future__ import annotations

import pytest

from memberledger.consent import KNOWN_CONSENT_FLAGS, ConsentFlags, describe, parse_bool
from memberledger.errors import InvalidField


def test_consent_flags_match_registry_constants() -> None:
    # MembershipRegistry: CONSENT_MARKETING = 1 << 0, ANALYTICS = 1 << 1, PARTNERS = 1 << 2.
    assert (ConsentFlags.MARKETING, ConsentFlags.ANALYTICS, ConsentFlags.PARTNERS) == (1, 2, 4)
    assert KNOWN_CONSENT_FLAGS == 7


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (0, []),
        (1, ["marketing e-mails"]),
        (2, ["usage analytics"]),
        (4, ["sharing with partners"]),
        (5, ["marketing e-mails", "sharing with partners"]),
        (7, ["marketing e-mails", "usage analytics", "sharing with partners"]),
    ],
)
def test_describe_lists_purposes_in_plain_words(flags: int, words: list[str]) -> None:
    assert describe(flags) == words


@pytest.mark.parametrize("flags", [8, 15, 1 << 15, -1])
def test_describe_unknown_bits_raise(flags: int) -> None:
    with pytest.raises(ValueError, match="unknown purposes"):
        describe(flags)


@pytest.mark.parametrize("text", ["true", "TRUE", " Yes ", "yes", "1", "\ttrue\n"])
def test_parse_bool_true_words(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["false", "False", "NO", "0", "", "   "])
def test_parse_bool_false_words(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["y", "n", "2", "on", "off", "ja", "yes please", "-1", "1.0"])
def test_parse_bool_other_words_raise(text: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_bool(text, "consent_partners")

    assert caught.value.field == "consent_partners"
    assert repr(text.strip()) in caught.value.reason
