"""The access log: every view of a member's personal data on the staff dashboard (issue 18).

Who looked (the staff wallet that signed in), when, at which member (member id and wallet,
neither of them personal data), and why (a reason the staff member picked from a fixed list).
Rows are only ever added; the admin reads them on the dashboard.

Revision: 0003_access_log (after 0002_retention)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_access_log"
down_revision = "0002_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("entry", sa.Integer, primary_key=True),
        sa.Column("viewed_at", sa.Text, nullable=False),
        sa.Column("staff", sa.Text, nullable=False),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("wallet", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("access_log_by_member", "access_log", ["member_id"])


def downgrade() -> None:
    op.drop_index("access_log_by_member", table_name="access_log")
    op.drop_table("access_log")
