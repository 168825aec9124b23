"""The index of the chain: both contracts' events followed into a database, so that every
read (the report, a member and their history, redemptions, roles, verification) is a query
instead of thousands of calls or an `eth_getLogs` from the deploy block.

Modules: `chain_index` (`open_index`, `ChainIndex`: open, catch up, read), `follower`
(catching up in adaptive ranges; reorganisations rolled back; progress), `decoding` (the
contracts' events from their ABIs, decoded by hand), the tables' owners `cursor`
(`index_cursor`), `events` (`index_events`, `index_transactions`, `index_blocks`), `members`
(`index_members`, each wallet's record folded from its events), `redemptions`
(`index_redemptions`), `rules` (`index_rules`: roles, policies, rewards, multipliers,
switches), `audit` (the index against the contracts' storage), and `schema` with
`migrations/` (the index's own file and Alembic versions).

The index is derived data: it can be dropped and rebuilt from the chain at any time.
May import: the top-level modules, `pii`, `store` (for `Database`), `chain` and `programme`.
"""
