"""What the operator records beside the members: rewards handed out, letters sent, notes.

- `fulfilments`: a redemption (the chain's `Redeemed` event, named by block and log index)
  that the operator has handed out, and when. Owned by `memberledger.store.fulfilments`.
- `letters_sent`: which commitment's welcome letter was written for a member, and when, so
  `ape run letters --all-new` writes each letter once (a changed record is a new letter).
  Owned by `memberledger.store.letters_sent`.
- `member_notes`: the operator's reasons for an action (a suspension's reason), sealed like
  personal data, since a reason can say something about the member. Owned by
  `memberledger.store.member_notes`; deleted with the member's data on erasure.
- `changes_applied`: each row of a changes file (`ape run members apply`) that was carried
  out, by the file's SHA-256 and line, so running the same file again skips it. Owned by
  `memberledger.store.changes_applied`.

Revision: d2a2 (after d2a1)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2a2"
down_revision = "d2a1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfilments",
        sa.Column("redemption_id", sa.Text, primary_key=True),
        sa.Column("tx_hash", sa.Text, nullable=False),
        sa.Column("log_index", sa.Integer, nullable=False),
        sa.Column("wallet", sa.Text, nullable=False),
        sa.Column("reward_id", sa.Integer, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("fulfilled_at", sa.Text, nullable=False),
        sa.UniqueConstraint("tx_hash", "log_index", name="one_fulfilment_per_log"),
    )
    op.create_table(
        "letters_sent",
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("commitment", sa.Text, primary_key=True),
        sa.Column("written_at", sa.Text, nullable=False),
    )
    op.create_table(
        "member_notes",
        sa.Column("note_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("tx_hash", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("member_notes_by_member", "member_notes", ["member_id", "note_id"])
    op.create_table(
        "changes_applied",
        sa.Column("file_digest", sa.Text, primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("tx_hash", sa.Text),
        sa.Column("applied_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the vault is migrated forward only")
