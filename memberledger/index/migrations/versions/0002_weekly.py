"""The figures per week the index's writer keeps (`memberledger.index.weekly`), and a fresh
start: an index made before this revision has events the counters never saw, so its cursor
is dropped and the next catch-up reads the chain again from the deploy block (the index is
derived data; see `memberledger.index.schema`).

Revision: index_0002 (after index_0001)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "index_0002"
down_revision = "index_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_weekly",
        sa.Column("series", sa.Text, primary_key=True),
        sa.Column("week", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("grp", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
    )
    op.execute("DELETE FROM index_cursor")


def downgrade() -> None:
    raise NotImplementedError("the index is migrated forward only (or rebuilt)")
