"""Contract tests: every test starts from the module's deployment (see `_isolate`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolate(chain: Any) -> Iterator[None]:
    """Every test starts from the module's deployment, whatever earlier tests did.

    A plain snapshot and restore rather than `chain.isolate()`: its reset of the pending
    timestamp can fail half-way on Ape's in-process chain (eth-tester#296) and leave the next
    block at its parent's timestamp, so the next transaction is rejected."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)
