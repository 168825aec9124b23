"""`ape run erase WALLET_OR_ID`: crypto-shredding in the vault, erasure on chain, points gone."""

from __future__ import annotations

import re

import pytest
from operator_kit import (
    BASE_MEMBERS,
    Contracts,
    Operator,
    Run,
    enroll_new,
    one_red_line,
    write_rewards,
)

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

    run = operator.run("erase", member["member_id"], "--yes").ok()

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
        operator.run("erase", member["member_id"], "--yes").ok()
    height = contracts.height()

    run = operator.run("erase", member["wallet"].lower(), "--yes").ok()

    assert "nothing to do" in run.stdout
    assert re.findall(r"(vault|registry)\s*│\s*already erased", run.stdout) == ["vault", "registry"]
    assert contracts.height() == height


def test_erase_asks_for_the_member_id_and_does_nothing_on_another_answer(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "careful")
    height = contracts.height()

    wrong = operator.run("erase", member["wallet"], input="careful-1\n")
    silent = operator.run("erase", member["member_id"])  # nothing typed at all

    assert "Type the member id (careful-0) to confirm" in wrong.stdout
    assert "'careful-1' is not 'careful-0'" in one_red_line(wrong)
    assert "pass --yes" in one_red_line(silent)
    assert contracts.height() == height
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.status is MemberStatus.ENROLLED

    operator.run("erase", member["wallet"], input="careful-0\n").ok()

    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.status is MemberStatus.ERASED
