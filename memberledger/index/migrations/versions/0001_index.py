"""The chain index's first tables: where it has read to, the blocks and transactions its
events came from, every event in compact columns, each wallet's record and points as the
events left them, redemptions, and the programme's rules (roles, policies, rewards,
multipliers, switches) as they changed.

Revision: index_0001 (the first)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "index_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_cursor",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("registry", sa.Text, nullable=False),
        sa.Column("points", sa.Text, nullable=False),
        sa.Column("deploy_block", sa.BigInteger, nullable=False),
        sa.Column("catalogue", sa.Text, nullable=False),
        sa.Column("read_block", sa.BigInteger, nullable=False),
        sa.Column("read_hash", sa.Text),
        sa.Column("final_block", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_table(
        "index_blocks",
        sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "index_transactions",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tx_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tx_hash", sa.Text, nullable=False),
    )
    op.create_table(
        "index_events",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tx_index", sa.Integer, nullable=False),
        sa.Column("contract", sa.SmallInteger, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("member", sa.Text),
        sa.Column("member2", sa.Text),
        sa.Column("zeros", sa.SmallInteger),
        sa.Column("address1", sa.Text),
        sa.Column("address2", sa.Text),
        sa.Column("number1", sa.Text),
        sa.Column("number2", sa.Text),
        sa.Column("number3", sa.Text),
        sa.Column("number4", sa.Text),
        sa.Column("bytes1", sa.Text),
        sa.Column("bytes2", sa.Text),
        sa.Column("bytes3", sa.Text),
    )
    op.create_index("index_events_by_member", "index_events", ["member", "block", "log_index"])
    op.create_index(
        "index_events_by_member2",
        "index_events",
        ["member2"],
        sqlite_where=sa.text("member2 IS NOT NULL"),
        postgresql_where=sa.text("member2 IS NOT NULL"),
    )
    op.create_table(
        "index_members",
        sa.Column("wallet", sa.Text, primary_key=True),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("tier", sa.SmallInteger, nullable=False),
        sa.Column("consent", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("commitment", sa.Text),
        sa.Column("since", sa.BigInteger, nullable=False),
        sa.Column("moved_to", sa.Text),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("credited", sa.BigInteger, nullable=False),
        sa.Column("redeemed", sa.BigInteger, nullable=False),
        sa.Column("forfeited", sa.BigInteger, nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("updated_block", sa.BigInteger, nullable=False),
    )
    op.create_index("index_members_by_state", "index_members", ["status", "tier", "consent"])
    op.create_table(
        "index_redemptions",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tx_hash", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("member", sa.Text, nullable=False),
        sa.Column("reward_id", sa.Text, nullable=False),
        sa.Column("cost", sa.BigInteger, nullable=False),
    )
    op.create_index("index_redemptions_by_member", "index_redemptions", ["member"])
    op.create_table(
        "index_rules",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("item", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the index is migrated forward only (or rebuilt)")
