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
from pg_kit import PostgresServer

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


# ---------------------------------------------------------------------- the two databases

#: The databases a store test runs on (`backend`): the vault's SQLite file, and PostgreSQL.
BACKENDS = ("sqlite", "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `sqlite_only` (it is about the file itself: permissions, WAL, release
    0.1.0's files) keeps its SQLite run only; one marked `postgres_only`, its PostgreSQL
    run."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if (backend == "postgresql" and item.get_closest_marker("sqlite_only")) or (
            backend == "sqlite" and item.get_closest_marker("postgres_only")
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, started on first use (tests/pg_kit.py)."""
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on each database: on "postgresql", `MEMBERLEDGER_DATABASE_URL` names a
    fresh database of its own on the session's server, so every `Database` the test opens
    (the vault, the journal, the index) is in PostgreSQL."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        monkeypatch.setenv("MEMBERLEDGER_DATABASE_URL", server.new_database(request.node.name))
    else:
        monkeypatch.delenv("MEMBERLEDGER_DATABASE_URL", raising=False)
    settings.cache_clear()
    yield str(request.param)
    settings.cache_clear()
