"""Beyond the laptop: the operator's whole flow on Anvil and on Hardhat, custom errors decoded
on both, and a testnet rehearsal (a testnet's chain id, a base fee, blocks every second, an
Ape keyfile account unlocked from the environment, confirmations waited for)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ape
import pytest
from eth_account import Account
from operator_kit import (
    ROOT,
    Operator,
    block_transactions,
    member_row,
    rpc,
    write_members,
    write_rewards,
)
from web3 import Web3

from memberledger.chain.local_node import (
    anvil_command,
    free_port,
    hardhat_command,
    leftover_nodes,
    local_url,
    running_node,
)

SEPOLIA_CHAIN_ID = 11155111
PASSPHRASE = "correct horse battery staple"


#: Hardhat takes longer than Anvil to answer its first request.
NODE_START_SECONDS = 60


@pytest.fixture(scope="module", params=["anvil", "hardhat"])
def node_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    url = local_url(port)
    command = anvil_command(port) if request.param == "anvil" else hardhat_command(port, ROOT)
    with running_node(command, url, timeout=NODE_START_SECONDS, cwd=ROOT, quiet=True):
        yield url


def test_npx_hardhat_node_stops_with_the_node_under_npx() -> None:
    """`npx hardhat node` is npx with the real node as its child; stopping npx alone left the
    child running (issue 20). Stopped as a group, neither is left."""
    port = free_port()
    command = ["npx", "--no-install", "hardhat", "node", "--hostname", "127.0.0.1"]
    with running_node(
        [*command, "--port", str(port)],
        local_url(port),
        timeout=NODE_START_SECONDS,
        cwd=ROOT,
        quiet=True,
    ) as npx:
        on_port = [n for n in leftover_nodes() if f"--port {port}" in n.command]
        assert len(on_port) >= 2 and npx.pid in {n.pid for n in on_port}  # npx and its node

    assert [n for n in leftover_nodes() if f"--port {port}" in n.command] == []


def _operator(url: str, workdir: Path, **extra: str) -> Operator:
    key = secrets.token_bytes(32)
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }
    env.update(
        MEMBERLEDGER_VAULT=str(workdir / "vault.db"),
        MEMBERLEDGER_VAULT_KEY=key.hex(),
        MEMBERLEDGER_DEPLOYMENTS=str(workdir / "deployments"),
        COLUMNS="200",
        NO_COLOR="1",
        **extra,
    )
    return Operator(url, env, workdir, workdir / "vault.db", key)


def _contracts(web3: Web3, manifest: dict[str, Any]) -> tuple[Any, Any]:
    def abi(container: Any) -> list[dict[str, Any]]:
        return [
            i.model_dump(mode="json", by_alias=True, exclude_none=True)
            for i in container.contract_type.abi
        ]

    registry = web3.eth.contract(
        address=manifest["registry"], abi=abi(ape.project.MembershipRegistry)
    )
    points = web3.eth.contract(address=manifest["points"], abi=abi(ape.project.LoyaltyPoints))
    return registry, points


def test_whole_flow_on_node(node_url: str, tmp_path: Path) -> None:
    """deploy, enroll, issue, a member's own consent change and redemption, erase, verify;
    then custom errors decode through Ape on the same node."""
    web3 = Web3(Web3.HTTPProvider(node_url))
    operator = _operator(node_url, tmp_path)
    operator.run("deploy").ok()
    manifest = json.loads((tmp_path / "deployments" / "31337.json").read_text())
    registry, points = _contracts(web3, manifest)

    wallets = [web3.eth.accounts[i] for i in (5, 6, 7)]  # unlocked dev accounts: members who sign
    rows = [member_row(f"node-{i}", wallet=w) for i, w in enumerate(wallets)]
    operator.run("enroll", write_members(tmp_path / "members.csv", rows)).ok()
    rewards = [(f"visit-{i}", w, 200) for i, w in enumerate(wallets)]
    operator.run("issue_rewards", write_rewards(tmp_path / "rewards.csv", rewards)).ok()
    assert [points.functions.balanceOf(w).call() for w in wallets] == [300, 300, 300]  # gold: 1.5x

    member = wallets[0]
    tx = registry.functions.setConsent(0b110, 1).transact({"from": member})
    assert web3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert registry.functions.memberOf(member).call()[1] == 0b110
    tx = points.functions.redeem(1).transact({"from": member})
    assert web3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert points.functions.balanceOf(member).call() == 200

    operator.run("erase", "node-2", "--yes").ok()
    assert registry.functions.memberOf(wallets[2]).call()[3] == 4  # Erased
    assert points.functions.balanceOf(wallets[2]).call() == 0
    verify = operator.run("verify").ok()
    assert "all match" in verify.stdout

    # A revert through Ape names the contract's custom error and its arguments on this node.
    with ape.networks.parse_network_choice(node_url):
        ape_registry = ape.project.MembershipRegistry.at(manifest["registry"])
        registrar = ape.accounts.test_accounts[0]
        with ape.reverts(ape_registry.AlreadyEnrolled, member=member):
            ape_registry.enroll(member, b"\x02" * 20, 1, 0, sender=registrar)
        with ape.reverts(ape_registry.MemberIsErased, member=wallets[2]):
            ape_registry.enroll(wallets[2], b"\x02" * 20, 1, 0, sender=registrar)


@pytest.fixture
def testnet_rehearsal_node() -> Iterator[str]:
    port = free_port()
    url = local_url(port)
    options = ["--chain-id", str(SEPOLIA_CHAIN_ID), "--base-fee", "1000000000", "--block-time", "1"]
    with running_node(
        anvil_command(port, *options), url, timeout=NODE_START_SECONDS, cwd=ROOT, quiet=True
    ):
        yield url


def test_testnet_rehearsal(testnet_rehearsal_node: str, tmp_path: Path) -> None:
    """On a non-development chain the operator must name a keyfile account; its passphrase
    comes from the environment; --dry-run sends nothing; confirmations are waited for."""
    url = testnet_rehearsal_node
    web3 = Web3(Web3.HTTPProvider(url))
    data_folder = tmp_path / "ape"
    (data_folder / "accounts").mkdir(parents=True)
    operator_key = Account.create()
    keyfile = Account.encrypt(operator_key.key, PASSPHRASE)
    (data_folder / "accounts" / "rehearsal.json").write_text(json.dumps(keyfile))
    rpc(web3, "anvil_setBalance", operator_key.address, hex(10**20))
    operator = _operator(
        url, tmp_path, APE_DATA_FOLDER=str(data_folder), MEMBERLEDGER_ACCOUNT_PASSPHRASE=PASSPHRASE
    )

    refused = operator.run("deploy")
    assert refused.returncode == 2
    assert "--account" in refused.stderr

    dry = operator.run("deploy", "--account", "rehearsal", "--dry-run").ok()
    assert "nothing sent" in dry.stdout and "ETH" in dry.stdout
    assert web3.eth.get_transaction_count(operator_key.address) == 0

    operator.run("deploy", "--account", "rehearsal", "--confirmations", "2").ok()
    manifest = json.loads((tmp_path / "deployments" / f"{SEPOLIA_CHAIN_ID}.json").read_text())
    assert web3.eth.block_number >= _last_block(web3, operator_key.address) + 2
    assert manifest["compiler_version"].startswith("0.8.30")
    assert (tmp_path / "deployments" / manifest["standard_input"]).exists()

    rows = [member_row(f"rehearsal-{i}") for i in range(3)]
    operator.run("enroll", write_members(tmp_path / "m.csv", rows), "--account", "rehearsal").ok()
    registry, _ = _contracts(web3, manifest)
    assert registry.functions.memberCount().call() == 3
    block = web3.eth.get_block("latest")
    assert block["baseFeePerGas"] > 0


def _last_block(web3: Web3, sender: str) -> int:
    """Block of the sender's most recent transaction (scanning back from the head)."""
    for number in range(web3.eth.block_number, -1, -1):
        for tx in block_transactions(web3, number):
            if tx["from"] == sender:
                return number
    raise AssertionError("no transaction from the operator")
