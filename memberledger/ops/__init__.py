"""The operator's actions on one programme, beyond bulk runs: a member seen from the vault
and the chain, their history, the programme report, verifying the vault against the chain,
erasure, and role administration.

Modules: `members`, `history`, `report`, `verification`, `erasure`, `roles`.
May import: `pii`, `store`, `chain`, `programme` and the top-level modules; not `bulk`.
"""
