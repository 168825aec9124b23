"""Private proofs end to end: a private Anvil, the operator's real scripts (`ape run deploy`,
`enroll`, `proofs deploy|publish|audit|verify`), members who hold their own keys, sign the
identity message and register from their own wallets, and a cinema that checks proofs.

One node serves the module; tests that change members take their own snapshot (`restored`)
so the order of tests does not matter. Proofs take seconds each: the few that are made are
made once (`cinema_story`).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.crypto import keccak
from operator_kit import Operator, member_row, write_members
from web3 import Web3

from memberledger.local_node import running_anvil
from memberledger.proofs.zk import identity_commitments, identity_message

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
                    "nonce": self.web3.eth.get_transaction_count(sender.wallet),
                    "chainId": self.web3.eth.chain_id,
                }
            )
            signed = sender.account.sign_transaction(tx)
            tx_hash = self.web3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt.status == 1, receipt
        return receipt

    def register(self, member: Member) -> Any:
        return self.send(self.proofs.functions.registerIdentity(member.identity), member)

    def snapshot(self) -> str:
        return str(self.web3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[attr-defined]

    def revert(self, snapshot: str) -> None:
        self.web3.provider.make_request("evm_revert", [snapshot])  # type: ignore[attr-defined]

    def advance(self, seconds: int) -> None:
        self.web3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[attr-defined]
        self.web3.provider.make_request("evm_mine", [])  # type: ignore[attr-defined]


def abi(project: Any, name: str) -> list[dict[str, Any]]:
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True)
        for item in getattr(project, name).contract_type.abi
    ]


@pytest.fixture(scope="module")
def zk(project: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkChain]:
    """Deployed programme and proofs, eight enrolled members (two per tier) holding their own
    keys, each with the identity their wallet's signature derives; none registered yet."""
    workdir = tmp_path_factory.mktemp("zk")
    with running_anvil() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERLEDGER_")}
        env.update(
            MEMBERLEDGER_VAULT=str(workdir / "vault.db"),
            MEMBERLEDGER_VAULT_KEY=secrets.token_hex(32),
            MEMBERLEDGER_DEPLOYMENTS=str(workdir / "deployments"),
            MEMBERLEDGER_PROOF_ROOT_VALIDITY="600",
            COLUMNS="200",
            NO_COLOR="1",
        )
        operator = Operator(url, env, workdir, workdir / "vault.db", b"")
        operator.run("deploy").ok()
        operator.run("proofs", "deploy").ok()
        web3 = Web3(Web3.HTTPProvider(url))
        manifest = json.loads((workdir / "deployments" / "31337.json").read_text())
        proofs_manifest = json.loads((workdir / "deployments" / "31337.proofs.json").read_text())
        chain = ZkChain(
            operator=operator,
            web3=web3,
            registry=web3.eth.contract(
                address=manifest["registry"], abi=abi(project, "MembershipRegistry")
            ),
            proofs=web3.eth.contract(
                address=proofs_manifest["proofs"], abi=abi(project, "MembershipProofs")
            ),
            manifest=manifest,
            proofs_manifest=proofs_manifest,
        )
        message = identity_message(31337, proofs_manifest["proofs"])
        for i in range(8):
            member_id = f"zk-{i}"
            account = Account.from_key(keccak(b"zk member " + member_id.encode()))
            web3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])  # type: ignore[attr-defined]
            member = Member(member_id, account, TIERS[i % 4])
            member.signature = bytes(account.sign_message(encode_defunct(text=message)).signature)
            chain.members[member_id] = member
        commitments = identity_commitments([m.signature for m in chain.members.values()])
        for member, commitment in zip(chain.members.values(), commitments, strict=True):
            member.identity = commitment
        rows = [
            member_row(m.member_id, wallet=m.wallet, tier=m.tier) for m in chain.members.values()
        ]
        operator.run("enroll", write_members(workdir / "members.csv", rows)).ok()
        yield chain


@pytest.fixture
def restored(zk: ZkChain) -> Iterator[ZkChain]:
    """The module's chain, put back as it was after the test."""
    snapshot = zk.snapshot()
    yield zk
    zk.revert(snapshot)


def proof_file_path(workdir: Path, name: str, content: dict[str, Any]) -> Path:
    path = workdir / name
    path.write_text(json.dumps(content))
    return path
