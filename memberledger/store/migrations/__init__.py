"""The schema of the vault file, as a history of versions (Alembic).

Every table of the vault file is created and changed here, one migration per change, in
`versions/`; the module that owns a table (see `memberledger.store.database`) reads and
writes it. `memberledger.store.database.Database` brings a file up to the latest version
when it opens it: a vault made by an older release is migrated on first open, and a vault
made before migrations existed (release 0.1.0) is recognised by its tables and taken as the
first version.

May import: the top-level modules (`memberledger.errors`, `memberledger.identifiers`, ...).
"""
