"""`ape run erase WALLET_OR_ID`: crypto-shredding in the vault, erasure on chain, points gone."""

from __future__ import annotations

import re

import pytest
from operator_kit import BASE_MEMBERS, Contracts, Operator, Run, write_rewards

from memberledger.errors import VaultError
from memberledger.store.vault import MemberStatus


def test_erase_shreds_vault_erases_chain_and_forfeits_points(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    member = BASE_MEMBERS[7]
    bonus = write_rewards(
        operator.workdir / "erase-bonus.csv", [("bonus:7", member["wallet"], 300)]
    )
    operator.run("issue_rewards", bonus).ok()
    points = int(contracts.points.functions.balanceOf(member["wallet"]).call())
    assert points > 0

    run = operator.run("erase", member["member_id"]).ok()

    assert "crypto-shredded" in run.stdout
    assert f"{points} points forfeited" in run.stdout
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.status is MemberStatus.ERASED
        with pytest.raises(VaultError, match="personal data is gone"):
            vault.personal_data(member["member_id"])
    record = contracts.registry.functions.memberOf(member["wallet"]).call()
    assert record[0] == b"\x00" * 20 and record[1] == 0 and record[3] == 4  # Status.Erased
    assert contracts.points.functions.balanceOf(member["wallet"]).call() == 0
    forfeits = contracts.logs(contracts.points, "PointsForfeited", member=member["wallet"])
    assert [log.args.amount for log in forfeits] == [points]
    assert member["email"].lower().encode() not in operator.vault_path.read_bytes()


def test_erase_again_changes_nothing(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    member = BASE_MEMBERS[7]
    if contracts.registry.functions.memberOf(member["wallet"]).call()[3] != 4:
        operator.run("erase", member["member_id"]).ok()
    height = contracts.height()

    run = operator.run("erase", member["wallet"].lower()).ok()

    assert "nothing to do" in run.stdout
    assert re.findall(r"(vault|registry)\s*│\s*already erased", run.stdout) == ["vault", "registry"]
    assert contracts.height() == height
