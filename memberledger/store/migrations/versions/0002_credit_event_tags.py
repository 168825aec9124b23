"""Exactly once from the chain alone: each credit carries its reward event's tag (the
16-byte hash the chain sees instead of the event id), credits the chain skipped are kept
apart, batches learnt from the chain are marked, and the journal remembers how far it has
compared itself with the chain's credit batches.

Revision: 0002 (after 0001)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from memberledger.identifiers import event_tag

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_entries") as entries:
        entries.add_column(sa.Column("tag", sa.Text))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT entry_key FROM journal_entries WHERE kind = 'credit'")
    ).fetchall()
    if rows:
        bind.execute(
            sa.text(
                "UPDATE journal_entries SET tag = :tag WHERE kind = 'credit' AND entry_key = :key"
            ),
            [{"tag": "0x" + event_tag(key).hex(), "key": key} for (key,) in rows],
        )
    op.create_index("journal_entries_by_tag", "journal_entries", ["tag"])
    with op.batch_alter_table("journal_batches") as batches:
        # "journal": planned by this journal; "chain": learnt from the chain (journal rebuild).
        batches.add_column(sa.Column("origin", sa.Text, nullable=False, server_default="journal"))
        # Rows of a confirmed credit batch the chain skipped (see journal_skipped).
        batches.add_column(sa.Column("skipped", sa.Integer, nullable=False, server_default="0"))
    # A credit the chain skipped (its recipient was not active, or its points rounded to
    # zero), as its batch sent it; `retried_at` once it was planned again.
    op.create_table(
        "journal_skipped",
        sa.Column("batch_id", sa.Text, primary_key=True),
        sa.Column("tag", sa.Text, primary_key=True),
        sa.Column("entry_key", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("wallet", sa.Text, nullable=False),
        sa.Column("points", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("skipped_at", sa.Text, nullable=False),
        sa.Column("retried_at", sa.Text),
    )
    op.create_table(
        "journal_sync",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("block", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the vault is migrated forward only")
