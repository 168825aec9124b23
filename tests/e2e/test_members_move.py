"""`ape run members move MEMBER NEW_WALLET`: a lost wallet. Proposed now, completed after the
registry's delay (the points carried over, the vault's record sealed again under the new
wallet, a new letter); the old wallet can veto in between, and is buried afterwards."""

from __future__ import annotations

from eth_account import Account
from operator_kit import Contracts, Operator, enroll_new, one_red_line, rpc, write_rewards

MOVED = 5


def pass_the_move_delay(contracts: Contracts) -> None:
    delay = int(contracts.registry.functions.moveDelay().call())
    rpc(contracts.web3, "evm_increaseTime", delay + 1)
    rpc(contracts.web3, "evm_mine")


def test_members_move_proposes_then_completes_after_the_delay(
    operator: Operator, contracts: Contracts
) -> None:
    old = list(contracts.web3.eth.accounts)[8]
    new = Account.create().address
    (member,) = enroll_new(operator, "lost-wallet", wallet=old, tier="gold")
    operator.run(
        "issue_rewards", write_rewards(operator.workdir / "lw.csv", [("gift:lw", old, 100)])
    ).ok()
    points = int(contracts.points.functions.balanceOf(old).call())
    letters = operator.workdir / "move-letters"

    refused = operator.run("members", "move", member["member_id"], new, input="someone-else\n")
    proposed = operator.run("members", "move", member["member_id"], new, "--yes").ok()
    height = contracts.height()
    waiting = operator.run("members", "move", member["member_id"], new, "--yes").ok()

    assert "is not 'lost-wallet-0'" in one_red_line(refused)
    assert "proposed the move to " + new in proposed.stdout
    assert "until then the old wallet can veto it" in proposed.stdout
    pending_wallet, _ = contracts.registry.functions.pendingMove(old).call()
    assert pending_wallet == new
    assert "can be completed from" in waiting.stdout and contracts.height() == height

    pass_the_move_delay(contracts)
    done = operator.run(
        "members", "move", member["member_id"], "--complete", "--yes", "--letters", letters
    ).ok()

    assert contracts.registry.functions.memberOf(old).call()[3] == MOVED
    assert contracts.registry.functions.movedTo(old).call() == new
    assert contracts.points.functions.balanceOf(new).call() == points
    assert contracts.points.functions.balanceOf(old).call() == 0
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.wallet == new
        assert vault.get_by_wallet(old) is None
        assert vault.member_record(member["member_id"]).shown.email == member["email"]
    assert contracts.registry.functions.memberOf(new).call()[0] == stored.commitment.value
    assert f"carried {points:,} points over" in done.stdout
    letter = letters / f"letter-{member['member_id']}.html"
    assert new in letter.read_text(encoding="utf-8")
    assert "all match" in operator.run("verify").ok().stdout
    height = contracts.height()
    again = operator.run("members", "move", member["member_id"], new, "--yes").ok()
    assert "nothing to do" in again.stdout and contracts.height() == height


def test_members_move_vetoed_by_the_old_wallet_cannot_complete(
    operator: Operator, contracts: Contracts
) -> None:
    old = list(contracts.web3.eth.accounts)[5]
    new = Account.create().address
    (member,) = enroll_new(operator, "kept-wallet", wallet=old)
    operator.run("members", "move", member["member_id"], new, "--yes").ok()

    contracts.registry.functions.vetoMove().transact({"from": old})
    pass_the_move_delay(contracts)
    refused = operator.run("members", "move", member["member_id"], "--complete", "--yes")

    line = one_red_line(refused)
    assert "no move of kept-wallet-0 is pending" in line and f"vetoed the move to {new}" in line
    assert contracts.registry.functions.memberOf(old).call()[3] == 1  # still active, still old
