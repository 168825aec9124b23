"""Personal data and its one canonical spelling.

A member's commitment is a hash of their personal data, so two spellings of the same person
("Ana  Díaz" and "ana díaz", "+49 151 1234-5678" and "+4915112345678") must become the same
bytes before hashing, or a member could never prove the data behind their commitment. The
browser recomputes commitments with its own implementation of these rules, so they are kept
deliberately small and explicit:

1. every field: Unicode NFKC, strip leading and trailing white space, then collapse each run
   of white space to one ASCII space. "White space" is exactly the Unicode `White_Space`
   property (`WHITE_SPACE` below), not Python's `str.isspace`, which also counts the
   separators U+001C..U+001F, and not JavaScript's `\\s`, which also counts U+FEFF;
2. full_name: lower-cased, non-empty, no control characters (Unicode category Cc) and no
   lone surrogates (which no UTF-8 text contains);
3. email: lower-cased, the same character checks, at most 254 code points, shaped
   `local@domain.tld` (one "@", non-empty local part, non-empty dot-separated domain labels);
4. phone (optional): parsed with `phonenumbers` (a leading "+" is needed unless a default
   region is given), must be a valid number without extension, written as E.164;
5. birth_date (optional): ISO `YYYY-MM-DD`, a real date from 1900 on, not in the future.

"Lower-cased" means `str.lower` (Unicode full lower-case mapping, final sigma included; JS
`toLowerCase`) followed by NFKC once more: lower-casing can leave a letter and a combining mark
that NFKC composes ("J" + U+030C lower-cases to "j" + U+030C, which NFKC writes as U+01F0),
and without the second NFKC the rules would not be idempotent.

`canonical_bytes` joins the four canonical fields with the unit separator U+001F; no canonical
field can contain it, so the encoding is unambiguous.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from memberledger.errors import InvalidField

#: The Unicode `White_Space` property, spelled out so another implementation can copy it.
WHITE_SPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
#: Separates the fields in `canonical_bytes`.
FIELD_SEPARATOR = "\x1f"
#: Longest e-mail address accepted, in code points (the SMTP path limit).
MAX_EMAIL_LENGTH = 254
#: Earliest birth year accepted.
MIN_BIRTH_YEAR = 1900

_SPACE = re.escape(WHITE_SPACE)
_WHITE_SPACE_RUN = re.compile(f"[{_SPACE}]+")
#: local@domain.tld: one "@", a non-empty local part, dot-separated non-empty domain labels.
_EMAIL_SHAPE = re.compile(f"[^@{_SPACE}]+@[^@.{_SPACE}]+(?:\\.[^@.{_SPACE}]+)+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Unicode general category Cc (control) is exactly these two ranges, and Cs (surrogate)
#: exactly the third: one regular-expression search instead of a lookup per character.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Keep every compiled phone-metadata pattern: with numbers from several countries, the `re`
# module's own cache (512 patterns) thrashes and validation gets several times slower.
phonenumbers.enable_pattern_cache()


@dataclass(frozen=True)
class PersonalData:
    """What the programme knows about a member; never leaves the vault unencrypted."""

    full_name: str
    email: str
    phone: str = ""
    birth_date: str = ""


def as_given(raw: PersonalData) -> PersonalData:
    """The member's data as they gave it, for display and for their own copy (letters, the
    subject-access export): only the white space around each field is dropped. The
    commitment never hashes this; it hashes `canonicalize(raw)`."""
    return PersonalData(
        full_name=raw.full_name.strip(WHITE_SPACE),
        email=raw.email.strip(WHITE_SPACE),
        phone=raw.phone.strip(WHITE_SPACE),
        birth_date=raw.birth_date.strip(WHITE_SPACE),
    )


def normalize_text(text: str) -> str:
    """Rule 1, shared by every field: NFKC, strip, collapse white space to one space."""
    folded = unicodedata.normalize("NFKC", text).strip(WHITE_SPACE)
    return _WHITE_SPACE_RUN.sub(" ", folded)


def canonicalize(
    raw: PersonalData, default_region: str | None = None, *, today: dt.date | None = None
) -> PersonalData:
    """The canonical spelling of `raw`, or `InvalidField` naming the first bad field.

    `default_region` (ISO 3166 code such as "DE") lets phone numbers omit the country code;
    without it a phone number must start with "+". `today` fixes the date that birth dates
    may not lie after (tests); by default it is the local date.
    """
    return PersonalData(
        full_name=canonical_full_name(raw.full_name),
        email=canonical_email(raw.email),
        phone=canonical_phone(raw.phone, default_region),
        birth_date=canonical_birth_date(raw.birth_date, today=today),
    )


def canonical_full_name(text: str) -> str:
    name = _lower(normalize_text(text))
    if not name:
        raise InvalidField("full_name", "is empty")
    _check_characters("full_name", name)
    return name


def canonical_email(text: str) -> str:
    email = _lower(normalize_text(text))
    if not email:
        raise InvalidField("email", "is empty")
    _check_characters("email", email)
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidField("email", f"longer than {MAX_EMAIL_LENGTH} characters")
    if not _EMAIL_SHAPE.fullmatch(email):
        raise InvalidField("email", "not a valid e-mail address")
    return email


def canonical_phone(text: str, default_region: str | None = None) -> str:
    """E.164 form of `text` ("" stays ""), judged by the `phonenumbers` metadata."""
    phone = normalize_text(text)
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, default_region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            reason = "needs a country code such as +49 (no default region is set)"
            if default_region:
                reason = f"not a phone number (default region {default_region})"
            raise InvalidField("phone", reason) from exc
        raise InvalidField("phone", "not a phone number") from exc
    if number.extension:
        raise InvalidField("phone", "extensions are not supported")
    if not phonenumbers.is_valid_number(number):
        raise InvalidField("phone", "not a valid phone number")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def canonical_birth_date(text: str, *, today: dt.date | None = None) -> str:
    """ISO form of `text` ("" stays ""); only `YYYY-MM-DD` is accepted, so 03/04/2001
    never silently means two different days."""
    value = normalize_text(text)
    if not value:
        return ""
    if not _ISO_DATE.fullmatch(value):
        raise InvalidField("birth_date", "not a date in the form YYYY-MM-DD")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidField("birth_date", "not a real calendar date") from exc
    if date.year < MIN_BIRTH_YEAR:
        raise InvalidField("birth_date", f"before {MIN_BIRTH_YEAR}")
    if date > (today or dt.date.today()):
        raise InvalidField("birth_date", "in the future")
    return date.isoformat()


def canonical_bytes(p: PersonalData) -> bytes:
    """The bytes a commitment hashes: the canonical fields, in the order full_name, email,
    phone, birth_date, joined by U+001F and encoded as UTF-8.

    `p` must already be canonical (`canonicalize`). Only the cheap part is checked here, that
    each field is normalised text without control characters, because checking phone validity
    again could reject data stored under older `phonenumbers` metadata.
    """
    fields = (p.full_name, p.email, p.phone, p.birth_date)
    for name, value in zip(("full_name", "email", "phone", "birth_date"), fields, strict=True):
        if normalize_text(value) != value or _has_forbidden_character(value):
            raise ValueError(f"{name} is not canonical: call canonicalize() first")
    return joined_fields(p)


def joined_fields(p: PersonalData) -> bytes:
    """`canonical_bytes` without its checks, for data that has just come out of validation
    (a bulk run seals a million rows; checking each twice costs seconds)."""
    return FIELD_SEPARATOR.join((p.full_name, p.email, p.phone, p.birth_date)).encode("utf-8")


def _lower(text: str) -> str:
    """Lower-case, then NFKC again (see the module docstring for why)."""
    return unicodedata.normalize("NFKC", text.lower())


def _check_characters(field: str, text: str) -> None:
    """Reject control characters (U+001F would break the framing of `canonical_bytes`) and
    lone surrogates (not encodable as UTF-8, so no commitment could be computed)."""
    if _CONTROL.search(text):
        raise InvalidField(field, "contains control characters")
    if _SURROGATE.search(text):
        raise InvalidField(field, "contains invalid Unicode (a lone surrogate)")


def _has_forbidden_character(text: str) -> bool:
    return _CONTROL.search(text) is not None or _SURROGATE.search(text) is not None
