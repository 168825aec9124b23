"""Every store test runs twice: on the vault's SQLite file and on PostgreSQL (the `backend`
fixture of tests/conftest.py), except those marked `sqlite_only`."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_each_backend(backend: str) -> str:
    return backend
