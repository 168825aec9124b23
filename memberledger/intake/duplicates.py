"""Duplicate member ids, wallets and event ids across a whole file, in bounded memory.

A validated record carries the keys it claims (`RowOutcome.keys`); the first line to claim a
key keeps it, and every later line claiming it is an error naming that first line. The index
of keys seen lives in memory for small files and in a SQLite temporary table (on disk,
deleted when the connection closes, even after SIGKILL) for files of any size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from memberledger.errors import InvalidRow

T = TypeVar("T")


class RowOutcome(NamedTuple, Generic[T]):
    """What validating one record gave: the valid row, or its errors (then `row` is None),
    and the (field, key) pairs it claims, which must be unique across the file.

    A named tuple, not a dataclass: outcomes travel back from the validation workers by the
    hundred thousand, and a tuple pickles several times faster."""

    line: int
    row: T | None
    errors: list[InvalidRow]
    keys: tuple[tuple[str, str], ...] = ()


Claim = tuple[str, str, int]
"""(field, key, line): a line claiming a key."""


class DuplicateIndex(Protocol):
    def first_lines(self, claims: Sequence[Claim]) -> list[int]:
        """For each claim in order, the first line that claimed its key (its own line if
        none did before it); every claim is remembered."""


class MemoryIndex:
    """Keys seen so far in a dict: for files of a few thousand rows."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def first_lines(self, claims: Sequence[Claim]) -> list[int]:
        return [self._seen.setdefault((field, key), line) for field, key, line in claims]


class ScratchDatabase(Protocol):
    """The little of an SQLite connection the index needs (a `sqlite3.Connection`, or the
    vault's `memberledger.store.database.Database`)."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Any, /) -> Any: ...


class SqliteIndex:
    """Keys seen so far in a temporary table of `db` (the vault file's connection: on disk,
    invisible to other connections, gone when it closes, even after SIGKILL), a chunk of
    claims per transaction."""

    def __init__(self, db: ScratchDatabase, name: str = "seen_keys") -> None:
        self._db = db
        self._seen = f"temp.{name}"
        self._probe = f"temp.{name}_probe"
        db.execute("PRAGMA temp_store = FILE")
        for table in (self._seen, self._probe):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute(
            f"CREATE TABLE {self._seen} (field TEXT NOT NULL, key TEXT NOT NULL, "
            "line INTEGER NOT NULL, PRIMARY KEY (field, key)) WITHOUT ROWID"
        )
        db.execute(
            f"CREATE TABLE {self._probe} (position INTEGER PRIMARY KEY, field TEXT NOT NULL, "
            "key TEXT NOT NULL, line INTEGER NOT NULL)"
        )

    def first_lines(self, claims: Sequence[Claim]) -> list[int]:
        if not claims:
            return []
        if self._db.in_transaction:
            return self._first_lines(claims)
        self._db.execute("BEGIN")
        try:
            lines = self._first_lines(claims)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return lines

    def _first_lines(self, claims: Sequence[Claim]) -> list[int]:
        lines = [line for _, _, line in claims]
        insert = f"INSERT OR IGNORE INTO {self._seen} VALUES (?, ?, ?)"
        if self._db.executemany(insert, claims).rowcount == len(claims):
            return lines  # every key new, so no duplicate: the usual case, one statement
        self._db.executemany(
            f"INSERT INTO {self._probe} VALUES (?, ?, ?, ?)",
            ((position, *claim) for position, claim in enumerate(claims)),
        )
        for position, first in self._db.execute(
            f"SELECT p.position, s.line FROM {self._probe} p JOIN {self._seen} s "
            "ON s.field = p.field AND s.key = p.key WHERE s.line != p.line"
        ):
            lines[position] = int(first)
        self._db.execute(f"DELETE FROM {self._probe}")
        return lines

    def close(self) -> None:
        for table in (self._seen, self._probe):
            self._db.execute(f"DROP TABLE IF EXISTS {table}")


def resolve_duplicates(
    outcomes: Iterable[RowOutcome[T]],
    index: DuplicateIndex,
    column_order: Sequence[str],
    chunk: int = 2_000,
) -> Iterator[RowOutcome[T]]:
    """`outcomes` with an error added for each key an earlier line claimed first; each
    record's errors in the order of the columns (problems with the row as a whole first)."""
    rank = {name: position for position, name in enumerate(column_order)}
    iterator = iter(outcomes)
    while batch := list(itertools.islice(iterator, chunk)):
        claims = [
            (field_name, key, outcome.line)
            for outcome in batch
            for field_name, key in outcome.keys
            if key
        ]
        firsts = iter(index.first_lines(claims))
        for outcome in batch:
            errors = list(outcome.errors)
            for field_name, key in outcome.keys:
                if not key:
                    continue
                first = next(firsts)
                if first != outcome.line:
                    reason = f"duplicate of line {first}"
                    errors.append(InvalidRow(outcome.line, field_name, reason))
            if len(errors) != len(outcome.errors):
                errors.sort(key=lambda error: rank.get(error.field, -1))
                yield outcome._replace(row=None, errors=errors)
            else:
                yield outcome
