"""What the operator keeps: the vault file and the tables in it, each with one owner.

Modules: `database` (the one SQLite connection the owners share, and its transactions),
`vault` (members and their sealed personal data), `journal` (batches on their way to the
chain, planned a few at a time), `retention` (which confirmed batches leave the journal,
and their archive), `lock` (one bulk run per vault), `fulfilments` (rewards handed out),
`letters_sent` (which welcome letters were written), `member_notes` (sealed reasons for an
operator's action).
May import: the top-level modules and `pii`. Never the chain: what the chain says comes in
as arguments.
"""
