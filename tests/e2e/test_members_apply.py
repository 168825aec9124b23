"""`ape run members apply changes.csv`: a file of lifecycle actions, checked whole first,
carried out one transaction per row in file order, each row once even when run again."""

from __future__ import annotations

from operator_kit import Contracts, Operator, enroll_new, write_csv


def status_and_tier(contracts: Contracts, wallet: str) -> tuple[int, int]:
    record = contracts.registry.functions.memberOf(wallet).call()
    return int(record[3]), int(record[2])


def test_members_apply_carries_out_each_row_once(operator: Operator, contracts: Contracts) -> None:
    a, b, c = enroll_new(operator, "apply", 3, tier="basic")
    path = write_csv(
        operator.workdir / "changes.csv",
        ("member", "action", "value"),
        [
            {"member": a["member_id"], "action": "tier", "value": "gold"},
            {"member": b["member_id"], "action": "suspend", "value": "lost card"},
            {"member": b["wallet"], "action": "reinstate", "value": ""},
            {"member": c["member_id"], "action": "email", "value": "C.Moved@Example.org"},
            {"member": c["member_id"], "action": "phone", "value": ""},
            {"member": a["member_id"], "action": "revoke", "value": ""},
        ],
    )

    run = operator.run("members", "apply", path, "--letters", operator.workdir / "apply-l").ok()
    height = contracts.height()
    again = operator.run("members", "apply", path).ok()

    assert "5 transactions sent" in run.stdout  # c's two data rows are one update
    assert status_and_tier(contracts, a["wallet"]) == (3, 2)  # gold, then revoked
    assert status_and_tier(contracts, b["wallet"]) == (1, 0)  # suspended, then reinstated
    assert len(contracts.logs(contracts.registry, "MemberSuspended", member=b["wallet"])) == 1
    with operator.vault() as vault:
        record = vault.member_record(c["member_id"])
        stored = vault.get(c["member_id"])
    assert record.shown.email == "C.Moved@Example.org" and record.shown.phone == ""
    assert stored is not None
    assert contracts.registry.functions.memberOf(c["wallet"]).call()[0] == stored.commitment.value
    assert (operator.workdir / "apply-l" / f"letter-{c['member_id']}.html").exists()
    assert "6 row(s) were carried out by an earlier run of this file: skipped" in again.stdout
    assert contracts.height() == height


def test_members_apply_refuses_a_file_with_problems_and_sends_nothing(
    operator: Operator, contracts: Contracts
) -> None:
    (d,) = enroll_new(operator, "refused")
    path = write_csv(
        operator.workdir / "bad-changes.csv",
        ("member", "action", "value"),
        [
            {"member": d["member_id"], "action": "revoke", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "gold"},
            {"member": "nobody-here", "action": "suspend", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "diamond"},
            {"member": d["member_id"], "action": "promote", "value": ""},
            {"member": d["member_id"], "action": "email", "value": "secret-but-wrong"},
        ],
    )
    height = contracts.height()

    refused = operator.run("members", "apply", path)

    assert refused.returncode == 2
    assert "line 5, field 'value': unknown tier 'diamond'" in refused.stderr
    assert "line 6, field 'action': unknown action 'promote'" in refused.stderr
    assert "line 7, field 'value': email: not a valid e-mail address" in refused.stderr
    assert "secret-but-wrong" not in refused.output  # a value is never echoed
    assert "nothing was stored or sent. Fix the file and run it again" in refused.stderr
    assert contracts.height() == height

    fixed = write_csv(
        operator.workdir / "bad-changes-2.csv",
        ("member", "action", "value"),
        [
            {"member": d["member_id"], "action": "revoke", "value": ""},
            {"member": d["member_id"], "action": "tier", "value": "gold"},
            {"member": "nobody-here", "action": "suspend", "value": ""},
        ],
    )
    state = operator.run("members", "apply", fixed)

    assert "line 3, field 'action': refused-0: cannot tier: the membership was revoked" in (
        state.stderr
    )
    assert "line 4, field 'member': no member 'nobody-here'" in state.stderr
    assert contracts.height() == height
    assert status_and_tier(contracts, d["wallet"])[0] == 1  # still active: nothing sent
