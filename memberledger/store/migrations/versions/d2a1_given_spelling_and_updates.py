"""Members keep the spelling they gave, and a changed record waits beside the current one.

- `given_spelling`: 1 when the sealed record holds the member's data as they gave it
  (besides the canonical form the commitment hashes), 0 for members stored by release
  0.1.0, which sealed the canonical form only: names and e-mail addresses lower-cased. Their
  original spelling is lost; the vault says so when it opens a file with such members, and
  `ape run members update` restores it.
- `pending_sealed`, `pending_commitment`: a member's changed data (`members update`) sealed
  under a fresh salt, kept here until the chain holds the new commitment; then it replaces
  `sealed` and `commitment`. A run interrupted in between is finished by running it again.

Revision: d2a1 (after 0002)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2a1"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "members",
        sa.Column("given_spelling", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.add_column("members", sa.Column("pending_sealed", sa.LargeBinary))
    op.add_column("members", sa.Column("pending_commitment", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("the vault is migrated forward only")
