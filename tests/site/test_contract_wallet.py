"""Contract wallets (ERC-1271, as a Safe is): the relay asks the wallet itself whether the
signature is valid, exactly as the registry's SignatureChecker will, and relays it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import solcx
from member_stack import MemberStack, request

WALLET_SOURCE = Path(__file__).parent / "contracts" / "OwnerWallet.sol"


@pytest.fixture(scope="module")
def wallet_contract(stack: MemberStack) -> Any:
    """The OwnerWallet contract, compiled by the project's solc."""
    compiled = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"OwnerWallet.sol": {"content": WALLET_SOURCE.read_text()}},
            "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
        },
        solc_version="0.8.30",
    )["contracts"]["OwnerWallet.sol"]["OwnerWallet"]
    return stack.web3.eth.contract(
        abi=compiled["abi"], bytecode=compiled["evm"]["bytecode"]["object"]
    )


def _deploy(stack: MemberStack, contract: Any, owner: str) -> str:
    tx_hash = contract.constructor(owner).transact({"from": owner})
    receipt = stack.web3.eth.wait_for_transaction_receipt(tx_hash)
    return str(receipt["contractAddress"])


def post(url: str, payload: Any) -> Any:
    return request(url, "POST", json.dumps(payload).encode())


def test_relay_accepts_contract_wallet_signature(
    stack: MemberStack, relay_url: str, wallet_contract: Any
) -> None:
    owner = stack.fresh_account()
    wallet = _deploy(stack, wallet_contract, owner)
    stack.enroll(wallet, consent=1)

    answer = post(relay_url, stack.sign_consent(wallet, 3, signer=owner))

    assert answer.status == 200, answer.body
    assert stack.record(wallet)[1] == 3
    receipt = stack.web3.eth.get_transaction_receipt(answer.body["txHash"])
    (event,) = stack.registry.events.ConsentChanged().process_receipt(receipt)
    assert (event["args"]["member"], event["args"]["by"]) == (wallet, stack.relayer)


def test_relay_refuses_contract_wallet_signature_by_stranger(
    stack: MemberStack, relay_url: str, wallet_contract: Any
) -> None:
    owner, stranger = stack.fresh_account(), stack.fresh_account()
    wallet = _deploy(stack, wallet_contract, owner)
    stack.enroll(wallet, consent=1)
    sent = stack.tx_count(stack.relayer)

    answer = post(relay_url, stack.sign_consent(wallet, 3, signer=stranger))

    assert (answer.status, answer.body["error"]) == (400, "bad_signature")
    assert stack.tx_count(stack.relayer) == sent
    assert stack.record(wallet)[1] == 1
