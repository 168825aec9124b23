"""The domain tests use no chain: they replace the root conftest's per-test chain snapshot
with nothing, so they run without a node (`pytest -p no:ape_test tests/domain`) and fast
under `ape test` too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolate() -> Iterator[None]:
    yield
