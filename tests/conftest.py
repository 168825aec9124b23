"""Shared fixtures: the test accounts' roles, and a fresh registry and points token per test
module on whatever chain `ape test --network ...` selected (Anvil by default, or Ape's
in-process test chain). Nothing here is autouse: tests that need no chain never touch it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from node_watch import pytest_configure, pytest_sessionfinish  # noqa: F401 (hooks)

from memberledger.settings import settings

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
