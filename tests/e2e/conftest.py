"""End-to-end fixtures: an Anvil node that outlives every `ape run`, an operator who runs the
real scripts against it with a temporary vault and manifest folder, and read access to what
they leave behind (the chain through web3, the vault through `Vault`).

One node and one deployment serve the whole session; every test uses its own members and
reward events, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from operator_kit import BASE_MEMBERS, Contracts, Operator, Run, new_operator, write_members
from web3 import Web3

from memberledger.chain.local_node import running_anvil


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A private Anvil on a free port, for every `ape run` of the session."""
    with running_anvil() as url:
        yield url


@pytest.fixture(scope="session")
def operator(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Operator:
    """An operator with a fresh vault and manifest folder, after `ape run deploy`."""
    return new_operator(anvil_url, tmp_path_factory.mktemp("operator"))


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
