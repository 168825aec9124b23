"""Private proofs of membership (issue 19): Semaphore v4 groups built off chain from the
registry's and `MembershipProofs`' events, their roots published on chain, and proofs checked
for partners.

What lives here: `settings` (windows, minimum group size, proving files), `zk` (the bridge to
the Semaphore libraries in Node: roots, identities, proofs), `events` (the two contracts' logs,
read in block ranges), `groups` (replaying those logs into the four groups), `deployment`
(the contracts and their manifest), `publish`, `audit`, `proof_file` and `verify` (the three
operator and partner commands), `site` (what the member page fetches).

May import: the top-level modules (`errors`, `operator`, `deployment`, `rpc`, `lock`,
`progress`, `tiers`); nothing else of `memberledger` imports from here except the member site.
"""
