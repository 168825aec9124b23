"""`ape run roles`: list holders, grant and revoke, pause, and the two-step admin hand-over
to another account (here an Ape keyfile account standing in for the organisation's multisig)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr
from operator_kit import ROOT, Operator, new_operator, rpc
from web3 import Web3

from memberledger.chain.local_node import running_anvil

PASSPHRASE = "another passphrase"
PAUSED = HexStr("0x5c975abb")  # the selector of paused()
NEWCOMER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"  # Anvil account 6


@pytest.fixture
def operator(tmp_path: Path) -> Iterator[Operator]:
    with running_anvil(cwd=ROOT) as url:
        yield new_operator(
            url,
            tmp_path,
            APE_DATA_FOLDER=str(tmp_path / "ape"),
            MEMBERLEDGER_ACCOUNT_PASSPHRASE=PASSPHRASE,
        )


def test_roles_grant_list_revoke_pause(operator: Operator) -> None:
    web3 = Web3(Web3.HTTPProvider(operator.url))
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())

    declined = subprocess.run(
        ["ape", "run", "roles", "grant", "registrar", NEWCOMER, "--network", operator.url],
        cwd=ROOT,
        env=operator.env,
        input="n\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert "grant registrar to" in declined.stdout and "Nothing sent." in declined.stdout
    listed = operator.run("roles", "list").ok().stdout
    assert NEWCOMER not in listed
    assert "holds every role (admin, registrar, issuer, pauser)" in " ".join(listed.split())

    operator.run("roles", "grant", "registrar", NEWCOMER, "--yes").ok()
    listed = operator.run("roles", "list").ok().stdout
    assert any("registrar" in line and NEWCOMER in line for line in listed.splitlines())

    operator.run("roles", "revoke", "registrar", NEWCOMER, "--yes").ok()
    assert NEWCOMER not in operator.run("roles", "list").ok().stdout
    height = web3.eth.block_number
    again = operator.run("roles", "revoke", "registrar", NEWCOMER.lower(), "--yes").ok()
    assert f"{NEWCOMER} does not hold the registrar role on registry: nothing to revoke" in (
        again.stdout
    )
    assert "Nothing to send." in again.stdout and web3.eth.block_number == height

    refused = operator.run("roles", "grant", "admin", NEWCOMER, "--yes")
    assert refused.returncode == 2 and "transfer-admin" in refused.stderr

    operator.run("roles", "pause", "--yes").ok()
    paused = web3.eth.call({"to": manifest["registry"], "data": PAUSED})
    assert int.from_bytes(paused, "big") == 1
    operator.run("roles", "unpause", "--yes").ok()
    assert int.from_bytes(web3.eth.call({"to": manifest["registry"], "data": PAUSED}), "big") == 0


def test_roles_two_step_admin_transfer(operator: Operator) -> None:
    web3 = Web3(Web3.HTTPProvider(operator.url))
    multisig = Account.create()
    accounts = Path(operator.env["APE_DATA_FOLDER"]) / "accounts"
    accounts.mkdir(parents=True, exist_ok=True)
    (accounts / "multisig.json").write_text(json.dumps(Account.encrypt(multisig.key, PASSPHRASE)))
    rpc(web3, "anvil_setBalance", multisig.address, hex(10**19))

    operator.run("roles", "transfer-admin", multisig.address, "--yes").ok()
    pending = operator.run("roles", "list").ok().stdout
    assert f"pending admin transfer of registry to {multisig.address}" in pending
    rpc(web3, "evm_mine")
    operator.run("roles", "accept-admin", "--account", "multisig", "--yes").ok()
    listed = operator.run("roles", "list").ok().stdout
    admins = [line for line in listed.splitlines() if line.strip("│ ").startswith("admin")]
    assert len(admins) == 2 and all(multisig.address in line for line in admins)
