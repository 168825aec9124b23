"""Talking to the chain: a plain JSON-RPC client, calldata packed by hand, reads of the two
contracts, local signing, gas figures, whose account signs, the deployment manifest, and
local development nodes.

Modules: `rpc`, `calldata`, `reads`, `signer`, `gas`, `accounts`, `deployment`, `local_node`.
May import: the top-level modules and `pii` (a commitment is a chain value too). Never the
vault or the journal.
"""
