"""Copying a programme's SQLite vault into PostgreSQL: the switch of README "Growing past one
machine", for a programme that started on one machine and now needs several.

Every table of the vault file (members with their sealed records, the send journal, the
retired keys, fulfilments, notes, the access log, the deployment it belongs to...) is copied
row for row into an empty PostgreSQL database at the same schema version, in one PostgreSQL
transaction: a copy that fails leaves the database as empty as it was. Rows keep their order
(the journal plans and sends batches in the order they were planned). Nothing is decrypted or
re-encrypted on the way: the sealed records stay sealed with the vault key, which every
machine of the programme then needs (`MEMBERLEDGER_VAULT_KEY`) and which never reaches the
server. The chain index is not copied: it is derived data, and the first read rebuilds it in
the database's `idx` schema.

The vault file's run lock is held while copying, so no bulk run of this machine writes it
meanwhile; the file itself is left as it was (keep it as the backup of the switch, then
retire it: it holds the members' sealed personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from memberledger.errors import VaultError
from memberledger.store.database import Database
from memberledger.store.lock import exclusive_run

#: Rows read from the file per fetch while streaming a table across.
FETCH_ROWS = 5_000


@dataclass(frozen=True)
class TableCopy:
    """One table copied: its name and its rows (the same count on both sides)."""

    table: str
    rows: int


def copy_vault(
    source: Database,
    target: Database,
    on_rows: Callable[[int], None] | None = None,
) -> list[TableCopy]:
    """Copy every table of the SQLite vault `source` into the empty PostgreSQL database
    `target` (both already at the latest schema version: opening a `Database` migrates it),
    told of progress through `on_rows` (rows just copied); the tables, in the order copied.
    Raises `VaultError` when either side is not what it must be; then nothing is written."""
    if source.is_postgres or not target.is_postgres:
        raise VaultError(
            "a vault is copied from its SQLite file into PostgreSQL: give the file as the "
            "source and a postgresql:// URL as the target"
        )
    if source.version != target.version:
        raise VaultError(
            f"the vault file is at schema version {source.version} and the database at "
            f"{target.version}: run the same MemberLedger release for both"
        )
    tables = source.tables()
    present = set(target.tables())
    missing = [table for table in tables if table not in present]
    if missing:
        raise VaultError(f"the PostgreSQL database has no table {missing[0]!r}")
    held = {table: _count(target, table) for table in tables}
    if any(held.values()):
        table = next(name for name, rows in held.items() if rows)
        raise VaultError(
            f"the PostgreSQL database already holds a vault ({held[table]:,} rows in "
            f"{table}): copy only into an empty database"
        )
    copied: list[TableCopy] = []
    with exclusive_run(source.path, "a vault copy"), target.transaction():
        for table in tables:
            columns = sorted(source.columns(table) & target.columns(table))
            rows = target.copy_rows(table, columns, _stream(source, table, columns, on_rows))
            copied.append(TableCopy(table, rows))
        target.restart_sequences()
        for copy in copied:
            held_now, in_file = _count(target, copy.table), _count(source, copy.table)
            if held_now != in_file:
                raise VaultError(
                    f"table {copy.table}: {held_now:,} rows in the database after the copy, "
                    f"{in_file:,} in the file; nothing was kept"
                )
    return copied


def rows_to_copy(source: Database) -> int:
    """The rows of every table of `source` (for a progress bar)."""
    return sum(_count(source, table) for table in source.tables())


def _count(database: Database, table: str) -> int:
    return int(database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _stream(
    source: Database,
    table: str,
    columns: list[str],
    on_rows: Callable[[int], None] | None,
) -> Iterator[tuple[object, ...]]:
    """The rows of `table` in the order they were written (rowid), a fetch at a time."""
    without_rowid = (
        "WITHOUT ROWID"
        in str(
            source.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()[0]
        ).upper()
    )
    order = "1" if without_rowid else "rowid"
    cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    while chunk := cursor.fetchmany(FETCH_ROWS):
        yield from chunk
        if on_rows is not None:
            on_rows(len(chunk))
