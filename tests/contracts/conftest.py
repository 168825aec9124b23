"""Fixtures of the contract tests beyond tests/conftest.py: a contract wallet (ERC-1271) for
signed requests, and the Hypothesis profiles of the contract properties
(tests/contracts/test_invariants.py).

`owner_wallet` is tests/contracts/wallets/OwnerWallet.sol, compiled with the project's own
compiler (the solc-js wrapper, through py-solc-x's standard-JSON path): a real contract on the
chain under test, not part of what the project deploys.

`ci` (the default) is derandomized so `make test` runs the same examples every time; `fuzz`
explores new random examples, longer: `HYPOTHESIS_PROFILE=fuzz ape test
tests/contracts/test_invariants.py --network ethereum:local:foundry`.
The profiles are registered, not loaded: the stateful test applies the one the environment
names, so the domain tests' own `@given` settings stay as their authors left them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

SOLC_VERSION = "0.8.30"
WALLETS = Path(__file__).parent / "wallets"

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
