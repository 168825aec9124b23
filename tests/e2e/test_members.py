"""`ape run members tier|suspend|reinstate|revoke|update`: a membership after day one, run as
the real scripts against the session's Anvil, checked on the chain, in the vault and in what
the operator reads."""

from __future__ import annotations

import secrets

from operator_kit import Contracts, Operator, enroll_new, one_red_line

from memberledger.pii.canonical import PersonalData, canonical_bytes, canonicalize
from memberledger.pii.commitment import commit
from memberledger.pii.sealing import Sealer
from memberledger.store.database import Database
from memberledger.store.member_notes import MemberNotes
from memberledger.store.vault import MemberRecord

ACTIVE, SUSPENDED, REVOKED = 1, 2, 3


def chain_record(contracts: Contracts, wallet: str) -> tuple[bytes, int, int, int]:
    """(commitment, consent, tier, status) as the registry holds them."""
    commitment, consent, tier, status, *_ = contracts.registry.functions.memberOf(wallet).call()
    return bytes(commitment), int(consent), int(tier), int(status)


def test_members_tier_sets_chain_and_vault_and_again_sends_nothing(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "tiered", tier="basic")

    run = operator.run("members", "tier", member["member_id"], "platinum").ok()
    height = contracts.height()
    again = operator.run("members", "tier", member["wallet"], "3").ok()

    assert "tier basic -> platinum" in run.stdout
    assert chain_record(contracts, member["wallet"])[2] == 3
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.tier == 3
    assert "already platinum: nothing sent" in again.stdout
    assert contracts.height() == height
    changes = contracts.logs(contracts.registry, "TierChanged", member=member["wallet"])
    assert [(log.args.oldTier, log.args.newTier) for log in changes] == [(0, 3)]


def test_members_suspend_keeps_the_reason_sealed_then_reinstate(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "paused")
    reason = "card lent to a neighbour, Quillon Marchbanks"

    operator.run("members", "suspend", member["member_id"], "--reason", reason).ok()

    assert chain_record(contracts, member["wallet"])[3] == SUSPENDED
    shown = operator.run("member", member["member_id"]).ok().stdout
    assert reason in " ".join(shown.split())
    assert b"Quillon" not in operator.vault_path.read_bytes()  # sealed, not in the clear
    database = Database(operator.vault_path)
    try:
        notes = MemberNotes(database, Sealer(operator.vault_key)).of(member["member_id"])
    finally:
        database.close()
    assert [(note.action, note.text) for note in notes] == [("suspend", reason)]
    again = operator.run("members", "suspend", member["member_id"]).ok()
    assert "already suspended: nothing sent" in again.stdout
    assert f"`ape run members reinstate {member['member_id']}`" in again.stdout

    operator.run("members", "reinstate", member["member_id"]).ok()

    assert chain_record(contracts, member["wallet"])[3] == ACTIVE
    events = contracts.logs(contracts.registry, "MemberReinstated", member=member["wallet"])
    assert len(events) == 1


def test_members_revoke_then_a_suspension_is_refused_saying_what_is_true(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "ended")

    operator.run("members", "revoke", member["member_id"]).ok()
    height = contracts.height()
    refused = operator.run("members", "suspend", member["member_id"])

    assert chain_record(contracts, member["wallet"])[3] == REVOKED
    line = one_red_line(refused)
    assert "was revoked" in line and "enroll the wallet again" in line
    assert contracts.height() == height
    assert (
        "already revoked: nothing sent"
        in operator.run("members", "revoke", member["wallet"]).ok().stdout
    )


def test_members_update_reseals_rotates_the_commitment_and_writes_the_letter(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "moved-house")
    with operator.vault() as vault:
        before = vault.member_record(member["member_id"])
    letters = operator.workdir / "letters-update"

    run = operator.run(
        "members",
        "update",
        member["member_id"],
        "--email",
        "New.Address@Example.org",
        "--phone",
        "",
        "--letters",
        letters,
    ).ok()

    assert "changed: email, phone" in run.stdout
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        after = vault.member_record(member["member_id"])
    assert stored is not None and stored.pending_commitment is None
    assert after.salt != before.salt  # a fresh salt
    assert after.shown.email == "New.Address@Example.org"  # as given
    assert after.personal == canonicalize(
        PersonalData(member["full_name"], "New.Address@Example.org", "", member["birth_date"])
    )
    assert commit(canonical_bytes(after.personal), after.salt) == stored.commitment
    assert chain_record(contracts, member["wallet"])[0] == stored.commitment.value
    rotated = contracts.logs(contracts.registry, "CommitmentRotated", member=member["wallet"])
    assert [bytes(log.args.newCommitment) for log in rotated] == [stored.commitment.value]
    letter = letters / f"letter-{member['member_id']}.html"
    assert letters.stat().st_mode & 0o777 == 0o700
    assert letter.stat().st_mode & 0o777 == 0o600
    text = letter.read_text(encoding="utf-8")
    assert "0x" + after.salt.hex() in text and "New.Address@Example.org" in text
    assert str(letter) in run.stdout
    assert "all match" in operator.run("verify").ok().stdout


def test_members_update_interrupted_after_the_chain_is_finished_by_running_it_again(
    operator: Operator, contracts: Contracts
) -> None:
    """A crash after the rotation was mined and before the vault took the new record: the
    vault holds it staged, the chain holds its commitment; `members update M` finishes."""
    (member,) = enroll_new(operator, "half-done")
    with operator.vault() as vault:
        current = vault.member_record(member["member_id"])
        stored = vault.get(member["member_id"])
        assert stored is not None
        salt = secrets.token_bytes(32)
        personal = canonicalize(PersonalData(member["full_name"], "later@example.org"))
        record = MemberRecord(
            member["member_id"],
            member["wallet"],
            personal,
            salt,
            commit(canonical_bytes(personal), salt),
            stored.consent,
            stored.tier,
            PersonalData(member["full_name"], "later@example.org"),
        )
        vault.stage_update(member["member_id"], record)
    registrar = contracts.web3.eth.accounts[0]
    contracts.registry.functions.rotateCommitment(
        member["wallet"], record.commitment.value
    ).transact({"from": registrar})
    assert current.salt != salt
    assert "update that was interrupted" in operator.run("verify").stdout

    run = operator.run(
        "members", "update", member["member_id"], "--letters", operator.workdir / "l2"
    ).ok()

    assert "finished an earlier update" in run.stdout
    with operator.vault() as vault:
        finished = vault.get(member["member_id"])
        assert finished is not None and finished.commitment == record.commitment
        assert vault.member_record(member["member_id"]).shown.email == "later@example.org"
    assert "all match" in operator.run("verify").ok().stdout


def test_members_update_with_a_bad_email_changes_nothing(
    operator: Operator, contracts: Contracts
) -> None:
    (member,) = enroll_new(operator, "typo")
    height = contracts.height()

    refused = operator.run("members", "update", member["member_id"], "--email", "not-an-address")

    assert "field 'email': not a valid e-mail address" in one_red_line(refused)
    assert contracts.height() == height
    with operator.vault() as vault:
        stored = vault.get(member["member_id"])
        assert stored is not None and stored.pending_commitment is None


def test_members_refusals_are_one_red_line(operator: Operator) -> None:
    unknown = one_red_line(operator.run("members", "tier", "no-such-member", "gold"))
    assert "no member 'no-such-member' in the vault" in unknown and "check the member id" in unknown
    bad_tier = one_red_line(operator.run("members", "tier", "base-0", "diamond"))
    assert "unknown tier 'diamond'" in bad_tier
    typo = one_red_line(operator.run("members", "suspnd", "base-0"))
    assert "No such command 'suspnd'" in typo and "ape run members --help" in typo
    bad_wallet = one_red_line(
        operator.run("members", "tier", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "gold")
    )
    assert "checksum" in bad_wallet
