"""Alembic's environment: migrations run on the connection `Database` hands over in
`config.attributes["connection"]` (never from a URL in a file: the vault's path and key come
from the programme's settings)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=context.config.attributes.get("version_table", "alembic_version"),
    # SQLite alters tables by copying them; batch mode does it for changes SQLite lacks.
    render_as_batch=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
