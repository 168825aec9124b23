"""Journal retention: what the journal keeps of reward events whose batches it no longer holds.

Confirmed batches old enough, and deep enough below the chain's head, may be archived or pruned
(`memberledger.store.retention`). A pruned credit entry leaves its event id behind in
`journal_retired_keys`, with the wallet and points it credited: the staging check then still
finds the same event again as done, and a different wallet or points for it as an error, so no
event is credited twice however old it is. An enrollment entry leaves nothing: the member's
row in the vault (enrolled, with its transaction and block) already answers for it.
`journal_retired_totals` keeps the counts of what was retired, so the report's totals stay
whole.

A trigger refuses to plan a retired key again, whichever path plans it: the database itself
keeps the promise, not only the staging check in front of it.

A retired credit keeps its reward event's tag too (revision 0002 keys credits by tag): a file
row is matched against the journal by tag, so a retired event stays paid whoever's file names
it.

Revision: 0002_retention (after d2a2)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_retention"
down_revision = "d2a2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_retired_keys",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("entry_key", sa.Text, primary_key=True),
        sa.Column("wallet", sa.Text, nullable=False),
        sa.Column("points", sa.Text),
        sa.Column("commitment", sa.Text),
        sa.Column("tag", sa.Text),
        sa.CheckConstraint("kind IN ('enroll', 'credit')", name="kind_known"),
        # The key is the row: no rowid and no second copy of the key in an index (SQLite).
        sqlite_with_rowid=False,
    )
    op.create_index("journal_retired_keys_by_tag", "journal_retired_keys", ["tag"])
    op.create_table(
        "journal_retired_totals",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("batches", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.CheckConstraint("kind IN ('enroll', 'credit')", name="kind_known"),
    )
    if op.get_bind().dialect.name == "sqlite":  # the trigger, in each dialect's language
        op.execute(
            "CREATE TRIGGER journal_entries_not_retired BEFORE INSERT ON journal_entries "
            "WHEN EXISTS (SELECT 1 FROM journal_retired_keys r "
            "WHERE r.kind = NEW.kind AND r.entry_key = NEW.entry_key) "
            "BEGIN SELECT RAISE(ABORT, 'journal entry key retired'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION journal_entry_not_retired() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF EXISTS (SELECT 1 FROM journal_retired_keys r "
            "WHERE r.kind = NEW.kind AND r.entry_key = NEW.entry_key) THEN "
            "RAISE EXCEPTION 'journal entry key retired' "
            "USING ERRCODE = 'integrity_constraint_violation'; "
            "END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER journal_entries_not_retired BEFORE INSERT ON journal_entries "
            "FOR EACH ROW EXECUTE FUNCTION journal_entry_not_retired()"
        )


def downgrade() -> None:
    raise NotImplementedError("the vault is migrated forward only")
