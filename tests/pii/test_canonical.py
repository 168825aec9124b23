"""Canonical personal data: one spelling per person, invalid values named by field."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from memberledger.errors import InvalidField
from memberledger.pii.canonical import (
    WHITE_SPACE,
    PersonalData,
    canonical_birth_date,
    canonical_bytes,
    canonical_email,
    canonical_full_name,
    canonical_phone,
    canonicalize,
    normalize_text,
)

TODAY = dt.date(2025, 6, 15)


def fullwidth(text: str) -> str:
    return "".join(
        "\u3000" if char == " " else chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char
        for char in text
    )


def test_canonicalize_two_spellings_give_identical_bytes() -> None:
    messy = PersonalData(
        "  Ana   DÍAZ ", " Ana.Diaz@Example.COM", "+49 151 1234-5678", " 1990-02-28 "
    )
    tidy = PersonalData("ana díaz", "ana.diaz@example.com", "+4915112345678", "1990-02-28")

    assert canonical_bytes(canonicalize(messy)) == canonical_bytes(canonicalize(tidy))


def test_canonicalize_fullwidth_input_folds_to_ascii() -> None:
    raw = PersonalData(
        fullwidth("JOHN SMITH"), fullwidth("John@Example.com"), fullwidth("+44 20 7946 0958")
    )

    assert canonicalize(raw) == PersonalData("john smith", "john@example.com", "+442079460958")


def test_canonicalize_decomposed_and_composed_accents_agree() -> None:
    decomposed = PersonalData("Zoe\u0308 A\u030angstro\u0308m", "zoe@example.se")
    composed = PersonalData("Zoë Ångström", "zoe@example.se")

    assert canonicalize(decomposed) == canonicalize(composed)
    assert canonicalize(composed).full_name == "zoë ångström"


def test_canonicalize_keeps_cjk_and_greek_final_sigma() -> None:
    assert canonical_full_name("山田　太郎") == "山田 太郎"
    assert canonical_full_name("ΟΔΥΣΣΕΥΣ") == "οδυσσευς"


def test_canonical_full_name_lowercase_then_composes() -> None:
    # "J" + combining caron has no capital precomposed form; its lower case does (U+01F0).
    assert canonical_full_name("J\u030cohn") == "\u01f0ohn"
    assert canonical_full_name("\u01f0ohn") == "\u01f0ohn"


def test_normalize_text_collapses_every_unicode_white_space() -> None:
    spaced = "\u00a0Marie\t\u2003\u3000Curie\n\u2028"

    assert normalize_text(spaced) == "Marie Curie"


def test_normalize_text_white_space_set_is_unicode_white_space_property() -> None:
    # U+001F (our field separator) is whitespace to Python but not to Unicode.
    assert "\x1f" not in WHITE_SPACE
    assert "\ufeff" not in WHITE_SPACE
    assert len(WHITE_SPACE) == 25


@pytest.mark.parametrize("name", ["", "   ", "\u3000\t"])
def test_canonical_full_name_empty_raises(name: str) -> None:
    with pytest.raises(InvalidField) as caught:
        canonical_full_name(name)

    assert (caught.value.field, caught.value.reason) == ("full_name", "is empty")


@pytest.mark.parametrize("name", ["ana\x1fdíaz", "ana\x00", "bell\x07", "del\x7f", "c1\x9bx"])
def test_canonical_full_name_control_character_raises(name: str) -> None:
    with pytest.raises(InvalidField) as caught:
        canonical_full_name(name)

    assert caught.value.field == "full_name"


@pytest.mark.parametrize("field", ["full_name", "email"])
def test_canonicalize_lone_surrogate_raises(field: str) -> None:
    with pytest.raises(InvalidField, match="lone surrogate") as caught:
        canonicalize(PersonalData(**{"full_name": "ana", "email": "a@b.co", field: "a\ud800@b.co"}))

    assert caught.value.field == field


def test_canonical_email_lowercases_and_trims() -> None:
    assert canonical_email("  Ana.Diaz@Example.COM\t") == "ana.diaz@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ana",
        "ana@example",
        "@example.com",
        "ana@@example.com",
        "ana@b@example.com",
        "ana diaz@example.com",
        "ana@.example.com",
        "ana@example.",
        "ana@example..com",
        "ana\x1f@example.com",
        "a" * 243 + "@example.com",
    ],
)
def test_canonical_email_malformed_raises(email: str) -> None:
    with pytest.raises(InvalidField) as caught:
        canonical_email(email)

    assert caught.value.field == "email"


def test_canonical_email_at_length_limit_is_accepted() -> None:
    email = "a" * 242 + "@example.com"

    assert len(email) == 254
    assert canonical_email(email) == email


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        ("+49 151 1234-5678", None, "+4915112345678"),
        ("+4915112345678", None, "+4915112345678"),
        ("(0151) 1234 5678", "DE", "+4915112345678"),
        ("+1 (415) 555-2671", "DE", "+14155552671"),
        ("", None, ""),
        ("   ", None, ""),
    ],
)
def test_canonical_phone_formats_e164(phone: str, region: str | None, expected: str) -> None:
    assert canonical_phone(phone, region) == expected


@pytest.mark.parametrize(
    ("phone", "region"),
    [
        ("0151 12345678", None),
        ("+49 123", None),
        ("call me", None),
        ("+49 151 12345678 ext. 12", None),
        ("12", "DE"),
    ],
)
def test_canonical_phone_invalid_raises(phone: str, region: str | None) -> None:
    with pytest.raises(InvalidField) as caught:
        canonical_phone(phone, region)

    assert caught.value.field == "phone"


def test_canonical_phone_without_region_asks_for_country_code() -> None:
    with pytest.raises(InvalidField, match="country code"):
        canonical_phone("0151 12345678")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 1990-02-28 ", "1990-02-28"),
        ("2000-02-29", "2000-02-29"),
        ("", ""),
        ("1900-01-01", "1900-01-01"),
    ],
)
def test_canonical_birth_date_accepts_iso(text: str, expected: str) -> None:
    assert canonical_birth_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("28.02.1990", "not a date in the form YYYY-MM-DD"),
        ("1990-2-28", "not a date in the form YYYY-MM-DD"),
        ("19900228", "not a date in the form YYYY-MM-DD"),
        ("1990-02-28T00:00", "not a date in the form YYYY-MM-DD"),
        ("\u0661\u0669\u0669\u0660-02-28", "not a date in the form YYYY-MM-DD"),
        ("2001-02-29", "not a real calendar date"),
        ("1990-13-01", "not a real calendar date"),
        ("1899-12-31", "before 1900"),
        ("2025-06-16", "in the future"),
    ],
)
def test_canonical_birth_date_invalid_raises(text: str, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        canonical_birth_date(text, today=TODAY)

    assert (caught.value.field, caught.value.reason) == ("birth_date", reason)


def test_canonical_birth_date_today_is_allowed() -> None:
    assert canonical_birth_date("2025-06-15", today=TODAY) == "2025-06-15"


def test_canonicalize_names_first_bad_field() -> None:
    with pytest.raises(InvalidField) as caught:
        canonicalize(PersonalData("Ana", "ana@example.com", phone="+49 1"))

    assert caught.value.field == "phone"


def test_canonical_bytes_order_and_separator() -> None:
    person = PersonalData("ana díaz", "ana@example.com", "+4915112345678", "1990-02-28")

    assert canonical_bytes(person) == (
        "ana díaz\x1fana@example.com\x1f+4915112345678\x1f1990-02-28".encode()
    )


def test_canonical_bytes_absent_optional_fields_are_empty() -> None:
    assert (
        canonical_bytes(PersonalData("ada", "ada@example.org")) == b"ada\x1fada@example.org\x1f\x1f"
    )


@pytest.mark.parametrize(
    "person",
    [
        PersonalData(" ana", "ana@example.com"),
        PersonalData("ana  díaz", "ana@example.com"),
        PersonalData("ana\x1fx", "ana@example.com"),
        PersonalData("ana", "ana@example.com", phone="\u00a0+4915112345678"),
    ],
)
def test_canonical_bytes_raw_data_raises(person: PersonalData) -> None:
    with pytest.raises(ValueError, match="not canonical"):
        canonical_bytes(person)


# ---------------------------------------------------------------- properties

VALID_PHONES = ["+4915112345678", "+442079460958", "+14155552671", "+819012345678", "+33612345678"]


#: Any text, and text rich in what makes case folding tricky: capitals and combining marks.
NAMES = st.text(max_size=40) | st.text(
    alphabet=st.characters(categories=["Lu", "Lt", "Mn", "Zs"]), max_size=12
)


@st.composite
def raw_people(draw: st.DrawFn) -> PersonalData:
    """Personal data as people type it: any text for the name, noisy e-mail and phone."""
    local = draw(st.text(alphabet=st.characters(exclude_characters="@"), min_size=1, max_size=12))
    domain = draw(st.from_regex(r"[A-Za-z0-9-]{1,10}\.[A-Za-z]{2,6}", fullmatch=True))
    pad = st.text(alphabet=st.sampled_from(WHITE_SPACE), max_size=3)
    phone = draw(st.sampled_from(["", *VALID_PHONES]))
    if draw(st.booleans()):
        phone = fullwidth(phone)
    birth = draw(st.none() | st.dates(dt.date(1900, 1, 1), TODAY))
    return PersonalData(
        full_name=draw(NAMES),
        email=draw(pad) + local + "@" + domain + draw(pad),
        phone=draw(pad) + phone + draw(pad),
        birth_date=draw(pad) + (birth.isoformat() if birth else "") + draw(pad),
    )


@given(raw_people())
def test_canonicalize_is_idempotent(raw: PersonalData) -> None:
    try:
        once = canonicalize(raw, today=TODAY)
    except InvalidField:
        return
    assert canonicalize(once, today=TODAY) == once
    canonical_bytes(once)  # canonical data passes the cheap canonical check


@given(NAMES)
@example("J\u030cohn")  # lower-casing leaves j + caron, which NFKC composes
@example("T\u0308OMAS W\u030aLLE")
def test_canonical_full_name_is_idempotent(name: str) -> None:
    try:
        once = canonical_full_name(name)
    except InvalidField:
        return
    assert canonical_full_name(once) == once
    assert "\x1f" not in once


@given(
    st.lists(
        st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    ),
    st.lists(
        st.text(alphabet=st.sampled_from(WHITE_SPACE), min_size=1, max_size=3),
        min_size=5,
        max_size=5,
    ),
)
def test_canonical_full_name_ignores_white_space_and_case(
    words: list[str], gaps: list[str]
) -> None:
    plain = " ".join(words)
    spaced = gaps[0] + "".join(w + g for w, g in zip(words, gaps[1:], strict=False)) + gaps[-1]

    assert canonical_full_name(spaced.upper()) == canonical_full_name(plain.upper())
    assert canonical_full_name(spaced) == canonical_full_name(plain)
