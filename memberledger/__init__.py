"""MemberLedger: membership and loyalty on Ethereum.

Personal data stays off-chain in an encrypted vault; the chain only ever sees a salted
commitment to it, the member's consent flags and tier.

The package is laid out as the data flows, CSV -> check and seal -> vault -> journal ->
chain -> receipts, one room (sub-package) per stage; no room imports a room after it:

    errors settings hashing identifiers consent tiers   the words every room shares
    pii       canonical form, commitment, sealing       (no database, no chain)
    store     database, vault, journal, lock            (what the operator keeps)
    intake    CSV records, the two input files, duplicates, parallel checking
    chain     JSON-RPC, calldata, reads, signer, gas, accounts, deployment, local nodes
    programme                                           (opens store + chain for one chain)
    bulk      the bulk runs: staging, lookahead, courier, progress
    ops       members, history, report, verification, erasure, roles
    site      the web server and the relays members' browsers talk to
    cli       options, the error boundary, tables, the demo (for `scripts/`)

`tests/test_architecture.py` checks the direction of every import and that each table is
read and written by its owner only.
"""

__version__ = "0.1.0"
