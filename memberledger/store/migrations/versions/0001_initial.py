"""The vault file of release 0.1.0: members, the key check, and the send journal.

On PostgreSQL (the one dialect branch): numbers that may pass 2^31 are BIGINT (SQLite's
INTEGER is 64-bit already), and the tables the owners read in insertion order (`ORDER BY
rowid`) get a column of that name, an identity.

Revision: 0001 (the first)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    number = sa.BigInteger if postgres else sa.Integer
    op.create_table(
        "vault_meta",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("wallet", sa.Text, nullable=False, unique=True),
        sa.Column("commitment", sa.Text, nullable=False),
        sa.Column("consent", sa.Integer, nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("sealed", sa.LargeBinary),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("enroll_tx", sa.Text),
        sa.Column("enroll_block", number),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.CheckConstraint("consent BETWEEN 0 AND 65535", name="consent_is_uint16"),
        sa.CheckConstraint("tier BETWEEN 0 AND 255", name="tier_is_uint8"),
        sa.CheckConstraint("status IN ('pending', 'enrolled', 'erased')", name="status_known"),
        sa.CheckConstraint("(status = 'erased') = (sealed IS NULL)", name="erased_has_no_data"),
    )
    op.create_table(
        "journal_batches",
        sa.Column("batch_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("tx_hash", sa.Text),
        sa.Column("block", number),
        sa.Column("gas_used", number),
        sa.Column("failure", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("block_hash", sa.Text),
        sa.CheckConstraint("kind IN ('enroll', 'credit')", name="kind_known"),
        sa.CheckConstraint(
            "status IN ('planned', 'sent', 'confirmed', 'failed')", name="status_known"
        ),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )
    op.create_table(
        "journal_entries",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("entry_key", sa.Text, primary_key=True),
        sa.Column("batch_id", sa.Text, sa.ForeignKey("journal_batches.batch_id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("wallet", sa.Text, nullable=False),
        sa.Column("commitment", sa.Text),
        sa.Column("consent", sa.Integer),
        sa.Column("tier", sa.Integer),
        sa.Column("points", sa.Text),
    )
    op.create_index("journal_entries_by_batch", "journal_entries", ["batch_id", "position"])
    op.create_table(
        "journal_transactions",
        sa.Column("tx_hash", sa.Text, primary_key=True),
        sa.Column("batch_id", sa.Text, sa.ForeignKey("journal_batches.batch_id"), nullable=False),
        sa.Column("nonce", number, nullable=False),
        sa.Column("gas_limit", number, nullable=False),
        sa.Column("max_fee", sa.Text, nullable=False),
        sa.Column("priority_fee", sa.Text, nullable=False),
        sa.Column("sent_at", sa.Text, nullable=False),
    )
    op.create_index("journal_transactions_by_batch", "journal_transactions", ["batch_id"])
    if postgres:
        for table in ("members", "journal_batches", "journal_transactions"):
            op.execute(f"ALTER TABLE {table} ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY")
            op.create_index(f"{table}_by_rowid", table, ["rowid"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("the vault is migrated forward only")
