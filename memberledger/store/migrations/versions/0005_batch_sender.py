"""The account that sends each journal batch (`journal_batches.sender`).

On PostgreSQL several operator machines run one programme, each with its own signing account,
and runs of the same kind (two enroll runs, two issue_rewards runs) go on at the same time.
Each batch belongs to the account that planned it (or claimed it): a run sends its own batches
and nobody else's, so no batch goes out twice under two nonce sequences. NULL (every batch
journaled before this revision) is nobody's yet: the first run to look claims it. No personal
data: a checksummed address. Owner: `memberledger.store.journal`.

Revision: 0005_batch_sender (after 0004_change_batches)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_batch_sender"
down_revision = "0004_change_batches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("journal_batches", sa.Column("sender", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("journal_batches") as batch:
        batch.drop_column("sender")
