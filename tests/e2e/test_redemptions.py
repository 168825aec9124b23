"""`ape run redemptions list|fulfil` and `ape run letters`: what members redeemed, handed
out and recorded in the vault; welcome letters written on demand, owner-only."""

from __future__ import annotations

import csv

from operator_kit import Contracts, Operator, enroll_new, one_red_line, write_rewards


def test_redemptions_list_then_fulfil_records_in_the_vault(
    operator: Operator, contracts: Contracts
) -> None:
    wallet = list(contracts.web3.eth.accounts)[6]  # an unlocked Anvil account: it redeems itself
    (member,) = enroll_new(operator, "redeemer", wallet=wallet, tier="basic")
    operator.run(
        "issue_rewards", write_rewards(operator.workdir / "r.csv", [("gift:r", wallet, 700)])
    ).ok()
    for reward_id in (1, 2):
        contracts.points.functions.redeem(reward_id).transact({"from": wallet})
    logs = contracts.logs(contracts.points, "Redeemed", member=wallet)
    ids = [f"{log.blockNumber}-{log.logIndex}" for log in logs]
    table = operator.workdir / "redemptions.csv"

    listed = operator.run("redemptions", "list", "--open", "--csv", table).ok()

    for identity in ids:
        assert identity in listed.stdout
    assert "coffee voucher" in listed.stdout and "cinema ticket" in listed.stdout
    rows = [row for row in csv.DictReader(table.open()) if row["wallet"] == wallet]
    assert [(r["id"], r["member_id"], r["reward_id"], r["points"]) for r in rows] == [
        (ids[0], member["member_id"], "1", "100"),
        (ids[1], member["member_id"], "2", "500"),
    ]
    assert all(r["redeemed_at"].endswith("Z") and r["fulfilled_at"] == "" for r in rows)

    done = operator.run("redemptions", "fulfil", ids[0]).ok()
    again = operator.run("redemptions", "fulfil", ids[0]).ok()
    still_open = operator.run("redemptions", "list", "--open").ok()

    assert f"handed out {ids[0]}: coffee voucher to {member['member_id']}" in done.stdout
    assert f"{ids[0]}: already handed out at" in again.stdout
    assert ids[0] not in still_open.stdout and ids[1] in still_open.stdout
    unknown = one_red_line(operator.run("redemptions", "fulfil", ids[1], "999999-0"))
    assert "no redemption '999999-0' on chain" in unknown
    assert ids[1] in operator.run("redemptions", "list", "--open").ok().stdout  # not recorded


def test_letters_are_written_once_per_record_owner_only(operator: Operator) -> None:
    first, second = enroll_new(operator, "welcomed", 2)
    folder = operator.workdir / "letters"

    run = operator.run("letters", "--all-new", "--output", folder).ok()
    again = operator.run("letters", "--all-new", "--output", folder).ok()
    named = operator.run("letters", second["wallet"], "--output", folder).ok()

    assert folder.stat().st_mode & 0o777 == 0o700
    for row in (first, second):
        letter = folder / f"letter-{row['member_id']}.html"
        assert letter.stat().st_mode & 0o777 == 0o600
        text = letter.read_text(encoding="utf-8")
        assert row["wallet"] in text and row["full_name"] in text
        assert "Check my data" in text and "MetaMask" in text
        assert "Never on the chain" in text and "Erasure" in text
        assert "Welcome to Corner Café Friends" in text  # from the programme file
        assert "privacy@example.org" in text
        assert "<script" not in text
        assert str(letter) in run.stdout
    assert "nothing to do" in again.stdout
    assert f"letter-{second['member_id']}.html" in named.stdout
    with operator.vault() as vault:
        salt = vault.member_record(first["member_id"]).salt
    assert "0x" + salt.hex() in (folder / f"letter-{first['member_id']}.html").read_text()
    for output in (run, again, named):  # never logged: no personal data on the terminal
        assert first["email"] not in output.output and first["full_name"] not in output.output
    refused = one_red_line(operator.run("letters", "--output", folder))
    assert "--all-new" in refused
