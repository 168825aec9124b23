"""Bulk fixtures: a programme opened in-process on the contracts the root conftest deploys,
with a fresh vault per test, and the chain restored after each test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from memberledger.chain.deployment import Deployment
from memberledger.programme import Programme
from memberledger.store.database import Database
from memberledger.store.journal import Journal
from memberledger.store.vault import Vault


@pytest.fixture
def programme(tmp_path: Path, chain: Any, registry: Any, points: Any) -> Iterator[Programme]:
    from ape import accounts  # the account manager the scripts see (it has test_accounts)

    database = Database(tmp_path / "vault.db")
    deployment = Deployment(
        chain_id=chain.chain_id,
        registry=str(registry.address),
        points=str(points.address),
        deploy_block=0,
        deployer=str(accounts.test_accounts[0].address),
        policy_version=1,
        policy_hash="0x" + "11" * 32,
    )
    yield Programme(
        chain,
        accounts,
        deployment,
        registry,
        points,
        database,
        Vault(database, secrets.token_bytes(32)),
        Journal(database),
        console=Console(),
    )
    database.close()


@pytest.fixture(autouse=True)
def _isolate(chain: Any) -> Iterator[None]:
    """Every test starts from the module's deployment (see tests/contracts/conftest.py)."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)
