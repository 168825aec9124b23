"""Where the chain index lives: a SQLite file of its own beside the vault
(`<vault>.index.db`), with its own migrations.

The index is derived data, readable by anyone who can read the chain; the vault holds
personal data. Keeping them apart means:
- the vault and its backups stay small (the index of 1,000,000 members and 1,000,000
  credits is several hundred MB; the vault's records are what must be backed up);
- the index's writes never take the vault file's lock, so `ape run index --follow` can run
  beside a bulk enrollment;
- freed pages of the index need no zeroing (`secure_delete` stays on for the vault only);
- the index can be deleted at any time and rebuilt from the chain.
On PostgreSQL (`MEMBERLEDGER_DATABASE_URL`) the index lives in the schema `idx` of the
programme's database, beside the vault's tables in `public`: one server to run and back up,
rebuilt from the chain like the file (`ape run index rebuild`).
No read needs a join across the two in SQL: where vault and index meet (verification, a
member's view), the vault is streamed in chunks and the other side is looked up in bulk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memberledger.store.database import Database, Schema

MIGRATIONS = Path(__file__).with_name("migrations")
#: The index connection's page cache.
CACHE_KIB = 32 * 1024
#: Page cache (KiB) while an index is built over a filled table (`sorting`). SQLite's sorter
#: fills as much memory as the cache may hold, on top of the cache: with the usual cache, the
#: index on state of 1,000,000 records took a fresh catch-up to its peak, 304 MB, against
#: 275 MB for the rest of it; the wallet indexes' sort, 20 MB more than the rest at 300,000
#: members. As fast with the small cache.
SORT_CACHE_KIB = 4_096

INDEX_SCHEMA = Schema(
    migrations=MIGRATIONS,
    version_table="index_alembic_version",
    secure_delete=False,
    kind="a MemberLedger chain index",
    # Derived data: a commit lost to a power cut is read from the chain again.
    synchronous="NORMAL",
    # Catching up inserts into indexes keyed by wallet, in random order: a larger cache
    # keeps their inner pages (measured: about 1.8x the inserts a second of the default).
    cache_kib=CACHE_KIB,
    # On PostgreSQL: a schema of its own beside the vault's tables, in the same database.
    pg_schema="idx",
)


@contextmanager
def sorting(database: Database) -> Iterator[None]:
    """A small page cache while an index is built over a filled table (`SORT_CACHE_KIB`),
    the usual one after (no-op on PostgreSQL, whose server sorts)."""
    database.execute(f"PRAGMA cache_size = {-SORT_CACHE_KIB}")
    try:
        yield
    finally:
        database.execute(f"PRAGMA cache_size = {-CACHE_KIB}")


def index_path(vault_path: Path) -> Path:
    """The index file that belongs to the vault at `vault_path`."""
    vault_path = Path(vault_path)
    return vault_path.with_name(vault_path.name + ".index.db")
