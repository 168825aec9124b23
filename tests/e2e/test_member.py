"""`ape run member WALLET_OR_ID`: the vault's and the chain's view side by side."""

from __future__ import annotations

from operator_kit import BASE_MEMBERS, Operator, Run, table_value


def test_member_shows_vault_and_chain_with_consent_in_words(
    operator: Operator, enrolled: Run
) -> None:
    run = operator.run("member", BASE_MEMBERS[5]["member_id"]).ok()

    assert BASE_MEMBERS[5]["wallet"] in run.stdout
    assert table_value(run.stdout, "commitments agree") == "yes"
    assert "marketing e-mails (policy v1)" in run.stdout
    assert "Person  BASE-5" in run.stdout  # the name as the member gave it, from the vault
    assert "MemberEnrolled" in run.stdout
