"""Shared fixtures: a fresh registry and points token per test module, on whatever chain
`ape test --network ...` selected (Anvil by default, or Ape's in-process test chain)."""

from __future__ import annotations

from typing import Any

import pytest

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
def _isolate(chain: Any) -> Any:
    """Every test starts from the module's deployment, whatever earlier tests did.

    A plain snapshot and restore rather than `chain.isolate()`: its reset of the pending
    timestamp can fail half-way on Ape's in-process chain (eth-tester#296) and leave the next
    block at its parent's timestamp, so the next transaction is rejected."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)
