"""Shared fixtures, and the Hypothesis profiles of the state machines (`ci`, the default,
derandomized so `make test` runs the same examples every time; `fuzz`, new random examples,
longer: `make fuzz`). The profiles are registered, not loaded: each state machine applies
the one `HYPOTHESIS_PROFILE` names, so other tests' own `@given` settings stay as written.

Also: the test accounts' roles, and a fresh registry and points token per test
module on whatever chain `ape test --network ...` selected (Anvil by default, or Ape's
in-process test chain). Nothing here is autouse: tests that need no chain never touch it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from node_watch import pytest_configure, pytest_sessionfinish  # noqa: F401 (hooks)

from memberledger.settings import settings

_SLOW_IS_EXPECTED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=_SLOW_IS_EXPECTED,
    print_blob=True,
)
hypothesis_settings.register_profile(
    "fuzz",
    derandomize=False,
    max_examples=2_000,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=_SLOW_IS_EXPECTED,
    print_blob=True,
)


POLICY_V1 = b"\x11" * 32


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def registrar(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def issuer(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="session")
def pauser(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    return accounts[9]


@pytest.fixture(scope="session")
def members(accounts: Any) -> list[Any]:
    """Test accounts 4..8 act as member wallets (they can sign transactions)."""
    return [accounts[i] for i in range(4, 9)]


@pytest.fixture(scope="module")
def registry(project: Any, admin: Any, registrar: Any, pauser: Any) -> Any:
    contract = project.MembershipRegistry.deploy(admin, 0, sender=admin)
    contract.grantRole(contract.REGISTRAR_ROLE(), registrar, sender=admin)
    contract.grantRole(contract.PAUSER_ROLE(), pauser, sender=admin)
    contract.publishPolicy(POLICY_V1, sender=admin)
    return contract


@pytest.fixture(scope="module")
def points(project: Any, registry: Any, admin: Any, issuer: Any) -> Any:
    contract = project.LoyaltyPoints.deploy(registry, admin, 0, sender=admin)
    contract.grantRole(contract.ISSUER_ROLE(), issuer, sender=admin)
    return contract


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read once per process (`memberledger.settings`): a test that changes the
    environment or the working directory gets them read again, and leaves no trace."""
    settings.cache_clear()
    yield
    settings.cache_clear()
