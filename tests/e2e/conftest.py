"""End-to-end fixtures: an Anvil node that outlives every `ape run`, an operator who runs the
real scripts against it with a temporary vault and manifest folder, and read access to what
they leave behind (the chain through web3, the vault through `Vault`).

One node and one deployment serve the whole session; every test uses its own members and
reward events, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from operator_kit import BASE_MEMBERS, Contracts, Operator, Run, write_members
from web3 import Web3

from memberledger.local_node import running_anvil


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A private Anvil on a free port, for every `ape run` of the session."""
    with running_anvil() as url:
        yield url


@pytest.fixture(scope="session")
def operator(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Operator:
    """An operator with a fresh vault and manifest folder, after `ape run deploy`."""
    workdir = tmp_path_factory.mktemp("operator")
    key = secrets.token_bytes(32)
    # The operator's own settings (a .env, an exported key) must not leak into the tests.
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }
    env.update(
        MEMBERLEDGER_VAULT=str(workdir / "vault.db"),
        MEMBERLEDGER_VAULT_KEY=key.hex(),
        MEMBERLEDGER_DEPLOYMENTS=str(workdir / "deployments"),
        COLUMNS="200",
        NO_COLOR="1",
    )
    operator = Operator(anvil_url, env, workdir, workdir / "vault.db", key)
    operator.run("deploy").ok()
    return operator


@pytest.fixture(scope="session")
def contracts(operator: Operator, project: Any) -> Contracts:
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())
    web3 = Web3(Web3.HTTPProvider(operator.url))

    def abi(contract_type: Any) -> list[dict[str, Any]]:
        return [
            item.model_dump(mode="json", by_alias=True, exclude_none=True)
            for item in contract_type.abi
        ]

    return Contracts(
        web3=web3,
        registry=web3.eth.contract(
            address=manifest["registry"], abi=abi(project.MembershipRegistry.contract_type)
        ),
        points=web3.eth.contract(
            address=manifest["points"], abi=abi(project.LoyaltyPoints.contract_type)
        ),
    )


@pytest.fixture(scope="session")
def enrolled(operator: Operator) -> Run:
    """`ape run enroll` of the base members, three per batch."""
    path = write_members(operator.workdir / "base.csv", BASE_MEMBERS)
    return operator.run("enroll", path, "--batch-size", "3").ok()
