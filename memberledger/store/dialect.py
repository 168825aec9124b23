"""The one place where SQLite and PostgreSQL differ in the store's SQL.

The owners of the tables (vault, journal, staging, the chain index, ...) write their SQL once,
in the SQLite spelling they always had. On PostgreSQL, `Database` passes every statement
through `postgres_sql`, which rewrites the few SQLite-only forms the owners use:

| SQLite (as written)                     | PostgreSQL (as sent)                              |
|-----------------------------------------|---------------------------------------------------|
| `?` parameters                          | `%s` (and a literal `%` doubled)                  |
| `temp.t` (the connection's own tables)  | `pg_temp.t`                                       |
| `INSERT OR IGNORE INTO ...`             | `INSERT INTO ... ON CONFLICT DO NOTHING`          |
| `a CROSS JOIN b ON ...` (join order)    | `a JOIN b ON ...` (the planner chooses)           |
| `json_each(?)` (a JSON array of keys)   | `json_array_elements_text(%s::json)`              |
| `seq INTEGER PRIMARY KEY` (auto rowid)  | `seq BIGSERIAL PRIMARY KEY`                       |
| `BLOB`, `WITHOUT ROWID`                 | `BYTEA`, nothing                                  |
| `PRAGMA ...` (SQLite's own settings)    | nothing is sent                                   |

`rowid` needs no rewriting: on PostgreSQL the tables ordered by it (`members`,
`journal_batches`, `journal_transactions`) have a column of that name, an identity filled in
insertion order (migration 0001's PostgreSQL branch). Everything else the owners write is
portable SQL (`ON CONFLICT ... DO UPDATE SET x = excluded.x`, `LIMIT`, `BETWEEN`, `UNION`).
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

import psycopg

#: A row broke a unique, primary-key, foreign-key or check constraint, on either database.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
#: Any error the database itself raised.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, psycopg.DatabaseError)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\btemp\.", re.IGNORECASE), "pg_temp."),
    (re.compile(r"\bCROSS JOIN\s+(\S+(?:\s+(?!ON\b)\w+)?)\s+ON\b", re.IGNORECASE), r"JOIN \1 ON"),
    (re.compile(r"\bjson_each\(\?\)", re.IGNORECASE), "json_array_elements_text(?::json)"),
    (re.compile(r"\bseq INTEGER PRIMARY KEY\b", re.IGNORECASE), "seq BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\s+WITHOUT ROWID\b", re.IGNORECASE), ""),
)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO\b", re.IGNORECASE)
_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?|%")


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def is_pragma(sql: str) -> bool:
    """A statement of SQLite's own settings (nothing to send to PostgreSQL)."""
    return sql.lstrip()[:6].upper() == "PRAGMA"


@lru_cache(maxsize=1024)
def postgres_sql(sql: str, with_parameters: bool = True) -> str:
    """`sql` as PostgreSQL reads it (see the module docstring). Without parameters, psycopg
    sends the text as it is, so `%` stays single."""
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql).rstrip().rstrip(";")
        sql += " ON CONFLICT DO NOTHING"
    if not with_parameters:
        return sql

    def mark(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")  # a quoted literal: only its percent signs

    return _QUOTED_OR_MARK.sub(mark, sql)


def constraint_detail(error: Exception) -> str:
    """What a constraint error says, in one line: PostgreSQL's detail ("Key (wallet)=(0x..)
    already exists.") or SQLite's message ("UNIQUE constraint failed: members.wallet")."""
    diagnostic = getattr(error, "diag", None)
    detail = getattr(diagnostic, "message_detail", None) or str(error)
    return (detail.strip().splitlines() or [type(error).__name__])[0]
