"""`make bench`, the vault's size: what a member and a journal row cost on disk as the bulk runs
leave the file, and what is left after the journal is archived and the file compacted.

`bench/bench.py` measures the vault at each step of its run (`VaultSizes`): empty, after
enrolling, after the first credits; then, at the end, archives every confirmed journal batch
(as `ape run vault archive` does, with no age or depth limit: the benchmark's chain is minutes
old), compacts the file (`ape run vault compact`) and measures again. Sizes are the file and
its write-ahead log after a checkpoint; the per-table figures come from SQLite's `dbstat`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Tables of the journal's live rows.
JOURNAL_TABLES = ("journal_batches", "journal_entries", "journal_transactions")
#: Blocks mined per `anvil_mine` call on the way below the retention depth.
MINE_PER_CALL = 16


@dataclass
class VaultSizes:
    """The vault file's size at each step of the benchmark."""

    database: Any  # memberledger.store.database.Database
    empty: int = 0
    enrolled: int = 0
    credited: int = 0
    members: int = 0
    credits: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    def _size(self) -> int:
        self.database.checkpoint()
        return int(self.database.size())

    def before_enrollment(self) -> None:
        self.empty = self._size()

    def after_enrollment(self, members: int) -> None:
        self.enrolled, self.members = self._size(), members
        self.figures["vault_bytes_per_member"] = round((self.enrolled - self.empty) / members)

    def after_issuance(self, credits: int) -> None:
        self.credited, self.credits = self._size(), credits
        space = self.database.space_by_table()
        journal = sum(space.get(table, 0) for table in JOURNAL_TABLES)
        rows = int(self.database.rows("SELECT COUNT(*) FROM journal_entries")[0][0])
        self.figures.update(
            vault_bytes_per_credit_row=round((self.credited - self.enrolled) / credits),
            vault_bytes_members_table_per_member=round(space.get("members", 0) / self.members),
            vault_bytes_journal_per_row=round(journal / rows),
        )

    def archive_and_compact(self, programme: Any, folder: Path) -> dict[str, Any]:
        """Archive every confirmed batch, compact, and measure: the figures of the whole
        run."""
        from memberledger.bulk.chain_credits import require_known_credits
        from memberledger.ops.upkeep import compact_vault, prune_journal
        from memberledger.store.journal import BatchKind
        from memberledger.store.retention import DEFAULT_DEPTH, RetentionPolicy

        # As `ape run vault archive` does: batches leave once they are DEFAULT_DEPTH blocks
        # deep and the chain's credits were compared with the journal past them.
        # A few blocks per call: 257 in one call kept the bench's Anvil (100,000 members' state,
        # 1G-gas blocks) busy past the client's 60 s patience, twice in three runs.
        for start in range(0, DEFAULT_DEPTH, MINE_PER_CALL):
            programme.node.call("anvil_mine", hex(min(MINE_PER_CALL, DEFAULT_DEPTH - start)))
        before = self._size()
        started = time.perf_counter()
        require_known_credits(programme)
        outcome = prune_journal(
            programme,
            RetentionPolicy(dt.timedelta(0)),
            archive_to=folder,
            now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
        )
        archive_seconds = time.perf_counter() - started
        started = time.perf_counter()
        compaction = compact_vault(programme.database)
        compact_seconds = time.perf_counter() - started
        space = self.database.space_by_table()
        retired = programme.journal.retired_totals(BatchKind.CREDIT).rows
        members = sum(programme.vault.count_by_status().values())
        self.figures.update(
            vault_mb_before_archive=round(before / 2**20, 1),
            journal_rows_archived=outcome.removed.rows,
            archive_bytes_per_row=round(outcome.archive_bytes / max(outcome.removed.rows, 1)),
            archive_seconds=round(archive_seconds, 2),
            vault_mb_after_compaction=round(compaction.after / 2**20, 1),
            compact_seconds=round(compact_seconds, 2),
            vault_bytes_per_member_compacted=round(space.get("members", 0) / members),
            vault_bytes_per_retired_credit=round(
                space.get("journal_retired_keys", 0) / max(retired, 1)
            ),
        )
        return self.figures
