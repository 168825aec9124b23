"""Personal data: its one canonical spelling, the salted commitment the chain stores instead
of it, and sealing it (AES-256-GCM) for the vault. No database, no chain, no files.

Modules: `canonical` (the rules the browser shares), `commitment`, `sealing`.
May import: the top-level modules (`errors`, `hashing`, ...). Nothing else.
"""
