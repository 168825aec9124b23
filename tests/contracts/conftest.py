"""Hypothesis profiles for the contract properties (tests/contracts/test_invariants.py).

`ci` (the default) is derandomized so `make test` runs the same examples every time; `fuzz`
explores new random examples, longer: `HYPOTHESIS_PROFILE=fuzz ape test
tests/contracts/test_invariants.py --network ethereum:local:foundry`.
The profiles are registered, not loaded: the stateful test applies the one the environment
names, so the domain tests' own `@given` settings stay as their authors left them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

_SLOW_IS_EXPECTED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=_SLOW_IS_EXPECTED,
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    max_examples=2_000,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=_SLOW_IS_EXPECTED,
    print_blob=True,
)


@pytest.fixture(autouse=True)
def _isolate(chain: Any) -> Iterator[None]:
    """Every test starts from the module's deployment, whatever earlier tests did.

    A plain snapshot and restore rather than `chain.isolate()`: its reset of the pending
    timestamp can fail half-way on Ape's in-process chain (eth-tester#296) and leave the next
    block at its parent's timestamp, so the next transaction is rejected."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)
