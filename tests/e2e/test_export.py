"""`ape run export WALLET_OR_ID`: the member's subject-access package as JSON."""

from __future__ import annotations

import json
import re

from operator_kit import BASE_MEMBERS, Operator, Run

from memberledger.pii.canonical import PersonalData, canonical_bytes
from memberledger.pii.commitment import commit

ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"


def test_export_writes_vault_data_chain_record_and_history(
    operator: Operator, enrolled: Run
) -> None:
    member = BASE_MEMBERS[4]
    output = operator.workdir / "base-4.json"

    run = operator.run("export", member["wallet"].lower(), "--output", output).ok()

    package = json.loads(output.read_text(encoding="utf-8"))
    page = output.with_suffix(".html")
    assert f"wrote {output} and {page}" in " ".join(run.stderr.split())
    assert output.stat().st_mode & 0o777 == 0o600
    assert page.stat().st_mode & 0o777 == 0o600
    assert package["wallet"] == member["wallet"]
    vault = package["vault"]
    assert vault["member_id"] == "base-4"
    # As the member gave it, not lower-cased; the canonical form beside it.
    assert vault["personal_data"]["full_name"] == "Person  BASE-4"
    assert vault["personal_data"]["email"] == "base-4@Example.org"
    assert vault["personal_data_canonical"]["email"] == "base-4@example.org"
    assert vault["spelling"] == "as given"
    # ISO 8601 times, never raw timestamps.
    assert re.fullmatch(ISO_UTC, package["chain"]["member_since"])
    assert re.fullmatch(ISO_UTC, vault["created_at"])
    assert all(re.fullmatch(ISO_UTC, event["time"]) for event in package["history"])
    # The member can check their own commitment with the salt the package hands them.
    recomputed = commit(
        canonical_bytes(PersonalData(**vault["personal_data_canonical"])),
        bytes.fromhex(vault["salt"][2:]),
    )
    assert recomputed.hex == vault["commitment"] == package["chain"]["commitment"]
    assert package["chain"]["status"] == "active"
    assert package["chain"]["consent"] == ["marketing e-mails"]
    assert package["history"][0]["event"] == "MemberEnrolled"
    assert package["history"][0]["tx_hash"] == vault["enroll_tx"]
    text = page.read_text(encoding="utf-8")
    assert "Person  BASE-4" in text and vault["salt"] in text
    assert package["chain"]["member_since"] in text
    assert "<script" not in text and "http" not in text.split("</style>")[1]
