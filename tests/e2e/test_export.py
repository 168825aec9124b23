"""`ape run export WALLET_OR_ID`: the member's subject-access package as JSON."""

from __future__ import annotations

import json

from operator_kit import BASE_MEMBERS, Operator, Run

from memberledger.pii.canonical import PersonalData, canonical_bytes
from memberledger.pii.commitment import commit


def test_export_writes_vault_data_chain_record_and_history(
    operator: Operator, enrolled: Run
) -> None:
    member = BASE_MEMBERS[4]
    output = operator.workdir / "base-4.json"

    operator.run("export", member["wallet"].lower(), "--output", output).ok()

    package = json.loads(output.read_text(encoding="utf-8"))
    assert output.stat().st_mode & 0o777 == 0o600
    assert package["wallet"] == member["wallet"]
    vault = package["vault"]
    assert vault["member_id"] == "base-4"
    assert vault["personal_data"]["email"] == "base-4@example.org"
    # The member can check their own commitment with the salt the package hands them.
    recomputed = commit(
        canonical_bytes(PersonalData(**vault["personal_data"])), bytes.fromhex(vault["salt"][2:])
    )
    assert recomputed.hex == vault["commitment"] == package["chain"]["commitment"]
    assert package["chain"]["status"] == "active"
    assert package["chain"]["consent"] == ["marketing e-mails"]
    assert package["history"][0]["event"] == "MemberEnrolled"
    assert package["history"][0]["tx_hash"] == vault["enroll_tx"]
