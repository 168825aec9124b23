"""A fresh index is filled first and folded at the end: the cursor says when it is being
filled that way (`deferred`: the wallet indexes are not built and no record is folded yet;
see `memberledger.index.follower`, "a fresh index"). The index on `member2` gets the block
and log index after it, like the one on `member`: folding every record at once reads both
in (wallet, block, log index) order, a page at a time.

Revision: index_0003 (after index_0002)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "index_0003"
down_revision = "index_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "index_cursor",
        sa.Column("deferred", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.drop_index("index_events_by_member2", table_name="index_events")
    op.create_index(
        "index_events_by_member2",
        "index_events",
        ["member2", "block", "log_index"],
        sqlite_where=sa.text("member2 IS NOT NULL"),
        postgresql_where=sa.text("member2 IS NOT NULL"),
    )


def downgrade() -> None:
    raise NotImplementedError("the index is migrated forward only (or rebuilt)")
