"""`LocalKeySigner` signs EIP-1559 transactions for the courier: byte for byte what
eth_account gives for the same fields (any address spelling), deterministic, recoverable."""

from __future__ import annotations

from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from memberledger.chain.signer import LocalKeySigner, UnsignedTx

# The first Anvil/Hardhat development key: public, never holds real funds.
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

transactions = st.builds(
    UnsignedTx,
    chain_id=st.sampled_from([1, 31337, 11155111, 2**40]),
    nonce=st.integers(0, 2**64 - 1),
    to=st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    data=st.binary(max_size=2_000),
    gas_limit=st.integers(21_000, 30_000_000),
    max_fee=st.integers(0, 10**15),
    priority_fee=st.integers(0, 10**12),
)


def reference(tx: UnsignedTx) -> tuple[bytes, str]:
    signed = Account.sign_transaction(
        {
            "type": 2,
            "chainId": tx.chain_id,
            "nonce": tx.nonce,
            "to": to_checksum_address(tx.to),
            "value": 0,
            "data": tx.data,
            "gas": tx.gas_limit,
            "maxFeePerGas": tx.max_fee,
            "maxPriorityFeePerGas": tx.priority_fee,
        },
        KEY,
    )
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


@settings(max_examples=200, deadline=None)
@given(transactions)
def test_local_signer_matches_eth_account(tx: UnsignedTx) -> None:
    signed = LocalKeySigner(KEY).sign(tx)
    assert (signed.raw, signed.tx_hash) == reference(tx)


def test_local_signer_recovers_to_its_address() -> None:
    signer = LocalKeySigner(KEY)
    tx = UnsignedTx(31337, 7, "0x" + "11" * 20, b"\x01\x02", 100_000, 2 * 10**9, 10**9)
    signed = signer.sign(tx)
    assert Account.recover_transaction(signed.raw) == signer.address
    assert signer.sign(tx) == signed  # deterministic: a re-send has the same hash
