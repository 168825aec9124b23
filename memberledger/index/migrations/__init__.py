"""The schema of the chain index, as a history of versions (Alembic), kept apart from the
vault file's (`memberledger.store.migrations`): the index lives in a file of its own and
records its version in `index_alembic_version`, so the two could share one database.

Every `index_*` table is created and changed here, one migration per change, in
`versions/`; the index module that owns a table reads and writes it. `ChainIndex` brings the
file up to the latest version when it opens it. The index is derived data: a migration may
as well empty a table and let the index read the chain again (`ape run index rebuild`).

The SQL is portable (ANSI, `INSERT ... ON CONFLICT`, no `rowid`, no JSON functions), so the
same migrations can create the tables in PostgreSQL.

May import: nothing of the package.
"""
