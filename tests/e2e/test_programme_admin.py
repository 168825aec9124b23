"""`ape run programme policy publish | rewards list|set|retire | multipliers list|set`: the
chain and the programme file change together; the page's policy is the one published."""

from __future__ import annotations

import hashlib
import json
import tomllib

from operator_kit import Contracts, Operator, enroll_new, one_red_line, write_rewards
from web3.exceptions import ContractLogicError


def programme_file(operator: Operator) -> dict[str, object]:
    return tomllib.loads((operator.workdir / "programme.toml").read_text(encoding="utf-8"))


def test_rewards_set_list_retire_change_chain_and_file(
    operator: Operator, contracts: Contracts
) -> None:
    wallet = list(contracts.web3.eth.accounts)[7]
    enroll_new(operator, "collector", wallet=wallet, tier="basic")
    operator.run(
        "issue_rewards", write_rewards(operator.workdir / "c.csv", [("gift:c", wallet, 900)])
    ).ok()

    operator.run("programme", "rewards", "set", "7", "250", "Museum pass").ok()

    assert contracts.points.functions.rewardCost(7).call() == 250
    rewards = programme_file(operator)["rewards"]
    assert isinstance(rewards, dict) and rewards["7"] == {
        "cost": 250,
        "name": "Museum pass",
    }
    assert "# The reward catalogue" in (operator.workdir / "programme.toml").read_text()
    listed = operator.run("programme", "rewards", "list").ok().stdout
    assert "Museum pass" in listed and "250" in listed
    height = contracts.height()
    again = operator.run("programme", "rewards", "set", "7", "250", "Museum pass").ok()
    assert "the chain already holds it" in again.stdout and contracts.height() == height

    contracts.points.functions.redeem(7).transact({"from": wallet})
    operator.run("programme", "rewards", "retire", "7").ok()

    assert contracts.points.functions.rewardCost(7).call() == 0
    try:
        contracts.points.functions.redeem(7).call({"from": wallet})
        raise AssertionError("a retired reward was redeemable")
    except ContractLogicError:
        pass
    assert programme_file(operator)["rewards"]["7"]["retired"] is True  # type: ignore[index]
    history = operator.run("member", wallet).ok().stdout
    assert "(Museum pass) for 250 points" in " ".join(history.split())


def test_multipliers_set_and_list(operator: Operator, contracts: Contracts) -> None:
    operator.run("programme", "multipliers", "set", "silver", "13000").ok()

    assert contracts.points.functions.multiplierBps(1).call() == 13000
    assert programme_file(operator)["multipliers"]["silver"] == 13000  # type: ignore[index]
    listed = operator.run("programme", "multipliers", "list").ok().stdout
    assert "1.30x" in listed
    refused = one_red_line(operator.run("programme", "multipliers", "set", "silver", "0"))
    assert "basis points from 1" in refused
    operator.run("programme", "multipliers", "set", "silver", "12500").ok()


def test_policy_publish_puts_the_hash_on_chain_and_keeps_the_text(
    operator: Operator, contracts: Contracts
) -> None:
    policy = operator.workdir / "policy-v2.md"
    policy.write_text("# Privacy policy, version 2\n\nWe keep less.\n", encoding="utf-8")
    before = contracts.registry.functions.policyVersion().call()

    run = operator.run("programme", "policy", "publish", policy).ok()
    again = operator.run("programme", "policy", "publish", policy).ok()

    version = contracts.registry.functions.policyVersion().call()
    assert version == before + 1
    digest = hashlib.sha256(policy.read_bytes()).digest()
    assert contracts.registry.functions.policyHash(version).call() == digest
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())
    kept = operator.workdir / "deployments" / manifest["policy_document"]
    assert kept.read_bytes() == policy.read_bytes()
    assert manifest["policy_version"] == version
    assert f"published policy version {version}" in run.stdout
    assert "nothing sent" in again.stdout
    assert contracts.registry.functions.policyVersion().call() == version
