"""`ape run deploy`: never over an existing programme unless --force (which archives the old
manifest), roles handed over with the deployer renouncing them, and the programme file's
catalogue, multipliers and policy on chain."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from operator_kit import Contracts, Operator, copy_programme_file, one_red_line
from web3 import Web3

REGISTRAR, ISSUER, PAUSER = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
)


def elsewhere(operator: Operator, folder: Path) -> Operator:
    """The same operator with a manifest folder (and programme file) of its own."""
    folder.mkdir()
    env = {
        **operator.env,
        "MEMBERLEDGER_DEPLOYMENTS": str(folder / "deployments"),
        "MEMBERLEDGER_PROGRAMME": str(copy_programme_file(folder)),
    }
    return replace(operator, env=env, workdir=folder)


def test_deploy_refuses_an_existing_manifest(operator: Operator, contracts: Contracts) -> None:
    height = contracts.height()

    line = one_red_line(operator.run("deploy"))

    assert "already holds a deployment on chain 31337" in line and "--force" in line
    assert contracts.height() == height


def test_deploy_force_archives_the_old_manifest(operator: Operator, tmp_path: Path) -> None:
    mine = elsewhere(operator, tmp_path / "forced")
    mine.run("deploy").ok()
    first = json.loads((mine.workdir / "deployments" / "31337.json").read_text())

    run = mine.run("deploy", "--force").ok()

    archived = list((mine.workdir / "deployments").glob("31337.replaced-*.json"))
    archived = [path for path in archived if "standard-input" not in path.name]
    assert len(archived) == 1 and json.loads(archived[0].read_text()) == first
    assert f"archived the previous manifest as {archived[0]}" in " ".join(run.stdout.split())
    second = json.loads((mine.workdir / "deployments" / "31337.json").read_text())
    assert second["registry"] != first["registry"]


def test_deploy_hands_roles_over_and_sets_the_programme_file(
    operator: Operator, tmp_path: Path
) -> None:
    mine = elsewhere(operator, tmp_path / "handover")

    run = mine.run(
        "deploy", "--registrar", REGISTRAR, "--issuer", ISSUER.lower(), "--pauser", PAUSER
    ).ok()

    manifest = json.loads((mine.workdir / "deployments" / "31337.json").read_text())
    web3 = Web3(Web3.HTTPProvider(operator.url))
    registry = web3.eth.contract(
        address=manifest["registry"],
        abi=[
            {"name": n, "type": "function", "stateMutability": "view", "inputs": i, "outputs": o}
            for n, i, o in (
                ("hasRole", [{"type": "bytes32"}, {"type": "address"}], [{"type": "bool"}]),
                ("REGISTRAR_ROLE", [], [{"type": "bytes32"}]),
                ("PAUSER_ROLE", [], [{"type": "bytes32"}]),
            )
        ],
    )
    deployer = manifest["deployer"]
    registrar_role = registry.functions.REGISTRAR_ROLE().call()
    pauser_role = registry.functions.PAUSER_ROLE().call()
    assert registry.functions.hasRole(registrar_role, REGISTRAR).call()
    assert registry.functions.hasRole(pauser_role, PAUSER).call()
    assert not registry.functions.hasRole(registrar_role, deployer).call()
    assert not registry.functions.hasRole(pauser_role, deployer).call()
    assert f"{REGISTRAR} (the deployer renounced it)" in run.stdout
    listed = mine.run("roles", "list").ok().stdout
    assert "holds every role" not in listed
    kept = mine.workdir / "deployments" / manifest["policy_document"]
    assert kept.read_bytes() == (mine.workdir / "docs" / "privacy-policy.md").read_bytes()
    refused = one_red_line(mine.run("deploy", "--force", "--issuer", "0x1234"))
    assert "field '--issuer': '0x1234' is not a wallet address" in refused
