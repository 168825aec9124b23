"""Exceptions a user can act on, one type per failure class, all of them here.

Scripts catch `MemberLedgerError` at their boundary (`memberledger.cli.boundary`) and print
`str(exc)` as one line; the attributes carry the facts for code that wants to react (rejects
files, tests, the relay's answers).

    MemberLedgerError
    ├── InvalidField         one value failed validation (field, reason)
    ├── InvalidRow           one problem in an input file (line, field, reason)
    ├── InvalidFile          a file with problems: every InvalidRow, nothing sent
    ├── ConfigError          a setting, account or manifest is missing or wrong
    ├── VaultError           the vault cannot do what was asked
    │   ├── VaultKeyError    the key does not open the vault, or a row was altered
    │   └── VaultBusy        another run holds the vault's lock
    ├── JournalError         the journal and the chain disagree beyond repair by a re-run
    ├── ChainIndexError      the chain index cannot follow the chain, or cannot hold a value
    ├── UnknownMember        neither the vault nor the chain knows a member
    ├── NotConfirmed         the operator did not confirm an action that cannot be undone
    ├── NodeUnavailable      the node did not answer for longer than our patience
    ├── RpcError             the node answered a call with an error (method, code, data)
    └── ChainRejected        the chain refused a transaction or a call
        └── BatchFailed      a journaled batch was refused (kind, batch id, reason)
"""

from __future__ import annotations

from typing import Any


class MemberLedgerError(Exception):
    """Base class of every error MemberLedger raises on purpose."""


class InvalidField(MemberLedgerError):
    """One value failed validation; the CSV layers add the line number (`InvalidRow`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"field {self.field!r}: {self.reason}"


class InvalidRow(MemberLedgerError):
    """One problem in an input file, located by physical line (header = line 1)."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(line, field, reason)
        self.line = line
        self.field = field
        self.reason = reason

    @classmethod
    def from_field(cls, line: int, error: InvalidField) -> InvalidRow:
        return cls(line, error.field, error.reason)

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field!r}: {self.reason}"


class VaultError(MemberLedgerError):
    """The vault cannot do what was asked (unknown member, duplicate, bad state)."""


class VaultKeyError(VaultError):
    """The key does not open the vault, or a sealed record was altered or moved."""


class ConfigError(MemberLedgerError):
    """A setting is missing or wrong (environment, `.env`, deployment manifest)."""


class InvalidFile(MemberLedgerError):
    """An input file has problems; every one of them is in `errors`, and nothing was sent."""

    def __init__(
        self,
        path: str,
        errors: list[InvalidRow],
        total: int | None = None,
        fix: str = "Fix the file, or pass --skip-invalid",
    ) -> None:
        super().__init__(path, errors)
        self.path = path
        self.errors = errors
        self.total = len(errors) if total is None else total
        self.fix = fix

    def __str__(self) -> str:
        count = self.total
        listed = (
            "listed above"
            if count == len(self.errors)
            else f"the first {len(self.errors)} listed above"
        )
        return (
            f"{self.path}: {count} problem{'s' if count != 1 else ''} ({listed}); "
            f"nothing was stored or sent. {self.fix}"
        )


class ChainRejected(MemberLedgerError):
    """The chain refused a transaction or a call (revert, missing role, paused)."""


class BatchFailed(ChainRejected):
    """A journaled batch was refused by the chain; its rows may be planned again."""

    def __init__(self, kind: str, batch_id: str, reason: str) -> None:
        super().__init__(kind, batch_id, reason)
        self.kind = kind
        self.batch_id = batch_id
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"the chain refused {self.kind} batch {self.batch_id[:18]}…: {self.reason}. "
            "Nothing of it was applied; fix the cause and run the command again"
        )


class JournalError(MemberLedgerError):
    """The send journal and the chain disagree in a way only an operator can resolve."""


class ChainIndexError(MemberLedgerError):
    """The chain index cannot do what was asked: a log does not decode, a value does not fit
    its columns, or the chain kept changing while it was read. The index is derived data:
    `ape run index rebuild` reads it from the chain again."""


class VaultBusy(VaultError):
    """Another run holds the vault's lock (`memberledger.store.lock`)."""


class UnknownMember(MemberLedgerError):
    """Neither the vault nor the chain knows the wallet or member id."""


class NotConfirmed(MemberLedgerError):
    """The operator did not type what confirms an action that cannot be undone."""


class NodeUnavailable(MemberLedgerError):
    """The node did not answer for longer than the client's patience."""


class RpcError(MemberLedgerError):
    """The node answered a call with an error."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(method, code, message, data)
        self.method = method
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return f"{self.method}: {self.message}"

    @property
    def revert_data(self) -> bytes | None:
        """The revert payload of a failed call or estimate, if the node sent one."""
        data = self.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        return None
