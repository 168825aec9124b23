"""Fixtures of the contract tests beyond tests/conftest.py: every test starts from the
module's deployment (`_isolate`), and a contract wallet (ERC-1271) for signed requests.

`owner_wallet` is tests/contracts/wallets/OwnerWallet.sol, compiled with the project's own
compiler (the solc-js wrapper, through py-solc-x's standard-JSON path): a real contract on the
chain under test, not part of what the project deploys. (The Hypothesis profiles of the state
machines are registered in tests/conftest.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SOLC_VERSION = "0.8.30"
WALLETS = Path(__file__).parent / "wallets"


@pytest.fixture(scope="session")
def owner_wallet() -> Any:
    """The OwnerWallet contract, to deploy: `owner_wallet.deploy(owner, sender=...)`."""
    # Imported here, once ape is set up: importing them with the conftest warns from websockets.
    import solcx
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    source = (WALLETS / "OwnerWallet.sol").read_text()
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"OwnerWallet.sol": {"content": source}},
            "settings": {
                "evmVersion": "prague",
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        },
        solc_binary=solcx.install.get_executable(SOLC_VERSION),
    )
    compiled: dict[str, Any] = output["contracts"]["OwnerWallet.sol"]["OwnerWallet"]
    contract_type = ContractType.model_validate(
        {
            "contractName": "OwnerWallet",
            "abi": compiled["abi"],
            "deploymentBytecode": {"bytecode": "0x" + compiled["evm"]["bytecode"]["object"]},
        }
    )
    return ContractContainer(contract_type)


@pytest.fixture(autouse=True)
def _isolate(chain: Any) -> Iterator[None]:
    """Every test starts from the module's deployment, whatever earlier tests did.

    A plain snapshot and restore rather than `chain.isolate()`: its reset of the pending
    timestamp can fail half-way on Ape's in-process chain (eth-tester#296) and leave the next
    block at its parent's timestamp, so the next transaction is rejected."""
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)
