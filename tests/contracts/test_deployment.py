"""`memberledger.chain.deployment.deploy`: what `ape run deploy` sends, and the dry run's bounds."""

from __future__ import annotations

from typing import Any

import pytest

from memberledger.chain.deployment import (
    DEFAULT_REWARDS,
    DEFAULT_RULES,
    DEFAULT_TIER_MULTIPLIERS,
    SETUP_GAS_UPPER_BOUND,
    RoleHandover,
    deploy,
    estimate_deployment,
    setup_call_count,
    setup_calls,
)


@pytest.fixture(autouse=True)
def _on_anvil(chain: Any) -> None:
    """Deployment is the operator's flow and runs on a node; the in-process chain refuses the
    burst of blocks it mines after a snapshot revert ("timestamp must be strictly later")."""
    if chain.provider.name != "foundry":
        pytest.skip("deployment flow is tested on Anvil")


def test_deploy_sets_policy_rules_and_roles(project: Any, chain: Any, accounts: Any) -> None:
    admin, registrar, issuer = accounts[0], accounts[1], accounts[2]
    roles = RoleHandover(registrar=registrar.address, issuer=issuer.address)
    deployment = deploy(project, chain, admin, roles=roles)
    registry = project.MembershipRegistry.at(deployment.registry)
    points = project.LoyaltyPoints.at(deployment.points)
    assert deployment.policy_version == registry.policyVersion() == 1
    assert "0x" + registry.policyHash(1).hex().removeprefix("0x") == deployment.policy_hash
    assert points.registry() == registry.address
    assert {
        t: points.multiplierBps(t) for t in DEFAULT_TIER_MULTIPLIERS
    } == DEFAULT_TIER_MULTIPLIERS
    assert {r: points.rewardCost(r) for r in DEFAULT_REWARDS} == {
        r: cost for r, (cost, _) in DEFAULT_REWARDS.items()
    }
    assert registry.hasRole(registry.REGISTRAR_ROLE(), registrar)
    assert points.hasRole(points.ISSUER_ROLE(), issuer)
    # The deployer renounced what it handed over, and kept what it did not (pauser, admin).
    assert not registry.hasRole(registry.REGISTRAR_ROLE(), admin)
    assert not points.hasRole(points.ISSUER_ROLE(), admin)
    assert registry.hasRole(registry.PAUSER_ROLE(), admin)
    assert registry.defaultAdmin() == points.defaultAdmin() == admin.address


def test_deploy_hands_every_role_over_and_keeps_admin_only(
    project: Any, chain: Any, accounts: Any
) -> None:
    admin = accounts[0]
    roles = RoleHandover(
        registrar=accounts[1].address, issuer=accounts[2].address, pauser=accounts[3].address
    )
    deployment = deploy(project, chain, admin, roles=roles)
    registry = project.MembershipRegistry.at(deployment.registry)
    points = project.LoyaltyPoints.at(deployment.points)

    held = {
        "registrar": registry.hasRole(registry.REGISTRAR_ROLE(), admin),
        "pauser": registry.hasRole(registry.PAUSER_ROLE(), admin),
        "issuer": points.hasRole(points.ISSUER_ROLE(), admin),
    }
    assert held == {"registrar": False, "pauser": False, "issuer": False}
    assert registry.hasRole(registry.PAUSER_ROLE(), accounts[3])
    assert registry.defaultAdmin() == points.defaultAdmin() == admin.address
    assert registry.defaultAdminDelay() == 0  # a local development chain


def test_deploy_setup_transactions_within_dry_run_bound(
    project: Any, chain: Any, accounts: Any
) -> None:
    """The dry run counts each setup transaction at SETUP_GAS_UPPER_BOUND: it must be one."""
    admin = accounts[0]
    registry = project.MembershipRegistry.deploy(admin, 0, sender=admin)
    points = project.LoyaltyPoints.deploy(registry, admin, 0, sender=admin)
    roles = RoleHandover(
        registrar=accounts[1].address, issuer=accounts[2].address, pauser=accounts[3].address
    )
    calls = setup_calls(registry, points, b"\x11" * 32, roles, DEFAULT_RULES, admin.address)
    receipts = [call(*args, sender=admin) for call, args in calls]
    # policy, rules, then a grant and a renouncement per role handed over
    assert len(receipts) == 1 + len(DEFAULT_TIER_MULTIPLIERS) + len(DEFAULT_REWARDS) + 6
    assert len(receipts) == setup_call_count(roles, DEFAULT_RULES, admin.address)
    assert max(receipt.gas_used for receipt in receipts) <= SETUP_GAS_UPPER_BOUND


def test_estimate_deployment_sends_nothing(project: Any, chain: Any, accounts: Any) -> None:
    admin = accounts[0]
    nonce = admin.nonce
    estimate = estimate_deployment(project, chain, admin)
    assert admin.nonce == nonce
    assert [what for what, _ in estimate.rows][:2] == [
        "deploy MembershipRegistry",
        "deploy LoyaltyPoints",
    ]
    assert all(gas > 100_000 for _, gas in estimate.rows)
    assert estimate.total_cost_wei == estimate.total_gas * estimate.gas_price_wei
