"""Change batches: the status and tier rows of a changes file sent as one `changeBatch`.

Each batch is recorded here before it is broadcast (its tag, rows and the content hash the
registry keeps as applied), and marked confirmed in the same vault transaction that records its
lines in `changes_applied`. A run that stopped in between finds the batch still `sent` and asks
the chain (`changeBatchApplied`) before anything else, so a file's batch is applied once.
No personal data: wallets, action bytes, tiers. Owner: `memberledger.store.changes_applied`.

Revision: 0004_change_batches (after 0003_access_log)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_change_batches"
down_revision = "0003_access_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_batches",
        sa.Column("batch_tag", sa.Text, primary_key=True),
        sa.Column("file_digest", sa.Text, nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("rows", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("tx_hash", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("status IN ('sent', 'confirmed')", name="status_known"),
    )
    op.create_index("change_batches_by_file", "change_batches", ["file_digest", "status"])


def downgrade() -> None:
    op.drop_index("change_batches_by_file", table_name="change_batches")
    op.drop_table("change_batches")
