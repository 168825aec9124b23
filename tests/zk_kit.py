"""What the private-proof tests share besides fixtures: the chain as the members, the operator
and the cinema see it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operator_kit import Operator, rpc
from web3 import Web3

TIERS = ["basic", "silver", "gold", "platinum"]


@dataclass
class Member:
    """A member who holds the key of their wallet."""

    member_id: str
    account: Any
    tier: str
    signature: bytes = b""
    identity: int = 0

    @property
    def wallet(self) -> str:
        return str(self.account.address)


@dataclass
class ZkChain:
    operator: Operator
    web3: Web3
    registry: Any
    proofs: Any
    manifest: dict[str, Any]
    proofs_manifest: dict[str, Any]
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def registrar(self) -> str:
        return str(self.manifest["deployer"])

    def send(self, call: Any, sender: Member | str) -> Any:
        """Send a contract call: from an unlocked Anvil account, or signed by a member."""
        if isinstance(sender, str):
            tx_hash = call.transact({"from": sender})
        else:
            tx = call.build_transaction(
                {
                    "from": sender.wallet,
                    "nonce": self.web3.eth.get_transaction_count(
                        Web3.to_checksum_address(sender.wallet)
                    ),
                    "chainId": self.web3.eth.chain_id,
                }
            )
            signed = sender.account.sign_transaction(tx)
            tx_hash = self.web3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, receipt
        return receipt

    def register(self, member: Member) -> Any:
        return self.send(self.proofs.functions.registerIdentity(member.identity), member)

    def snapshot(self) -> str:
        return str(rpc(self.web3, "evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        rpc(self.web3, "evm_revert", snapshot)

    def advance(self, seconds: int) -> None:
        rpc(self.web3, "evm_increaseTime", seconds)
        rpc(self.web3, "evm_mine")


def abi(project: Any, name: str) -> list[dict[str, Any]]:
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True)
        for item in getattr(project, name).contract_type.abi
    ]


def proof_file_path(workdir: Path, name: str, content: dict[str, Any]) -> Path:
    path = workdir / name
    path.write_text(json.dumps(content))
    return path
