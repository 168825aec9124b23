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
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.crypto import keccak
from operator_kit import Operator, member_row, rpc, write_members
from web3 import Web3
from zk_kit import TIERS, Member, ZkChain, abi

from memberledger.chain.local_node import running_anvil
from memberledger.proofs.zk import identity_commitments, identity_message


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
            rpc(web3, "anvil_setBalance", account.address, hex(10**20))
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
