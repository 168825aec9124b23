"""Alembic's environment for the index: migrations run on the connection `Database` hands
over in `config.attributes["connection"]`, recording the version in the table it names."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=context.config.attributes.get("version_table", "index_alembic_version"),
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
