"""Errors read as one line a user can act on."""

from __future__ import annotations

import pickle

from memberledger.errors import (
    ConfigError,
    InvalidField,
    InvalidRow,
    MemberLedgerError,
    VaultError,
    VaultKeyError,
)


def test_invalid_row_str_names_line_and_field() -> None:
    error = InvalidRow(7, "email", "not a valid e-mail address")

    assert str(error) == "line 7, field 'email': not a valid e-mail address"
    assert (error.line, error.field, error.reason) == (7, "email", "not a valid e-mail address")


def test_invalid_row_from_field_keeps_field_and_reason() -> None:
    error = InvalidRow.from_field(3, InvalidField("phone", "not a valid phone number"))

    assert str(error) == "line 3, field 'phone': not a valid phone number"


def test_invalid_field_str_names_field() -> None:
    assert str(InvalidField("tier", "unknown tier 'x'")) == "field 'tier': unknown tier 'x'"


def test_errors_share_one_base_class() -> None:
    for error_type in (InvalidField, InvalidRow, VaultError, VaultKeyError, ConfigError):
        assert issubclass(error_type, MemberLedgerError)
    assert issubclass(VaultKeyError, VaultError)


def test_invalid_row_survives_pickling() -> None:
    copy = pickle.loads(pickle.dumps(InvalidRow(2, "wallet", "bad")))

    assert (copy.line, copy.field, copy.reason) == (2, "wallet", "bad")
