"""The operator's actions on one programme, beyond bulk runs: a member seen from the vault
and the chain, their history, the programme report, verifying the vault against the chain,
erasure, role administration, and the vault's upkeep (journal retention, compaction).

Modules: `members`, `history`, `report`, `verification`, `erasure`, `roles`, `upkeep`.
May import: `pii`, `store`, `chain`, `programme` and the top-level modules; not `bulk`.
"""
