"""The operator's actions on one programme, beyond bulk runs: a member seen from the vault
and the chain, their history, the programme report, verifying the vault against the chain,
erasure, role administration, running the programme after day one (lifecycle actions,
changes files, redemptions, letters, the policy and the reward catalogue), and the vault's
upkeep (journal retention, compaction).

Modules: `members`, `history`, `report`, `verification`, `erasure`, `roles`, `lifecycle`
(tier, suspension, revocation, changed data), `changes` (`members apply`), `change_batches`
(its status and tier rows in `changeBatch` transactions), `credits`,
`redemptions`, `letters`, `documents` (owner-only printable HTML), `subject_access`,
`catalogue`, `policy`, `upkeep`.
May import: `pii`, `store`, `intake` (the changes file), `chain`, `programme`,
`programme_file`, `index` and the top-level modules; not `bulk`.
"""
