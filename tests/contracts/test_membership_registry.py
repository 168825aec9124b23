"""MembershipRegistry: every external function's success path, each revert with its custom error
and arguments, the events a user sees, quiet no-ops, and the header invariants as scripted
sequences. The `registry` fixture (conftest) has policy v1 published; nothing is enrolled."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, NamedTuple

import ape
import pytest
from batch_rows import CHANGE_ROW_BYTES, change_rows, enrollment_rows
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

DEFAULT_ADMIN_ROLE = b"\x00" * 32
REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_COMMITMENT = b"\x00" * 20
POLICY_V1 = b"\x11" * 32  # what conftest publishes
POLICY_V2 = b"\x22" * 32

MARKETING, ANALYTICS, PARTNERS = 1, 2, 4
EVERY_PURPOSE = MARKETING | ANALYTICS | PARTNERS
UNKNOWN_PURPOSE = 8

# secp256k1 group order: a signature (r, s) and (r, n - s) recover the same key.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

CONSENT_CHANGE_TYPES = {
    "ConsentChange": [
        {"name": "member", "type": "address"},
        {"name": "flags", "type": "uint16"},
        {"name": "policyVersion", "type": "uint16"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def calls(*steps: Callable[[], Any]) -> tuple[Callable[[], Any], ...]:
    """Calls to make one after the other (typed, unlike a tuple of lambdas)."""
    return steps


class Status(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3
    ERASED = 4
    MOVED = 5


class Record(NamedTuple):
    commitment: bytes
    consent: int
    tier: int
    status: int
    policy_version: int
    since: int


def interface_id(*signatures: str) -> bytes:
    """ERC-165 interface id: the XOR of the functions' selectors."""
    selector = 0
    for signature in signatures:
        selector ^= int.from_bytes(keccak(text=signature)[:4], "big")
    return selector.to_bytes(4, "big")


IERC165 = interface_id("supportsInterface(bytes4)")
IACCESS_CONTROL = interface_id(
    "hasRole(bytes32,address)",
    "getRoleAdmin(bytes32)",
    "grantRole(bytes32,address)",
    "revokeRole(bytes32,address)",
    "renounceRole(bytes32,address)",
)
IACCESS_CONTROL_DEFAULT_ADMIN_RULES = interface_id(
    "defaultAdmin()",
    "pendingDefaultAdmin()",
    "defaultAdminDelay()",
    "pendingDefaultAdminDelay()",
    "beginDefaultAdminTransfer(address)",
    "cancelDefaultAdminTransfer()",
    "acceptDefaultAdminTransfer()",
    "changeDefaultAdminDelay(uint48)",
    "rollbackDefaultAdminDelay()",
    "defaultAdminDelayIncreaseWait()",
)


def commitment(label: str) -> bytes:
    """A commitment as the off-chain side makes one: the first 160 bits of a salted hash."""
    return keccak(text=f"salt|{label}")[:20]


COMMITMENT = commitment("member")
NEW_COMMITMENT = commitment("member, new address")
CONSENT = MARKETING | ANALYTICS
TIER = 1


def record_of(registry: Any, wallet: Any) -> Record:
    m = registry.memberOf(wallet)
    return Record(bytes(m.commitment), m.consent, m.tier, m.status, m.policyVersion, m.since)


def timestamp_of(chain: Any, tx: Any) -> int:
    return int(chain.blocks[tx.block_number].timestamp)


def bring_to(registry: Any, registrar: Any, wallet: Any, status: Status) -> Any:
    """Take a never-enrolled `wallet` to `status` the way a registrar would."""
    if status != Status.NONE:
        registry.enroll(wallet, COMMITMENT, CONSENT, TIER, sender=registrar)
    if status == Status.SUSPENDED:
        registry.suspend(wallet, sender=registrar)
    elif status == Status.REVOKED:
        registry.revoke(wallet, sender=registrar)
    elif status == Status.ERASED:
        registry.erase(wallet, sender=registrar)
    elif status == Status.MOVED:
        move(registry, registrar, wallet, replacement(wallet))
    return wallet


def replacement(wallet: Any) -> str:
    """A wallet no test key holds, never enrolled: where `wallet`'s membership can move."""
    return to_checksum_address(keccak(text=f"new wallet of {wallet}")[:20])


def move(registry: Any, registrar: Any, old: Any, new: Any) -> Any:
    """Propose the move, wait out the delay, complete it; the completing transaction."""
    tx = registry.proposeMove(old, new, sender=registrar)
    executable_at = tx.decode_logs(registry.MoveProposed)[0].executableAt
    ape.chain.pending_timestamp = max(ape.chain.pending_timestamp, executable_at)
    return registry.completeMove(old, sender=registrar)


def signing_domain(registry: Any, chain: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "MemberLedger MembershipRegistry",
        "version": "1",
        "chainId": chain.chain_id,
        "verifyingContract": registry.address,
        **overrides,
    }


def sign(signer: Any, domain: dict[str, Any], change: dict[str, Any]) -> bytes:
    signed = Account.sign_typed_data(signer.private_key, domain, CONSENT_CHANGE_TYPES, change)
    return bytes(signed.signature)


def with_high_s(signature: bytes) -> bytes:
    """The malleated twin of a 65-byte signature: s' = n - s and the other recovery id."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(
    registry: Any, admin: Any, registrar: Any, pauser: Any, outsider: Any, members: list[Any]
) -> None:
    """Set up the module's deployment and accounts before the first test, so that Ape's chain
    isolation never has to rebase a snapshot for a fixture that appears later."""


@pytest.fixture
def member(registry: Any, registrar: Any, members: list[Any]) -> Any:
    """members[0], enrolled and active: tier 1, marketing and analytics consent, policy v1."""
    return bring_to(registry, registrar, members[0], Status.ACTIVE)


@pytest.fixture
def newcomer(members: list[Any]) -> Any:
    """members[1], a wallet that was never enrolled."""
    return members[1]


@pytest.fixture
def paused(registry: Any, pauser: Any) -> None:
    registry.pause(sender=pauser)


@pytest.fixture
def unpublished_registry(project: Any, admin: Any) -> Any:
    """A registry straight from deployment: the admin holds every role, no policy yet."""
    return project.MembershipRegistry.deploy(admin, 0, sender=admin)


@pytest.fixture
def change(member: Any, chain: Any) -> dict[str, Any]:
    """The member asks, by signature, for every purpose under policy v1, valid for an hour."""
    return {
        "member": member.address,
        "flags": EVERY_PURPOSE,
        "policyVersion": 1,
        "nonce": 0,
        "deadline": chain.blocks.head.timestamp + 3600,
    }


@pytest.fixture
def domain(registry: Any, chain: Any) -> dict[str, Any]:
    return signing_domain(registry, chain)


# ---------------------------------------------------------------------------- deployment


def test_constructor_grants_admin_every_role(registry: Any, admin: Any) -> None:
    assert registry.defaultAdmin() == admin
    assert registry.owner() == admin
    assert registry.defaultAdminDelay() == 0
    assert registry.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert registry.hasRole(REGISTRAR_ROLE, admin)
    assert registry.hasRole(PAUSER_ROLE, admin)


def test_constructor_starts_empty_and_unpaused(unpublished_registry: Any) -> None:
    assert unpublished_registry.policyVersion() == 0
    assert unpublished_registry.policyHash(0) == b"\x00" * 32
    assert unpublished_registry.memberCount() == 0
    assert not unpublished_registry.paused()


def test_constants_name_roles_and_consent_purposes(registry: Any) -> None:
    assert registry.REGISTRAR_ROLE() == REGISTRAR_ROLE
    assert registry.PAUSER_ROLE() == PAUSER_ROLE
    assert registry.DEFAULT_ADMIN_ROLE() == DEFAULT_ADMIN_ROLE
    assert registry.CONSENT_MARKETING() == MARKETING
    assert registry.CONSENT_ANALYTICS() == ANALYTICS
    assert registry.CONSENT_PARTNERS() == PARTNERS
    assert registry.KNOWN_CONSENT_FLAGS() == EVERY_PURPOSE
    assert registry.CONSENT_CHANGE_TYPEHASH() == keccak(
        text="ConsentChange(address member,uint16 flags,uint16 policyVersion,uint256 nonce,"
        "uint256 deadline)"
    )


def test_eip712Domain_matches_signing_domain(registry: Any, chain: Any) -> None:
    domain = registry.eip712Domain()
    assert domain.name == "MemberLedger MembershipRegistry"
    assert domain.version == "1"
    assert domain.chainId == chain.chain_id
    assert domain.verifyingContract == registry.address


# ---------------------------------------------------------------------------- enroll


def test_enroll_records_active_member(
    registry: Any, registrar: Any, newcomer: Any, chain: Any
) -> None:
    tx = registry.enroll(newcomer, COMMITMENT, CONSENT, 3, sender=registrar)

    assert tx.events == [
        registry.MemberEnrolled(member=newcomer, commitment=COMMITMENT, tier=3),
        registry.ConsentChanged(
            member=newcomer, oldFlags=0, newFlags=CONSENT, policyVersion=1, by=registrar
        ),
    ]
    assert record_of(registry, newcomer) == Record(
        COMMITMENT, CONSENT, 3, Status.ACTIVE, 1, timestamp_of(chain, tx)
    )
    assert registry.memberCount() == 1
    assert registry.isActive(newcomer)


def test_enroll_without_consent_is_quiet_about_consent(
    registry: Any, registrar: Any, newcomer: Any
) -> None:
    """No consent given on the form: nothing changed, no ConsentChanged."""
    tx = registry.enroll(newcomer, COMMITMENT, 0, TIER, sender=registrar)
    assert tx.events == [registry.MemberEnrolled(member=newcomer, commitment=COMMITMENT, tier=TIER)]
    assert record_of(registry, newcomer).consent == 0


def test_enroll_consent_is_given_against_current_policy(
    registry: Any, admin: Any, registrar: Any, newcomer: Any
) -> None:
    registry.publishPolicy(POLICY_V2, sender=admin)
    registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=registrar)
    assert record_of(registry, newcomer).policy_version == 2


def test_enroll_largest_tier_and_every_purpose(
    registry: Any, registrar: Any, newcomer: Any
) -> None:
    registry.enroll(newcomer, COMMITMENT, EVERY_PURPOSE, 255, sender=registrar)
    assert registry.statusAndTier(newcomer) == (Status.ACTIVE, 255)
    assert registry.hasConsent(newcomer, EVERY_PURPOSE)


def test_enroll_by_outsider(registry: Any, outsider: Any, newcomer: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=outsider)


def test_enroll_when_paused(registry: Any, registrar: Any, newcomer: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=registrar)


def test_enroll_without_policy(unpublished_registry: Any, admin: Any, newcomer: Any) -> None:
    with ape.reverts(unpublished_registry.NoPolicyPublished):
        unpublished_registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=admin)


def test_enroll_zero_address(registry: Any, registrar: Any) -> None:
    with ape.reverts(registry.ZeroAddress):
        registry.enroll(ZERO_ADDRESS, COMMITMENT, CONSENT, TIER, sender=registrar)


def test_enroll_zero_commitment(registry: Any, registrar: Any, newcomer: Any) -> None:
    with ape.reverts(registry.ZeroCommitment, member=newcomer):
        registry.enroll(newcomer, ZERO_COMMITMENT, CONSENT, TIER, sender=registrar)


@pytest.mark.parametrize("flags", [UNKNOWN_PURPOSE, UNKNOWN_PURPOSE | MARKETING, 0xFFFF])
def test_enroll_unknown_consent_flags(
    registry: Any, registrar: Any, newcomer: Any, flags: int
) -> None:
    with ape.reverts(registry.UnknownConsentFlags, flags=flags):
        registry.enroll(newcomer, COMMITMENT, flags, TIER, sender=registrar)


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUSPENDED], ids=lambda s: s.name)
def test_enroll_already_enrolled(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.AlreadyEnrolled, member=newcomer):
        registry.enroll(newcomer, NEW_COMMITMENT, CONSENT, TIER, sender=registrar)


def test_enroll_revoked_member_again(
    registry: Any, registrar: Any, newcomer: Any, chain: Any
) -> None:
    bring_to(registry, registrar, newcomer, Status.REVOKED)  # with CONSENT, under v1
    chain.pending_timestamp += 60

    tx = registry.enroll(newcomer, NEW_COMMITMENT, MARKETING, 2, sender=registrar)

    assert tx.events == [
        registry.MemberEnrolled(member=newcomer, commitment=NEW_COMMITMENT, tier=2),
        registry.ConsentChanged(
            member=newcomer, oldFlags=CONSENT, newFlags=MARKETING, policyVersion=1, by=registrar
        ),
    ]
    assert record_of(registry, newcomer) == Record(
        NEW_COMMITMENT, MARKETING, 2, Status.ACTIVE, 1, timestamp_of(chain, tx)
    )
    assert registry.memberCount() == 1


def test_enroll_revoked_member_cannot_widen_consent(
    registry: Any, registrar: Any, newcomer: Any
) -> None:
    """Revoke, then enroll again with more purposes: the registrar gets only what the member
    had agreed to (here one purpose more is asked for and one dropped)."""
    bring_to(registry, registrar, newcomer, Status.REVOKED)  # MARKETING | ANALYTICS

    tx = registry.enroll(newcomer, NEW_COMMITMENT, ANALYTICS | PARTNERS, TIER, sender=registrar)

    assert tx.decode_logs(registry.ConsentChanged)[0].event_arguments == {
        "member": newcomer,
        "oldFlags": CONSENT,
        "newFlags": ANALYTICS,
        "policyVersion": 1,
        "by": registrar,
    }
    assert record_of(registry, newcomer).consent == ANALYTICS
    assert not registry.hasConsent(newcomer, PARTNERS)


def test_enroll_revoked_member_after_withdrawing_consent(
    registry: Any, registrar: Any, newcomer: Any
) -> None:
    """A member who withdrew everything while revoked is enrolled again without consent."""
    bring_to(registry, registrar, newcomer, Status.REVOKED)
    registry.setConsent(0, 1, sender=newcomer)

    tx = registry.enroll(newcomer, NEW_COMMITMENT, EVERY_PURPOSE, TIER, sender=registrar)

    assert tx.events == [
        registry.MemberEnrolled(member=newcomer, commitment=NEW_COMMITMENT, tier=TIER)
    ]
    assert record_of(registry, newcomer).consent == 0


def test_enroll_revoked_member_without_consent_under_new_policy(
    registry: Any, admin: Any, registrar: Any, newcomer: Any
) -> None:
    """No consent before or after, but the record now names policy v2: a change, as for
    setConsent. (Only a fresh enrollment without consent is quiet about consent.)"""
    registry.enroll(newcomer, COMMITMENT, 0, TIER, sender=registrar)
    registry.revoke(newcomer, sender=registrar)
    registry.publishPolicy(POLICY_V2, sender=admin)

    tx = registry.enroll(newcomer, NEW_COMMITMENT, 0, TIER, sender=registrar)

    assert tx.decode_logs(registry.ConsentChanged)[0].event_arguments == {
        "member": newcomer,
        "oldFlags": 0,
        "newFlags": 0,
        "policyVersion": 2,
        "by": registrar,
    }
    assert record_of(registry, newcomer)[1::3] == (0, 2)


def test_enroll_revoked_member_same_consent_same_policy_is_quiet(
    registry: Any, registrar: Any, newcomer: Any
) -> None:
    bring_to(registry, registrar, newcomer, Status.REVOKED)
    tx = registry.enroll(newcomer, NEW_COMMITMENT, EVERY_PURPOSE, TIER, sender=registrar)
    assert tx.decode_logs(registry.ConsentChanged) == []
    assert record_of(registry, newcomer).consent == CONSENT


def test_enroll_revoked_member_under_new_policy(
    registry: Any, admin: Any, registrar: Any, newcomer: Any
) -> None:
    """The same flags, now given against policy v2 on the new enrollment form: a change."""
    bring_to(registry, registrar, newcomer, Status.REVOKED)
    registry.publishPolicy(POLICY_V2, sender=admin)

    tx = registry.enroll(newcomer, NEW_COMMITMENT, CONSENT, TIER, sender=registrar)

    assert tx.decode_logs(registry.ConsentChanged)[0].event_arguments == {
        "member": newcomer,
        "oldFlags": CONSENT,
        "newFlags": CONSENT,
        "policyVersion": 2,
        "by": registrar,
    }
    assert record_of(registry, newcomer).policy_version == 2


def test_enroll_erased_member(registry: Any, registrar: Any, newcomer: Any) -> None:
    bring_to(registry, registrar, newcomer, Status.ERASED)
    with ape.reverts(registry.MemberIsErased, member=newcomer):
        registry.enroll(newcomer, NEW_COMMITMENT, CONSENT, TIER, sender=registrar)


# ---------------------------------------------------------------------------- enrollBatch


def test_enrollBatch_enrolls_every_row_in_order(
    registry: Any, registrar: Any, members: list[Any], chain: Any
) -> None:
    rows = [(m, commitment(str(i)), i % 8, i) for i, m in enumerate(members)]

    tx = registry.enrollBatch(enrollment_rows(rows), sender=registrar)

    expected = []
    for i, m in enumerate(members):
        expected.append(registry.MemberEnrolled(member=m, commitment=commitment(str(i)), tier=i))
        if i % 8:  # row 0 gives no consent
            expected.append(
                registry.ConsentChanged(
                    member=m, oldFlags=0, newFlags=i % 8, policyVersion=1, by=registrar
                )
            )
    assert tx.events == expected
    since = timestamp_of(chain, tx)
    for i, m in enumerate(members):
        assert record_of(registry, m) == Record(
            commitment(str(i)), i % 8, i, Status.ACTIVE, 1, since
        )
    assert registry.memberCount() == len(members)


def test_enrollBatch_single_row(registry: Any, registrar: Any, newcomer: Any) -> None:
    tx = registry.enrollBatch(
        enrollment_rows([(newcomer, COMMITMENT, CONSENT, TIER)]), sender=registrar
    )
    assert tx.events == [
        registry.MemberEnrolled(member=newcomer, commitment=COMMITMENT, tier=TIER),
        registry.ConsentChanged(
            member=newcomer, oldFlags=0, newFlags=CONSENT, policyVersion=1, by=registrar
        ),
    ]
    assert registry.memberCount() == 1


def test_enrollBatch_revoked_member_again(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    bring_to(registry, registrar, members[0], Status.REVOKED)
    rows = [(members[0], NEW_COMMITMENT, EVERY_PURPOSE, 4), (members[1], COMMITMENT, PARTNERS, 0)]
    registry.enrollBatch(enrollment_rows(rows), sender=registrar)
    assert registry.statusAndTier(members[0]) == (Status.ACTIVE, 4)
    assert record_of(registry, members[0]).consent == CONSENT  # no wider than before
    assert record_of(registry, members[1]).consent == PARTNERS  # fresh: as on the form
    assert registry.memberCount() == 2


@pytest.mark.parametrize("length", [0, 1, 42, 44, 85, 87], ids=lambda n: f"{n}-bytes")
def test_enrollBatch_malformed_rows(
    registry: Any, registrar: Any, members: list[Any], length: int
) -> None:
    rows = [(m, commitment(str(i)), CONSENT, TIER) for i, m in enumerate(members[:3])]
    packed = (enrollment_rows(rows) + b"\x01")[:length]
    with ape.reverts(registry.MalformedRows, length=length):
        registry.enrollBatch(packed, sender=registrar)
    assert registry.memberCount() == 0


def test_enrollBatch_reads_rows_as_packed(registry: Any, registrar: Any, newcomer: Any) -> None:
    """Byte for byte: wallet, commitment, 2-byte big-endian consent, 1-byte tier, no padding."""
    row = bytes.fromhex(newcomer.address[2:]) + COMMITMENT + bytes([0x00, 0x05, 0xFE])
    assert len(row) == 43
    registry.enrollBatch(row, sender=registrar)
    assert record_of(registry, newcomer)[:4] == (COMMITMENT, 0x05, 0xFE, Status.ACTIVE)


def test_enrollBatch_one_bad_row_reverts_all(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    rows = [(m, commitment(str(i)), CONSENT, TIER) for i, m in enumerate(members)]
    rows[3] = (members[3], ZERO_COMMITMENT, CONSENT, TIER)

    with ape.reverts(registry.ZeroCommitment, member=members[3]):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)

    assert registry.memberCount() == 0
    for m in members:
        assert record_of(registry, m).status == Status.NONE


def test_enrollBatch_duplicate_row(registry: Any, registrar: Any, members: list[Any]) -> None:
    rows = [
        (members[0], COMMITMENT, CONSENT, TIER),
        (members[1], COMMITMENT, CONSENT, TIER),
        (members[0], NEW_COMMITMENT, CONSENT, TIER),
    ]
    with ape.reverts(registry.AlreadyEnrolled, member=members[0]):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)
    assert registry.memberCount() == 0


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUSPENDED], ids=lambda s: s.name)
def test_enrollBatch_already_enrolled(
    registry: Any, registrar: Any, members: list[Any], status: Status
) -> None:
    bring_to(registry, registrar, members[1], status)
    rows = [(members[0], COMMITMENT, 0, 0), (members[1], NEW_COMMITMENT, 0, 0)]
    with ape.reverts(registry.AlreadyEnrolled, member=members[1]):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)
    assert registry.memberCount() == 1


def test_enrollBatch_erased_member(registry: Any, registrar: Any, members: list[Any]) -> None:
    bring_to(registry, registrar, members[1], Status.ERASED)
    rows = [(members[0], COMMITMENT, 0, 0), (members[1], NEW_COMMITMENT, 0, 0)]
    with ape.reverts(registry.MemberIsErased, member=members[1]):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)


def test_enrollBatch_zero_address(registry: Any, registrar: Any, newcomer: Any) -> None:
    rows = [(newcomer, COMMITMENT, 0, 0), (ZERO_ADDRESS, NEW_COMMITMENT, 0, 0)]
    with ape.reverts(registry.ZeroAddress):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)


def test_enrollBatch_unknown_consent_flags(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    rows = [(members[0], COMMITMENT, EVERY_PURPOSE, 0), (members[1], COMMITMENT, 0x10, 0)]
    with ape.reverts(registry.UnknownConsentFlags, flags=0x10):
        registry.enrollBatch(enrollment_rows(rows), sender=registrar)


def test_enrollBatch_when_paused(
    registry: Any, registrar: Any, newcomer: Any, paused: None
) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.enrollBatch(enrollment_rows([(newcomer, COMMITMENT, 0, 0)]), sender=registrar)


def test_enrollBatch_without_policy(unpublished_registry: Any, admin: Any, newcomer: Any) -> None:
    with ape.reverts(unpublished_registry.NoPolicyPublished):
        unpublished_registry.enrollBatch(
            enrollment_rows([(newcomer, COMMITMENT, 0, 0)]), sender=admin
        )


def test_enrollBatch_by_outsider(registry: Any, outsider: Any, newcomer: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.enrollBatch(enrollment_rows([(newcomer, COMMITMENT, 0, 0)]), sender=outsider)


# ---------------------------------------------------------------------------- memberCount


def test_memberCount_counts_active_and_suspended_members(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    a, b, c, d, e = members
    registry.enroll(a, commitment("a"), 0, 0, sender=registrar)
    registry.enrollBatch(
        enrollment_rows([(m, commitment(str(i)), 0, 0) for i, m in enumerate((b, c, d, e))]),
        sender=registrar,
    )
    assert registry.memberCount() == 5

    registry.suspend(a, sender=registrar)  # suspended still counts
    assert registry.memberCount() == 5
    registry.revoke(b, sender=registrar)
    assert registry.memberCount() == 4
    registry.leave(sender=c)
    assert registry.memberCount() == 3
    registry.erase(d, sender=registrar)  # active -> erased
    assert registry.memberCount() == 2
    registry.erase(b, sender=registrar)  # revoked -> erased: already uncounted
    assert registry.memberCount() == 2
    registry.erase(a, sender=registrar)  # suspended -> erased
    assert registry.memberCount() == 1
    registry.enroll(c, commitment("c again"), 0, 0, sender=registrar)  # revoked -> active
    assert registry.memberCount() == 2


# ---------------------------------------------------------------------------- rotateCommitment


def test_rotateCommitment_replaces_commitment(registry: Any, registrar: Any, member: Any) -> None:
    tx = registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar)

    assert tx.events == [
        registry.CommitmentRotated(
            member=member, oldCommitment=COMMITMENT, newCommitment=NEW_COMMITMENT
        )
    ]
    assert registry.commitmentMatches(member, NEW_COMMITMENT)
    assert not registry.commitmentMatches(member, COMMITMENT)


def test_rotateCommitment_of_suspended_member(registry: Any, registrar: Any, member: Any) -> None:
    registry.suspend(member, sender=registrar)
    tx = registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar)
    assert len(tx.decode_logs(registry.CommitmentRotated)) == 1
    assert record_of(registry, member).commitment == NEW_COMMITMENT


def test_rotateCommitment_same_commitment_is_quiet(
    registry: Any, registrar: Any, member: Any
) -> None:
    before = record_of(registry, member)
    tx = registry.rotateCommitment(member, COMMITMENT, sender=registrar)
    assert tx.logs == []
    assert record_of(registry, member) == before


def test_rotateCommitment_zero_commitment(registry: Any, registrar: Any, member: Any) -> None:
    with ape.reverts(registry.ZeroCommitment, member=member):
        registry.rotateCommitment(member, ZERO_COMMITMENT, sender=registrar)


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_rotateCommitment_not_enrolled(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.rotateCommitment(newcomer, NEW_COMMITMENT, sender=registrar)


def test_rotateCommitment_when_paused(
    registry: Any, registrar: Any, member: Any, paused: None
) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar)


def test_rotateCommitment_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.rotateCommitment(member, NEW_COMMITMENT, sender=outsider)


# ---------------------------------------------------------------------------- setTier


def test_setTier_changes_tier(registry: Any, registrar: Any, member: Any) -> None:
    tx = registry.setTier(member, 3, sender=registrar)
    assert tx.events == [registry.TierChanged(member=member, oldTier=TIER, newTier=3)]
    assert registry.statusAndTier(member) == (Status.ACTIVE, 3)


def test_setTier_of_suspended_member(registry: Any, registrar: Any, member: Any) -> None:
    registry.suspend(member, sender=registrar)
    tx = registry.setTier(member, 0, sender=registrar)
    assert tx.events == [registry.TierChanged(member=member, oldTier=TIER, newTier=0)]
    assert registry.statusAndTier(member) == (Status.SUSPENDED, 0)


def test_setTier_same_tier_is_quiet(registry: Any, registrar: Any, member: Any) -> None:
    tx = registry.setTier(member, TIER, sender=registrar)
    assert tx.logs == []
    assert registry.statusAndTier(member) == (Status.ACTIVE, TIER)


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_setTier_not_enrolled(registry: Any, registrar: Any, newcomer: Any, status: Status) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.setTier(newcomer, 2, sender=registrar)


def test_setTier_when_paused(registry: Any, registrar: Any, member: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.setTier(member, 2, sender=registrar)


def test_setTier_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.setTier(member, 2, sender=outsider)


# ---------------------------------------------------------------------------- suspend


def test_suspend_freezes_member(registry: Any, registrar: Any, member: Any) -> None:
    tx = registry.suspend(member, sender=registrar)

    assert tx.events == [registry.MemberSuspended(member=member, by=registrar)]
    assert registry.statusAndTier(member) == (Status.SUSPENDED, TIER)
    assert not registry.isActive(member)
    assert registry.hasConsent(member, CONSENT)  # consent outlives the suspension
    assert registry.memberCount() == 1


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.SUSPENDED, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_suspend_not_active(registry: Any, registrar: Any, newcomer: Any, status: Status) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.suspend(newcomer, sender=registrar)


def test_suspend_when_paused(registry: Any, registrar: Any, member: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.suspend(member, sender=registrar)


def test_suspend_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.suspend(member, sender=outsider)


# ---------------------------------------------------------------------------- reinstate


def test_reinstate_reactivates_member(registry: Any, registrar: Any, member: Any) -> None:
    before = record_of(registry, member)
    registry.suspend(member, sender=registrar)

    tx = registry.reinstate(member, sender=registrar)

    assert tx.events == [registry.MemberReinstated(member=member, by=registrar)]
    assert record_of(registry, member) == before
    assert registry.memberCount() == 1


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.ACTIVE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_reinstate_not_suspended(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.reinstate(newcomer, sender=registrar)


def test_reinstate_when_paused(registry: Any, registrar: Any, member: Any, pauser: Any) -> None:
    registry.suspend(member, sender=registrar)
    registry.pause(sender=pauser)
    with ape.reverts(registry.EnforcedPause):
        registry.reinstate(member, sender=registrar)


def test_reinstate_by_outsider(registry: Any, registrar: Any, outsider: Any, member: Any) -> None:
    registry.suspend(member, sender=registrar)
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.reinstate(member, sender=outsider)


# ---------------------------------------------------------------------------- revoke


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUSPENDED], ids=lambda s: s.name)
def test_revoke_ends_membership_and_keeps_record(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    before = record_of(registry, newcomer)

    tx = registry.revoke(newcomer, sender=registrar)

    assert tx.events == [registry.MemberRevoked(member=newcomer, by=registrar)]
    assert record_of(registry, newcomer) == before._replace(status=Status.REVOKED)
    assert registry.commitmentMatches(newcomer, COMMITMENT)
    assert not registry.hasConsent(newcomer, 0)
    assert registry.memberCount() == 0


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_revoke_not_enrolled(registry: Any, registrar: Any, newcomer: Any, status: Status) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.revoke(newcomer, sender=registrar)


def test_revoke_when_paused(registry: Any, registrar: Any, member: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.revoke(member, sender=registrar)


def test_revoke_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.revoke(member, sender=outsider)


# ---------------------------------------------------------------------------- changeBatch


#: The sender's name for a batch in these tests (the tool names it after the file and lines).
TAG = keccak(text="changes.csv, lines 2-7")


def change_hash(rows: bytes, tag: bytes = TAG) -> bytes:
    """The id of a change batch on chain: keccak256 of its tag and packed rows."""
    return keccak(tag + rows)


class Action(IntEnum):
    SET_TIER = 0
    SUSPEND = 1
    REINSTATE = 2
    REVOKE = 3


def test_changeBatch_applies_every_row_in_order(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    a, b, c, d = (bring_to(registry, registrar, m, Status.ACTIVE) for m in members[:4])
    rows = change_rows(
        [
            (a, Action.SET_TIER, 3),
            (b, Action.SUSPEND, 0),
            (b, Action.REINSTATE, 0),  # counts the row before it
            (c, Action.SUSPEND, 0),
            (c, Action.SET_TIER, 0),  # a suspended member's tier changes too
            (d, Action.REVOKE, 0),
        ]
    )

    tx = registry.changeBatch(TAG, rows, sender=registrar)

    assert tx.events == [
        registry.TierChanged(member=a, oldTier=TIER, newTier=3),
        registry.MemberSuspended(member=b, by=registrar),
        registry.MemberReinstated(member=b, by=registrar),
        registry.MemberSuspended(member=c, by=registrar),
        registry.TierChanged(member=c, oldTier=TIER, newTier=0),
        registry.MemberRevoked(member=d, by=registrar),
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=registrar, changed=6, skipped=0
        ),
    ]
    assert registry.statusAndTier(a) == (Status.ACTIVE, 3)
    assert registry.statusAndTier(b) == (Status.ACTIVE, TIER)
    assert registry.statusAndTier(c) == (Status.SUSPENDED, 0)
    assert registry.statusAndTier(d) == (Status.REVOKED, TIER)
    assert registry.memberCount() == 3
    assert registry.changeBatchApplied(registrar, change_hash(rows))


def test_changeBatch_reads_rows_as_packed(registry: Any, registrar: Any, member: Any) -> None:
    """Byte for byte: wallet, 1-byte action, 1-byte value, no padding."""
    row = bytes.fromhex(member.address[2:]) + bytes([0x00, 0xFE])
    assert len(row) == CHANGE_ROW_BYTES
    registry.changeBatch(TAG, row, sender=registrar)
    assert registry.statusAndTier(member) == (Status.ACTIVE, 0xFE)


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED, Status.MOVED], ids=lambda s: s.name
)
@pytest.mark.parametrize("action", [Action.SET_TIER, Action.SUSPEND, Action.REINSTATE])
def test_changeBatch_member_gone_is_skipped(
    registry: Any, registrar: Any, members: list[Any], status: Status, action: Action
) -> None:
    """A member who changed between the check and the send skips its row; the rest apply."""
    gone = bring_to(registry, registrar, members[0], status)
    other = bring_to(registry, registrar, members[1], Status.ACTIVE)
    rows = change_rows([(gone, action, 2), (other, Action.SET_TIER, 2)])

    tx = registry.changeBatch(TAG, rows, sender=registrar)

    assert tx.events == [
        registry.ChangeSkipped(member=gone, action=action, status=status),
        registry.TierChanged(member=other, oldTier=TIER, newTier=2),
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=registrar, changed=1, skipped=1
        ),
    ]
    assert registry.statusAndTier(other) == (Status.ACTIVE, 2)


def test_changeBatch_member_who_left_is_skipped(registry: Any, registrar: Any, member: Any) -> None:
    registry.leave(sender=member)
    rows = change_rows([(member, Action.SUSPEND, 0)])
    tx = registry.changeBatch(TAG, rows, sender=registrar)
    assert tx.events == [
        registry.ChangeSkipped(member=member, action=Action.SUSPEND, status=Status.REVOKED),
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=registrar, changed=0, skipped=1
        ),
    ]
    assert registry.changeBatchApplied(registrar, change_hash(rows))


@pytest.mark.parametrize("status", [Status.REVOKED, Status.ERASED], ids=lambda s: s.name)
def test_changeBatch_revoke_of_ended_member_is_quiet(
    registry: Any, registrar: Any, members: list[Any], status: Status
) -> None:
    ended = bring_to(registry, registrar, members[0], status)
    rows = change_rows([(ended, Action.REVOKE, 0)])
    tx = registry.changeBatch(TAG, rows, sender=registrar)
    assert tx.events == [
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=registrar, changed=0, skipped=0
        )
    ]
    assert registry.memberCount() == 0


def test_changeBatch_revoke_of_moved_member_is_skipped(
    registry: Any, registrar: Any, member: Any
) -> None:
    move(registry, registrar, member, replacement(member))
    rows = change_rows([(member, Action.REVOKE, 0)])
    tx = registry.changeBatch(TAG, rows, sender=registrar)
    assert tx.decode_logs(registry.ChangeSkipped) == [
        registry.ChangeSkipped(member=member, action=Action.REVOKE, status=Status.MOVED)
    ]
    assert registry.memberCount() == 1  # the membership lives on in the new wallet


def test_changeBatch_rows_already_true_are_quiet(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    active = bring_to(registry, registrar, members[0], Status.ACTIVE)
    suspended = bring_to(registry, registrar, members[1], Status.SUSPENDED)
    rows = change_rows(
        [
            (active, Action.SET_TIER, TIER),
            (active, Action.REINSTATE, 0),
            (suspended, Action.SUSPEND, 0),
        ]
    )
    tx = registry.changeBatch(TAG, rows, sender=registrar)
    assert tx.events == [
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=registrar, changed=0, skipped=0
        )
    ]
    assert registry.statusAndTier(active) == (Status.ACTIVE, TIER)
    assert registry.statusAndTier(suspended) == (Status.SUSPENDED, TIER)


def test_changeBatch_replayed_batch(registry: Any, registrar: Any, member: Any) -> None:
    rows = change_rows([(member, Action.SUSPEND, 0), (member, Action.REINSTATE, 0)])
    registry.changeBatch(TAG, rows, sender=registrar)
    with ape.reverts(
        registry.BatchAlreadyApplied, registrar=registrar, contentHash=change_hash(rows)
    ):
        registry.changeBatch(TAG, rows, sender=registrar)
    assert registry.statusAndTier(member) == (Status.ACTIVE, TIER)


def test_changeBatch_same_rows_under_another_tag_is_another_batch(
    registry: Any, registrar: Any, member: Any
) -> None:
    """A change row has no identity of its own: suspending a wallet again next month is right."""
    rows = change_rows([(member, Action.SUSPEND, 0)])
    registry.changeBatch(TAG, rows, sender=registrar)
    registry.reinstate(member, sender=registrar)
    later = keccak(text="next-month.csv, line 2")

    tx = registry.changeBatch(later, rows, sender=registrar)

    assert tx.events == [
        registry.MemberSuspended(member=member, by=registrar),
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows, later), registrar=registrar, changed=1, skipped=0
        ),
    ]
    assert registry.statusAndTier(member) == (Status.SUSPENDED, TIER)


def test_changeBatch_other_registrar_has_batches_of_its_own(
    registry: Any, admin: Any, registrar: Any, outsider: Any, member: Any
) -> None:
    rows = change_rows([(member, Action.SET_TIER, 2)])
    registry.changeBatch(TAG, rows, sender=registrar)
    registry.grantRole(REGISTRAR_ROLE, outsider, sender=admin)
    assert not registry.changeBatchApplied(outsider, change_hash(rows))

    tx = registry.changeBatch(TAG, rows, sender=outsider)

    assert tx.decode_logs(registry.ChangeBatchApplied) == [
        registry.ChangeBatchApplied(
            contentHash=change_hash(rows), registrar=outsider, changed=0, skipped=0
        )
    ]
    assert registry.changeBatchApplied(registrar, change_hash(rows))


@pytest.mark.parametrize("length", [0, 1, 21, 23, 43, 45], ids=lambda n: f"{n}-bytes")
def test_changeBatch_malformed_rows(
    registry: Any, registrar: Any, members: list[Any], length: int
) -> None:
    wallets = [bring_to(registry, registrar, m, Status.ACTIVE) for m in members[:3]]
    packed = (change_rows([(m, Action.SET_TIER, 2) for m in wallets]) + b"\x01")[:length]
    with ape.reverts(registry.MalformedRows, length=length):
        registry.changeBatch(TAG, packed, sender=registrar)
    assert all(registry.statusAndTier(m) == (Status.ACTIVE, TIER) for m in wallets)


def test_changeBatch_unknown_action_reverts_all(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    a, b = (bring_to(registry, registrar, m, Status.ACTIVE) for m in members[:2])
    rows = change_rows([(a, Action.SUSPEND, 0), (b, 4, 0)])
    with ape.reverts(registry.UnknownChangeAction, row=1, member=b, action=4):
        registry.changeBatch(TAG, rows, sender=registrar)
    assert registry.statusAndTier(a) == (Status.ACTIVE, TIER)
    assert not registry.changeBatchApplied(registrar, change_hash(rows))


def test_changeBatch_when_paused(registry: Any, registrar: Any, member: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.changeBatch(TAG, change_rows([(member, Action.SUSPEND, 0)]), sender=registrar)


def test_changeBatch_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.changeBatch(TAG, change_rows([(member, Action.SUSPEND, 0)]), sender=outsider)


# ---------------------------------------------------------------------------- erase


@pytest.mark.parametrize(
    "status", [Status.ACTIVE, Status.SUSPENDED, Status.REVOKED], ids=lambda s: s.name
)
def test_erase_leaves_tombstone(
    registry: Any, registrar: Any, newcomer: Any, chain: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    since = record_of(registry, newcomer).since
    count = registry.memberCount()
    chain.pending_timestamp += 60

    tx = registry.erase(newcomer, sender=registrar)

    assert tx.events == [registry.MemberErased(member=newcomer, by=registrar)]
    assert record_of(registry, newcomer) == Record(ZERO_COMMITMENT, 0, 0, Status.ERASED, 0, since)
    assert not registry.commitmentMatches(newcomer, COMMITMENT)
    assert not registry.commitmentMatches(newcomer, ZERO_COMMITMENT)
    assert not registry.hasConsent(newcomer, 0)
    assert registry.memberCount() == count - (status != Status.REVOKED)


def test_erase_never_enrolled(registry: Any, registrar: Any, newcomer: Any) -> None:
    with ape.reverts(registry.WrongStatus, member=newcomer, status=Status.NONE):
        registry.erase(newcomer, sender=registrar)


def test_erase_moved_wallet(registry: Any, registrar: Any, member: Any) -> None:
    """Nothing is left to erase at a moved wallet; its new wallet can be erased."""
    move(registry, registrar, member, replacement(member))
    with ape.reverts(registry.WrongStatus, member=member, status=Status.MOVED):
        registry.erase(member, sender=registrar)
    registry.erase(replacement(member), sender=registrar)


def test_erase_twice(registry: Any, registrar: Any, member: Any) -> None:
    registry.erase(member, sender=registrar)
    with ape.reverts(registry.WrongStatus, member=member, status=Status.ERASED):
        registry.erase(member, sender=registrar)


def test_erase_when_paused(registry: Any, registrar: Any, member: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.erase(member, sender=registrar)


def test_erase_by_outsider(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.erase(member, sender=outsider)


# ---------------------------------------------------------------------------- moves

THREE_DAYS = 3 * 24 * 3600


@pytest.fixture
def proposed(registry: Any, registrar: Any, member: Any, chain: Any) -> tuple[Any, str, int]:
    """A move of `member` to a fresh wallet, proposed now: (old, new wallet, executableAt)."""
    new = replacement(member)
    tx = registry.proposeMove(member, new, sender=registrar)
    return member, new, timestamp_of(chain, tx) + THREE_DAYS


def wait_until(chain: Any, timestamp: int) -> None:
    chain.pending_timestamp = max(chain.pending_timestamp, timestamp)


def test_moveDelay_is_three_days_at_deployment(registry: Any) -> None:
    assert registry.moveDelay() == THREE_DAYS
    assert registry.DEFAULT_MOVE_DELAY() == THREE_DAYS


def test_proposeMove_schedules_move(registry: Any, registrar: Any, member: Any, chain: Any) -> None:
    new = replacement(member)

    tx = registry.proposeMove(member, new, sender=registrar)

    executable_at = timestamp_of(chain, tx) + THREE_DAYS
    assert tx.events == [
        registry.MoveProposed(old=member, newWallet=new, executableAt=executable_at, by=registrar)
    ]
    assert registry.pendingMove(member) == (new, executable_at)
    assert registry.isActive(member)  # nothing moves before completion
    assert registry.movedTo(member) == ZERO_ADDRESS


def test_proposeMove_of_suspended_member(
    registry: Any, registrar: Any, member: Any, newcomer: Any
) -> None:
    registry.suspend(member, sender=registrar)
    registry.proposeMove(member, newcomer, sender=registrar)
    assert registry.pendingMove(member)[0] == newcomer


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED, Status.MOVED], ids=lambda s: s.name
)
def test_proposeMove_not_enrolled(
    registry: Any, registrar: Any, members: list[Any], status: Status
) -> None:
    old = bring_to(registry, registrar, members[0], status)
    with ape.reverts(registry.WrongStatus, member=old, status=status):
        registry.proposeMove(old, members[1], sender=registrar)


def test_proposeMove_to_zero_address(registry: Any, registrar: Any, member: Any) -> None:
    with ape.reverts(registry.ZeroAddress):
        registry.proposeMove(member, ZERO_ADDRESS, sender=registrar)


@pytest.mark.parametrize(
    "status",
    [Status.ACTIVE, Status.SUSPENDED, Status.REVOKED, Status.ERASED, Status.MOVED],
    ids=lambda s: s.name,
)
def test_proposeMove_to_wallet_of_record(
    registry: Any, registrar: Any, member: Any, newcomer: Any, status: Status
) -> None:
    """The new wallet must never have been enrolled: no merging of two memberships."""
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.proposeMove(member, newcomer, sender=registrar)


def test_proposeMove_to_itself(registry: Any, registrar: Any, member: Any) -> None:
    with ape.reverts(registry.WrongStatus, member=member, status=Status.ACTIVE):
        registry.proposeMove(member, member, sender=registrar)


def test_proposeMove_already_pending(
    registry: Any, registrar: Any, newcomer: Any, proposed: tuple[Any, str, int]
) -> None:
    old, new, executable_at = proposed
    with ape.reverts(registry.MovePending, old=old, newWallet=new, executableAt=executable_at):
        registry.proposeMove(old, newcomer, sender=registrar)


def test_proposeMove_again_after_cancel(
    registry: Any, registrar: Any, newcomer: Any, proposed: tuple[Any, str, int]
) -> None:
    old = proposed[0]
    registry.cancelMove(old, sender=registrar)
    registry.proposeMove(old, newcomer, sender=registrar)
    assert registry.pendingMove(old)[0] == newcomer


def test_proposeMove_uses_current_delay(
    registry: Any, admin: Any, registrar: Any, member: Any, chain: Any
) -> None:
    registry.setMoveDelay(60, sender=admin)
    tx = registry.proposeMove(member, replacement(member), sender=registrar)
    assert registry.pendingMove(member)[1] == timestamp_of(chain, tx) + 60


def test_proposeMove_when_paused(
    registry: Any, registrar: Any, member: Any, newcomer: Any, paused: None
) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.proposeMove(member, newcomer, sender=registrar)


def test_proposeMove_by_outsider(registry: Any, outsider: Any, member: Any, newcomer: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.proposeMove(member, newcomer, sender=outsider)


def test_completeMove_moves_record(
    registry: Any, registrar: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, new, executable_at = proposed
    before = record_of(registry, old)
    count = registry.memberCount()
    wait_until(chain, executable_at)

    tx = registry.completeMove(old, sender=outsider)  # anyone may complete it

    assert tx.events == [registry.MemberMoved(old=old, newWallet=new)]
    assert record_of(registry, new) == before
    assert record_of(registry, old) == Record(ZERO_COMMITMENT, 0, 0, Status.MOVED, 0, before.since)
    assert registry.movedTo(old) == new
    assert registry.pendingMove(old) == (ZERO_ADDRESS, 0)
    assert registry.memberCount() == count
    assert registry.hasConsent(new, CONSENT)
    assert not registry.hasConsent(old, 0)
    assert registry.commitmentMatches(new, COMMITMENT)
    assert not registry.commitmentMatches(old, COMMITMENT)


def test_completeMove_of_suspended_member_stays_suspended(
    registry: Any, registrar: Any, member: Any
) -> None:
    registry.suspend(member, sender=registrar)
    move(registry, registrar, member, replacement(member))
    assert registry.statusAndTier(replacement(member)) == (Status.SUSPENDED, TIER)
    assert registry.memberCount() == 1


def test_completeMove_at_executableAt(
    registry: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, new, executable_at = proposed
    chain.pending_timestamp = executable_at
    tx = registry.completeMove(old, sender=outsider)
    assert timestamp_of(chain, tx) == executable_at
    assert registry.movedTo(old) == new


def test_completeMove_before_delay(
    registry: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, _new, executable_at = proposed
    wait_until(chain, executable_at - 1)
    with ape.reverts(registry.MoveNotReady, old=old, executableAt=executable_at):
        registry.completeMove(old, sender=outsider)


def test_completeMove_with_zero_delay(
    registry: Any, admin: Any, registrar: Any, outsider: Any, member: Any
) -> None:
    """A local chain sets the delay to 0: the move completes in the next block."""
    registry.setMoveDelay(0, sender=admin)
    registry.proposeMove(member, replacement(member), sender=registrar)
    registry.completeMove(member, sender=outsider)
    assert registry.movedTo(member) == replacement(member)


def test_completeMove_without_proposal(registry: Any, outsider: Any, member: Any) -> None:
    with ape.reverts(registry.NoPendingMove, old=member):
        registry.completeMove(member, sender=outsider)


def test_completeMove_twice(
    registry: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, _new, executable_at = proposed
    wait_until(chain, executable_at)
    registry.completeMove(old, sender=outsider)
    with ape.reverts(registry.NoPendingMove, old=old):
        registry.completeMove(old, sender=outsider)


@pytest.mark.parametrize("ending", ["leave", "revoke", "erase"])
def test_completeMove_after_membership_ended(
    registry: Any,
    registrar: Any,
    outsider: Any,
    proposed: tuple[Any, str, int],
    chain: Any,
    ending: str,
) -> None:
    """Leaving is also a way to refuse: an ended membership has nothing to move."""
    old, _new, executable_at = proposed
    if ending == "leave":
        registry.leave(sender=old)
    else:
        getattr(registry, ending)(old, sender=registrar)
    wait_until(chain, executable_at)
    with ape.reverts(registry.NoPendingMove, old=old):
        registry.completeMove(old, sender=outsider)
    assert registry.pendingMove(old) == (ZERO_ADDRESS, 0)


def test_completeMove_after_revoke_and_enrolling_again(
    registry: Any, registrar: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    """A move proposed for an earlier membership of the wallet is void: it does not revive."""
    old, _new, executable_at = proposed
    registry.revoke(old, sender=registrar)
    chain.pending_timestamp += 60
    registry.enroll(old, COMMITMENT, CONSENT, TIER, sender=registrar)
    wait_until(chain, executable_at)

    assert registry.pendingMove(old) == (ZERO_ADDRESS, 0)
    with ape.reverts(registry.NoPendingMove, old=old):
        registry.completeMove(old, sender=outsider)
    registry.proposeMove(old, replacement(old), sender=registrar)  # a new one may be proposed


def test_completeMove_new_wallet_enrolled_meanwhile(
    registry: Any, registrar: Any, outsider: Any, member: Any, newcomer: Any, chain: Any
) -> None:
    tx = registry.proposeMove(member, newcomer, sender=registrar)
    registry.enroll(newcomer, NEW_COMMITMENT, 0, 0, sender=registrar)
    wait_until(chain, timestamp_of(chain, tx) + THREE_DAYS)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=Status.ACTIVE):
        registry.completeMove(member, sender=outsider)
    assert registry.isActive(member)


def test_completeMove_when_paused(
    registry: Any, pauser: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, _new, executable_at = proposed
    wait_until(chain, executable_at)
    registry.pause(sender=pauser)
    with ape.reverts(registry.EnforcedPause):
        registry.completeMove(old, sender=outsider)


def test_moved_wallet_can_never_be_used_again(
    registry: Any,
    registrar: Any,
    member: Any,
    newcomer: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    new = replacement(member)
    move(registry, registrar, member, new)
    moved = {"member": member, "status": Status.MOVED}
    tombstone = record_of(registry, member)
    change["deadline"] = 2**40  # the move took days
    signature = sign(member, domain, change)
    attempts_moved: list[tuple[Any, dict[str, Any], Callable[[], Any]]] = [
        (
            registry.WalletMoved,
            {"member": member, "newWallet": new},
            lambda: registry.enroll(member, COMMITMENT, CONSENT, TIER, sender=registrar),
        ),
        (
            registry.WalletMoved,
            {"member": member, "newWallet": new},
            lambda: registry.enrollBatch(
                enrollment_rows([(member, COMMITMENT, 0, 0)]), sender=registrar
            ),
        ),
        (registry.WrongStatus, moved, lambda: registry.setConsent(0, 1, sender=member)),
        (
            registry.WrongStatus,
            moved,
            lambda: registry.setConsentBySig(change, signature, sender=registrar),
        ),
        (registry.WrongStatus, moved, lambda: registry.leave(sender=member)),
        (registry.WrongStatus, moved, lambda: registry.setTier(member, 2, sender=registrar)),
        (
            registry.WrongStatus,
            moved,
            lambda: registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar),
        ),
        (registry.WrongStatus, moved, lambda: registry.suspend(member, sender=registrar)),
        (registry.WrongStatus, moved, lambda: registry.revoke(member, sender=registrar)),
        (registry.WrongStatus, moved, lambda: registry.erase(member, sender=registrar)),
        (
            registry.WrongStatus,
            moved,
            lambda: registry.proposeMove(member, newcomer, sender=registrar),
        ),
        (
            registry.WrongStatus,
            moved,
            lambda: registry.proposeMove(new, member, sender=registrar),
        ),
        (registry.NoPendingMove, {"old": member}, lambda: registry.vetoMove(sender=member)),
    ]
    for error, inputs, attempt in attempts_moved:
        with ape.reverts(error, **inputs):
            attempt()
        assert record_of(registry, member) == tombstone


def test_moved_member_acts_from_new_wallet(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    """The membership, consent included, works from a new wallet the member holds."""
    old, new = members[0], members[1]
    bring_to(registry, registrar, old, Status.ACTIVE)
    move(registry, registrar, old, new)

    tx = registry.setConsent(MARKETING, 1, sender=new)

    assert tx.events == [
        registry.ConsentChanged(
            member=new, oldFlags=CONSENT, newFlags=MARKETING, policyVersion=1, by=new
        )
    ]
    registry.leave(sender=new)
    assert registry.memberCount() == 0


def test_vetoMove_by_old_wallet(
    registry: Any, outsider: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    old, new, executable_at = proposed

    tx = registry.vetoMove(sender=old)

    assert tx.events == [registry.MoveVetoed(old=old, newWallet=new)]
    assert registry.pendingMove(old) == (ZERO_ADDRESS, 0)
    wait_until(chain, executable_at)
    with ape.reverts(registry.NoPendingMove, old=old):
        registry.completeMove(old, sender=outsider)
    assert registry.isActive(old)


def test_vetoMove_when_paused(
    registry: Any, pauser: Any, proposed: tuple[Any, str, int], chain: Any
) -> None:
    """A pause never runs out a member's time to refuse a move."""
    old, new, executable_at = proposed
    registry.pause(sender=pauser)
    wait_until(chain, executable_at)
    tx = registry.vetoMove(sender=old)
    assert tx.events == [registry.MoveVetoed(old=old, newWallet=new)]


def test_vetoMove_without_pending_move(registry: Any, member: Any) -> None:
    with ape.reverts(registry.NoPendingMove, old=member):
        registry.vetoMove(sender=member)


def test_vetoMove_by_someone_else(
    registry: Any, newcomer: Any, proposed: tuple[Any, str, int]
) -> None:
    """Only the old wallet can veto; anyone else has no move of their own pending."""
    with ape.reverts(registry.NoPendingMove, old=newcomer):
        registry.vetoMove(sender=newcomer)
    assert registry.pendingMove(proposed[0])[0] == proposed[1]


def test_cancelMove_by_registrar(
    registry: Any, registrar: Any, proposed: tuple[Any, str, int]
) -> None:
    old, new, _executable_at = proposed
    tx = registry.cancelMove(old, sender=registrar)
    assert tx.events == [registry.MoveCancelled(old=old, newWallet=new, by=registrar)]
    assert registry.pendingMove(old) == (ZERO_ADDRESS, 0)


def test_cancelMove_when_paused(
    registry: Any, registrar: Any, pauser: Any, proposed: tuple[Any, str, int]
) -> None:
    registry.pause(sender=pauser)
    registry.cancelMove(proposed[0], sender=registrar)
    assert registry.pendingMove(proposed[0]) == (ZERO_ADDRESS, 0)


def test_cancelMove_without_pending_move(registry: Any, registrar: Any, member: Any) -> None:
    with ape.reverts(registry.NoPendingMove, old=member):
        registry.cancelMove(member, sender=registrar)


def test_cancelMove_by_outsider(
    registry: Any, outsider: Any, proposed: tuple[Any, str, int]
) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=REGISTRAR_ROLE
    ):
        registry.cancelMove(proposed[0], sender=outsider)


def test_setMoveDelay_changes_delay(registry: Any, admin: Any) -> None:
    tx = registry.setMoveDelay(0, sender=admin)
    assert tx.events == [registry.MoveDelaySet(oldDelay=THREE_DAYS, newDelay=0)]
    assert registry.moveDelay() == 0


def test_setMoveDelay_same_delay_is_quiet(registry: Any, admin: Any) -> None:
    assert registry.setMoveDelay(THREE_DAYS, sender=admin).logs == []


def test_setMoveDelay_keeps_pending_moves(
    registry: Any, admin: Any, proposed: tuple[Any, str, int]
) -> None:
    registry.setMoveDelay(0, sender=admin)
    assert registry.pendingMove(proposed[0])[1] == proposed[2]


def test_setMoveDelay_when_paused(registry: Any, admin: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.setMoveDelay(0, sender=admin)


def test_setMoveDelay_by_registrar(registry: Any, registrar: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        registry.setMoveDelay(0, sender=registrar)


def test_movedTo_is_zero_unless_moved(
    registry: Any, registrar: Any, proposed: tuple[Any, str, int], newcomer: Any
) -> None:
    assert registry.movedTo(proposed[0]) == ZERO_ADDRESS  # pending only
    assert registry.movedTo(newcomer) == ZERO_ADDRESS


# ---------------------------------------------------------------------------- setConsent


def test_setConsent_by_member(registry: Any, member: Any) -> None:
    tx = registry.setConsent(PARTNERS, 1, sender=member)

    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=PARTNERS, policyVersion=1, by=member
        )
    ]
    assert record_of(registry, member).consent == PARTNERS
    assert registry.hasConsent(member, PARTNERS)
    assert not registry.hasConsent(member, MARKETING)


def test_setConsent_withdraw_everything(registry: Any, member: Any) -> None:
    tx = registry.setConsent(0, 1, sender=member)
    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=0, policyVersion=1, by=member
        )
    ]
    assert registry.hasConsent(member, 0)
    assert not registry.hasConsent(member, MARKETING)


def test_setConsent_same_flags_is_quiet(registry: Any, member: Any) -> None:
    before = record_of(registry, member)
    tx = registry.setConsent(CONSENT, 1, sender=member)
    assert tx.logs == []
    assert record_of(registry, member) == before


def test_setConsent_same_flags_under_new_policy(registry: Any, admin: Any, member: Any) -> None:
    registry.publishPolicy(POLICY_V2, sender=admin)

    tx = registry.setConsent(CONSENT, 2, sender=member)

    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=CONSENT, policyVersion=2, by=member
        )
    ]
    assert record_of(registry, member).policy_version == 2


def test_setConsent_stale_policy(registry: Any, admin: Any, member: Any) -> None:
    registry.publishPolicy(POLICY_V2, sender=admin)
    with ape.reverts(registry.StalePolicy, given=1, current=2):
        registry.setConsent(EVERY_PURPOSE, 1, sender=member)


def test_setConsent_unpublished_policy(registry: Any, member: Any) -> None:
    with ape.reverts(registry.StalePolicy, given=2, current=1):
        registry.setConsent(EVERY_PURPOSE, 2, sender=member)


def test_setConsent_unknown_flags(registry: Any, member: Any) -> None:
    with ape.reverts(registry.UnknownConsentFlags, flags=EVERY_PURPOSE | UNKNOWN_PURPOSE):
        registry.setConsent(EVERY_PURPOSE | UNKNOWN_PURPOSE, 1, sender=member)


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.REVOKED], ids=lambda s: s.name)
def test_setConsent_by_suspended_or_revoked_member(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)

    tx = registry.setConsent(0, 1, sender=newcomer)

    assert tx.events == [
        registry.ConsentChanged(
            member=newcomer, oldFlags=CONSENT, newFlags=0, policyVersion=1, by=newcomer
        )
    ]
    assert record_of(registry, newcomer).consent == 0
    assert record_of(registry, newcomer).status == status


@pytest.mark.parametrize("status", [Status.NONE, Status.ERASED], ids=lambda s: s.name)
def test_setConsent_without_record(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.setConsent(MARKETING, 1, sender=newcomer)


def test_setConsent_when_paused(registry: Any, member: Any, paused: None) -> None:
    """Asking for a purpose the member had not agreed to waits for the pause to end."""
    with ape.reverts(registry.EnforcedPause):
        registry.setConsent(EVERY_PURPOSE, 1, sender=member)
    assert record_of(registry, member).consent == CONSENT


def test_setConsent_narrowing_when_paused(registry: Any, member: Any, paused: None) -> None:
    """A member can always take consent back, even while everything else is stopped."""
    tx = registry.setConsent(MARKETING, 1, sender=member)

    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=MARKETING, policyVersion=1, by=member
        )
    ]
    assert record_of(registry, member).consent == MARKETING


def test_setConsent_same_flags_when_paused_is_quiet(
    registry: Any, member: Any, paused: None
) -> None:
    assert registry.setConsent(CONSENT, 1, sender=member).logs == []


def test_setConsent_swapping_purposes_when_paused(registry: Any, member: Any, paused: None) -> None:
    """Dropping one purpose does not pay for adding another: that is a widening."""
    with ape.reverts(registry.EnforcedPause):
        registry.setConsent(MARKETING | PARTNERS, 1, sender=member)


def test_setConsent_narrowing_under_new_policy_when_paused(
    registry: Any, admin: Any, pauser: Any, member: Any
) -> None:
    registry.publishPolicy(POLICY_V2, sender=admin)
    registry.pause(sender=pauser)
    tx = registry.setConsent(ANALYTICS, 2, sender=member)
    assert [log.policyVersion for log in tx.decode_logs(registry.ConsentChanged)] == [2]
    with ape.reverts(registry.StalePolicy, given=1, current=2):
        registry.setConsent(0, 1, sender=member)


def test_setConsent_narrowing_by_revoked_member_when_paused(
    registry: Any, registrar: Any, pauser: Any, newcomer: Any
) -> None:
    bring_to(registry, registrar, newcomer, Status.REVOKED)
    registry.pause(sender=pauser)
    registry.setConsent(0, 1, sender=newcomer)
    assert record_of(registry, newcomer).consent == 0


def test_setConsent_without_policy(unpublished_registry: Any, newcomer: Any) -> None:
    with ape.reverts(unpublished_registry.NoPolicyPublished):
        unpublished_registry.setConsent(MARKETING, 0, sender=newcomer)


# ---------------------------------------------------------------------------- setConsentBySig


def test_consentChangeDigest_is_eip712_hash(
    registry: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    signed = Account.sign_typed_data(member.private_key, domain, CONSENT_CHANGE_TYPES, change)
    assert registry.consentChangeDigest(change) == signed.message_hash


def test_consentChangeDigest_binds_every_field(registry: Any, change: dict[str, Any]) -> None:
    digest = registry.consentChangeDigest(change)
    for field, value in [
        ("member", ZERO_ADDRESS),
        ("flags", 0),
        ("policyVersion", 2),
        ("nonce", 1),
        ("deadline", change["deadline"] + 1),
    ]:
        assert registry.consentChangeDigest({**change, field: value}) != digest


def test_setConsentBySig_relayed_by_outsider(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    tx = registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)

    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=EVERY_PURPOSE, policyVersion=1, by=outsider
        )
    ]
    assert record_of(registry, member).consent == EVERY_PURPOSE
    assert registry.nonces(member) == 1


def test_setConsentBySig_at_deadline(
    registry: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
    chain: Any,
) -> None:
    chain.pending_timestamp = change["deadline"]
    tx = registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)
    assert timestamp_of(chain, tx) == change["deadline"]
    assert registry.hasConsent(member, EVERY_PURPOSE)


def test_setConsentBySig_expired_deadline(
    registry: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
    chain: Any,
) -> None:
    change["deadline"] = chain.blocks.head.timestamp - 1
    with ape.reverts(registry.DeadlineExpired, deadline=change["deadline"]):
        registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)


def test_setConsentBySig_replayed(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign(member, domain, change)
    registry.setConsentBySig(change, signature, sender=outsider)
    registry.setConsent(CONSENT, 1, sender=member)  # the member changes their mind

    with ape.reverts(registry.InvalidAccountNonce, account=member, currentNonce=1):
        registry.setConsentBySig(change, signature, sender=outsider)
    assert record_of(registry, member).consent == CONSENT


def test_setConsentBySig_future_nonce(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    change["nonce"] = 1
    with ape.reverts(registry.InvalidAccountNonce, account=member, currentNonce=0):
        registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)


def test_setConsentBySig_wrong_signer(
    registry: Any,
    outsider: Any,
    member: Any,
    newcomer: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, sign(newcomer, domain, change), sender=outsider)


def test_setConsentBySig_tampered_flags(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign(member, domain, change)
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig({**change, "flags": 0}, signature, sender=outsider)


def test_setConsentBySig_wrong_chain_id(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    other_chain = {**domain, "chainId": domain["chainId"] + 1}
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, sign(member, other_chain, change), sender=outsider)


def test_setConsentBySig_wrong_verifying_contract(
    registry: Any,
    unpublished_registry: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    other_registry = {**domain, "verifyingContract": unpublished_registry.address}
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, sign(member, other_registry, change), sender=outsider)


def test_setConsentBySig_wrong_domain_name(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    other_app = {**domain, "name": "Some Other Registry"}
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, sign(member, other_app, change), sender=outsider)


def test_setConsentBySig_high_s_signature(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign(member, domain, change)
    malleated = with_high_s(signature)
    # Plain ecrecover accepts the twin: it recovers the member's address ...
    v, r, s = malleated[64], malleated[:32], malleated[32:64]
    digest = registry.consentChangeDigest(change)
    assert Account._recover_hash(digest, vrs=(v, r, s)) == member.address
    # ... the registry does not.
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, malleated, sender=outsider)
    assert registry.nonces(member) == 0


@pytest.mark.parametrize("length", [0, 64, 66], ids=lambda n: f"{n}-bytes")
def test_setConsentBySig_malformed_signature(
    registry: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
    length: int,
) -> None:
    signature = (sign(member, domain, change) + b"\x00")[:length]
    with ape.reverts(registry.InvalidSignature, member=member):
        registry.setConsentBySig(change, signature, sender=outsider)


def test_setConsentBySig_stale_policy(
    registry: Any,
    admin: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    signature = sign(member, domain, change)
    registry.publishPolicy(POLICY_V2, sender=admin)
    with ape.reverts(registry.StalePolicy, given=1, current=2):
        registry.setConsentBySig(change, signature, sender=outsider)


def test_setConsentBySig_unknown_flags(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    change["flags"] = 0x80
    with ape.reverts(registry.UnknownConsentFlags, flags=0x80):
        registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)


def test_setConsentBySig_never_enrolled(
    registry: Any, outsider: Any, newcomer: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    change["member"] = newcomer.address
    with ape.reverts(registry.WrongStatus, member=newcomer, status=Status.NONE):
        registry.setConsentBySig(change, sign(newcomer, domain, change), sender=outsider)


def test_setConsentBySig_when_paused(
    registry: Any,
    pauser: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    registry.pause(sender=pauser)
    with ape.reverts(registry.EnforcedPause):
        registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)
    assert registry.nonces(member) == 0


def test_setConsentBySig_narrowing_when_paused(
    registry: Any,
    pauser: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    """The gas-free relay keeps working for a member withdrawing consent during a pause."""
    registry.pause(sender=pauser)
    change["flags"] = 0

    tx = registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)

    assert tx.events == [
        registry.ConsentChanged(
            member=member, oldFlags=CONSENT, newFlags=0, policyVersion=1, by=outsider
        )
    ]
    assert registry.nonces(member) == 1


def test_setConsentBySig_same_flags_uses_nonce_quietly(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    change["flags"] = CONSENT
    tx = registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)
    assert tx.logs == []
    assert registry.nonces(member) == 1


# ---------------------------------------------------------------------------- increaseNonce


def test_increaseNonce_cancels_signed_change(
    registry: Any, outsider: Any, member: Any, change: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign(member, domain, change)

    tx = registry.increaseNonce(sender=member)

    assert tx.events == [registry.NonceIncreased(member=member, newNonce=1)]
    assert registry.nonces(member) == 1
    with ape.reverts(registry.InvalidAccountNonce, account=member, currentNonce=1):
        registry.setConsentBySig(change, signature, sender=outsider)


def test_increaseNonce_counts_up(registry: Any, newcomer: Any) -> None:
    registry.increaseNonce(sender=newcomer)
    tx = registry.increaseNonce(sender=newcomer)
    assert tx.events == [registry.NonceIncreased(member=newcomer, newNonce=2)]
    assert registry.nonces(newcomer) == 2


def test_increaseNonce_when_paused(
    registry: Any,
    pauser: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    """A member can cancel what they signed while paused, before the pause ends."""
    signature = sign(member, domain, change)
    registry.pause(sender=pauser)
    tx = registry.increaseNonce(sender=member)
    assert tx.events == [registry.NonceIncreased(member=member, newNonce=1)]
    with ape.reverts(registry.InvalidAccountNonce, account=member, currentNonce=1):
        registry.setConsentBySig(change, signature, sender=outsider)


# ---------------------------------------------------------------------------- leave


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUSPENDED], ids=lambda s: s.name)
def test_leave_ends_own_membership(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    before = record_of(registry, newcomer)

    tx = registry.leave(sender=newcomer)

    assert tx.events == [registry.MemberLeft(member=newcomer)]
    assert record_of(registry, newcomer) == before._replace(status=Status.REVOKED)
    assert registry.memberCount() == 0


@pytest.mark.parametrize(
    "status", [Status.NONE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_leave_not_enrolled(registry: Any, registrar: Any, newcomer: Any, status: Status) -> None:
    bring_to(registry, registrar, newcomer, status)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=status):
        registry.leave(sender=newcomer)


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUSPENDED], ids=lambda s: s.name)
def test_leave_when_paused(
    registry: Any, registrar: Any, pauser: Any, newcomer: Any, status: Status
) -> None:
    """Leaving is the member's own decision: a pause does not hold them in."""
    bring_to(registry, registrar, newcomer, status)
    registry.pause(sender=pauser)

    tx = registry.leave(sender=newcomer)

    assert tx.events == [registry.MemberLeft(member=newcomer)]
    assert record_of(registry, newcomer).status == Status.REVOKED
    assert registry.memberCount() == 0


def test_leave_when_paused_not_enrolled(
    registry: Any, registrar: Any, pauser: Any, newcomer: Any
) -> None:
    bring_to(registry, registrar, newcomer, Status.REVOKED)
    registry.pause(sender=pauser)
    with ape.reverts(registry.WrongStatus, member=newcomer, status=Status.REVOKED):
        registry.leave(sender=newcomer)


# ---------------------------------------------------------------------------- publishPolicy


def test_publishPolicy_first_version_is_one(unpublished_registry: Any, admin: Any) -> None:
    assert unpublished_registry.publishPolicy.call(POLICY_V1, sender=admin) == 1
    tx = unpublished_registry.publishPolicy(POLICY_V1, sender=admin)
    assert tx.events == [unpublished_registry.PolicyPublished(version=1, documentHash=POLICY_V1)]
    assert unpublished_registry.policyVersion() == 1
    assert unpublished_registry.policyHash(1) == POLICY_V1


def test_publishPolicy_increments_version(registry: Any, admin: Any) -> None:
    assert registry.publishPolicy.call(POLICY_V2, sender=admin) == 2
    tx = registry.publishPolicy(POLICY_V2, sender=admin)

    assert tx.events == [registry.PolicyPublished(version=2, documentHash=POLICY_V2)]
    assert registry.policyVersion() == 2
    assert registry.policyHash(1) == POLICY_V1
    assert registry.policyHash(2) == POLICY_V2
    assert registry.policyHash(3) == b"\x00" * 32


def test_publishPolicy_keeps_members_consent_version(
    registry: Any, admin: Any, member: Any
) -> None:
    registry.publishPolicy(POLICY_V2, sender=admin)
    assert record_of(registry, member).policy_version == 1
    assert registry.hasConsent(member, CONSENT)


def test_publishPolicy_zero_hash(registry: Any, admin: Any) -> None:
    with ape.reverts(registry.ZeroPolicyHash):
        registry.publishPolicy(b"\x00" * 32, sender=admin)


def test_publishPolicy_when_paused(registry: Any, admin: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.publishPolicy(POLICY_V2, sender=admin)


def test_publishPolicy_by_registrar(registry: Any, registrar: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        registry.publishPolicy(POLICY_V2, sender=registrar)


# ---------------------------------------------------------------------------- pause / unpause


def test_pause_stops_state_changes(registry: Any, pauser: Any) -> None:
    tx = registry.pause(sender=pauser)
    assert tx.events == [registry.Paused(account=pauser)]
    assert registry.paused()


def test_pause_when_paused(registry: Any, pauser: Any, paused: None) -> None:
    with ape.reverts(registry.EnforcedPause):
        registry.pause(sender=pauser)


def test_pause_by_registrar(registry: Any, registrar: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=registrar, neededRole=PAUSER_ROLE
    ):
        registry.pause(sender=registrar)


def test_unpause_resumes_state_changes(
    registry: Any, pauser: Any, registrar: Any, newcomer: Any, paused: None
) -> None:
    tx = registry.unpause(sender=pauser)
    assert tx.events == [registry.Unpaused(account=pauser)]
    assert not registry.paused()
    registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=registrar)
    assert registry.isActive(newcomer)


def test_unpause_when_not_paused(registry: Any, pauser: Any) -> None:
    with ape.reverts(registry.ExpectedPause):
        registry.unpause(sender=pauser)


def test_unpause_by_outsider(registry: Any, outsider: Any, paused: None) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=outsider, neededRole=PAUSER_ROLE
    ):
        registry.unpause(sender=outsider)


# ---------------------------------------------------------------------------- views


def test_memberOf_never_enrolled_is_all_zero(registry: Any, newcomer: Any) -> None:
    assert record_of(registry, newcomer) == Record(ZERO_COMMITMENT, 0, 0, Status.NONE, 0, 0)
    assert registry.statusAndTier(newcomer) == (Status.NONE, 0)


def test_membersOf_answers_memberOf_for_each_wallet(
    registry: Any, registrar: Any, members: list[Any], outsider: Any, chain: Any
) -> None:
    """Every status, a wallet never enrolled, a repeated wallet, the order kept."""
    for m, status in zip(members, list(Status)[1:], strict=True):
        bring_to(registry, registrar, m, status)
    registry.setTier(members[0], 7, sender=registrar)
    registry.setConsent(PARTNERS, 1, sender=members[2])  # the revoked one
    wallets = [*members, outsider, replacement(members[4]), members[0]]

    records = registry.membersOf(wallets)

    assert [Record(bytes(r[0]), *r[1:]) for r in records] == [
        record_of(registry, w) for w in wallets
    ]
    assert [r[3] for r in records] == [1, 2, 3, 4, 5, 0, 1, 1]


def test_membersOf_empty_list(registry: Any) -> None:
    assert list(registry.membersOf([])) == []


def test_membersOf_masks_dirty_address_bits(
    registry: Any, registrar: Any, member: Any, chain: Any
) -> None:
    """A wallet word with its high 96 bits set (invalid ABI) reads the wallet's record."""
    clean = bytes(registry.membersOf.encode_input([member.address]))
    dirty = clean[:-32] + b"\xff" * 12 + clean[-20:]
    answer = chain.provider.web3.eth.call({"to": registry.address, "data": "0x" + dirty.hex()})
    assert bytes(answer) == bytes(
        chain.provider.web3.eth.call({"to": registry.address, "data": "0x" + clean.hex()})
    )
    assert bytes(answer)[64:84] == COMMITMENT


def test_statusesAndTiers_packs_status_and_tier(
    registry: Any, registrar: Any, members: list[Any], outsider: Any
) -> None:
    for m, status in zip(members[:4], list(Status)[1:5], strict=True):
        bring_to(registry, registrar, m, status)
    registry.setTier(members[0], 7, sender=registrar)

    packed = registry.statusesAndTiers([*members[:4], outsider, members[0]])

    assert list(packed) == [
        Status.ACTIVE << 8 | 7,
        Status.SUSPENDED << 8 | TIER,
        Status.REVOKED << 8 | TIER,
        Status.ERASED << 8 | 0,
        Status.NONE << 8 | 0,
        Status.ACTIVE << 8 | 7,
    ]


def test_statusesAndTiers_empty_list(registry: Any) -> None:
    assert list(registry.statusesAndTiers([])) == []


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.name)
def test_isActive_only_for_active(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    assert registry.isActive(newcomer) == (status == Status.ACTIVE)


def test_hasConsent_needs_every_flag(registry: Any, member: Any) -> None:
    assert registry.hasConsent(member, 0)
    assert registry.hasConsent(member, MARKETING)
    assert registry.hasConsent(member, MARKETING | ANALYTICS)
    assert not registry.hasConsent(member, PARTNERS)
    assert not registry.hasConsent(member, MARKETING | PARTNERS)


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.name)
def test_hasConsent_only_for_active_or_suspended(
    registry: Any, registrar: Any, newcomer: Any, status: Status
) -> None:
    bring_to(registry, registrar, newcomer, status)
    expected = status in (Status.ACTIVE, Status.SUSPENDED)
    assert registry.hasConsent(newcomer, MARKETING) == expected
    assert registry.hasConsent(newcomer, 0) == expected


def test_commitmentMatches_compares_with_record(
    registry: Any, registrar: Any, member: Any, newcomer: Any
) -> None:
    assert registry.commitmentMatches(member, COMMITMENT)
    assert not registry.commitmentMatches(member, NEW_COMMITMENT)
    assert not registry.commitmentMatches(newcomer, COMMITMENT)
    registry.revoke(member, sender=registrar)  # a revoked record keeps its commitment
    assert registry.commitmentMatches(member, COMMITMENT)


def test_commitmentMatches_zero_commitment_never_matches(registry: Any, newcomer: Any) -> None:
    # A never-enrolled record holds a zero commitment; zero must still not match it.
    assert not registry.commitmentMatches(newcomer, ZERO_COMMITMENT)


# ---------------------------------------------------------------------------- roles


def test_grantRole_makes_a_registrar(
    registry: Any, admin: Any, outsider: Any, newcomer: Any
) -> None:
    tx = registry.grantRole(REGISTRAR_ROLE, outsider, sender=admin)
    assert tx.events == [registry.RoleGranted(role=REGISTRAR_ROLE, account=outsider, sender=admin)]
    registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=outsider)
    assert registry.isActive(newcomer)


def test_grantRole_twice_is_quiet(registry: Any, admin: Any, registrar: Any) -> None:
    tx = registry.grantRole(REGISTRAR_ROLE, registrar, sender=admin)
    assert tx.logs == []


def test_grantRole_by_registrar(registry: Any, registrar: Any, outsider: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        registry.grantRole(REGISTRAR_ROLE, outsider, sender=registrar)


def test_grantRole_default_admin_role(registry: Any, admin: Any, outsider: Any) -> None:
    with ape.reverts(registry.AccessControlEnforcedDefaultAdminRules):
        registry.grantRole(DEFAULT_ADMIN_ROLE, outsider, sender=admin)


def test_revokeRole_removes_a_registrar(
    registry: Any, admin: Any, registrar: Any, newcomer: Any
) -> None:
    tx = registry.revokeRole(REGISTRAR_ROLE, registrar, sender=admin)
    assert tx.events == [registry.RoleRevoked(role=REGISTRAR_ROLE, account=registrar, sender=admin)]
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=registrar, neededRole=REGISTRAR_ROLE
    ):
        registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=registrar)


@pytest.mark.parametrize("role", [REGISTRAR_ROLE, PAUSER_ROLE], ids=["registrar", "pauser"])
def test_renounceRole_by_deployer(registry: Any, admin: Any, role: bytes) -> None:
    """The deploy script hands these roles to other accounts and gives up its own."""
    tx = registry.renounceRole(role, admin, sender=admin)
    assert tx.events == [registry.RoleRevoked(role=role, account=admin, sender=admin)]
    assert not registry.hasRole(role, admin)
    assert registry.hasRole(DEFAULT_ADMIN_ROLE, admin)


def test_renounceRole_registrar_stops_enrolling(registry: Any, admin: Any, newcomer: Any) -> None:
    registry.renounceRole(REGISTRAR_ROLE, admin, sender=admin)
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=admin, neededRole=REGISTRAR_ROLE
    ):
        registry.enroll(newcomer, COMMITMENT, CONSENT, TIER, sender=admin)


def test_renounceRole_by_pauser(registry: Any, pauser: Any) -> None:
    tx = registry.renounceRole(PAUSER_ROLE, pauser, sender=pauser)
    assert tx.events == [registry.RoleRevoked(role=PAUSER_ROLE, account=pauser, sender=pauser)]
    assert not registry.hasRole(PAUSER_ROLE, pauser)


def test_beginDefaultAdminTransfer_then_accept(
    registry: Any, admin: Any, outsider: Any, chain: Any
) -> None:
    tx = registry.beginDefaultAdminTransfer(outsider, sender=admin)
    schedule = timestamp_of(chain, tx)  # delay 0: the schedule is the begin block's time
    assert tx.events == [
        registry.DefaultAdminTransferScheduled(newAdmin=outsider, acceptSchedule=schedule)
    ]
    assert registry.pendingDefaultAdmin() == (outsider, schedule)
    chain.pending_timestamp = max(chain.pending_timestamp, schedule + 1)

    tx = registry.acceptDefaultAdminTransfer(sender=outsider)

    assert tx.events == [
        registry.RoleRevoked(role=DEFAULT_ADMIN_ROLE, account=admin, sender=outsider),
        registry.RoleGranted(role=DEFAULT_ADMIN_ROLE, account=outsider, sender=outsider),
    ]
    assert registry.defaultAdmin() == outsider
    assert registry.pendingDefaultAdmin() == (ZERO_ADDRESS, 0)
    registry.publishPolicy(POLICY_V2, sender=outsider)
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount, account=admin, neededRole=DEFAULT_ADMIN_ROLE
    ):
        registry.publishPolicy(POLICY_V2, sender=admin)


def test_beginDefaultAdminTransfer_by_registrar(
    registry: Any, registrar: Any, outsider: Any
) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        registry.beginDefaultAdminTransfer(outsider, sender=registrar)


def test_acceptDefaultAdminTransfer_before_delay(
    project: Any, admin: Any, outsider: Any, chain: Any
) -> None:
    delayed = project.MembershipRegistry.deploy(admin, 3600, sender=admin)
    tx = delayed.beginDefaultAdminTransfer(outsider, sender=admin)
    schedule = timestamp_of(chain, tx) + 3600

    with ape.reverts(delayed.AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        delayed.acceptDefaultAdminTransfer(sender=outsider)

    chain.pending_timestamp = schedule + 1
    delayed.acceptDefaultAdminTransfer(sender=outsider)
    assert delayed.defaultAdmin() == outsider


def test_acceptDefaultAdminTransfer_by_someone_else(
    registry: Any, admin: Any, registrar: Any, outsider: Any, chain: Any
) -> None:
    tx = registry.beginDefaultAdminTransfer(outsider, sender=admin)
    chain.pending_timestamp = max(chain.pending_timestamp, timestamp_of(chain, tx) + 1)
    with ape.reverts(registry.AccessControlInvalidDefaultAdmin, defaultAdmin=registrar):
        registry.acceptDefaultAdminTransfer(sender=registrar)


def test_cancelDefaultAdminTransfer_withdraws_offer(
    registry: Any, admin: Any, outsider: Any, chain: Any
) -> None:
    registry.beginDefaultAdminTransfer(outsider, sender=admin)

    tx = registry.cancelDefaultAdminTransfer(sender=admin)

    assert tx.events == [registry.DefaultAdminTransferCanceled()]
    assert registry.pendingDefaultAdmin() == (ZERO_ADDRESS, 0)
    chain.pending_timestamp += 1
    with ape.reverts(registry.AccessControlInvalidDefaultAdmin, defaultAdmin=outsider):
        registry.acceptDefaultAdminTransfer(sender=outsider)


def test_changeDefaultAdminDelay_schedules_new_delay(registry: Any, admin: Any, chain: Any) -> None:
    tx = registry.changeDefaultAdminDelay(3600, sender=admin)
    effect = timestamp_of(chain, tx) + 3600  # an increase waits min(new delay, 5 days)
    assert tx.events == [
        registry.DefaultAdminDelayChangeScheduled(newDelay=3600, effectSchedule=effect)
    ]
    assert registry.pendingDefaultAdminDelay() == (3600, effect)
    assert registry.defaultAdminDelay() == 0


def test_changeDefaultAdminDelay_by_registrar(registry: Any, registrar: Any) -> None:
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        registry.changeDefaultAdminDelay(3600, sender=registrar)


def test_rollbackDefaultAdminDelay_cancels_change(registry: Any, admin: Any) -> None:
    registry.changeDefaultAdminDelay(3600, sender=admin)
    tx = registry.rollbackDefaultAdminDelay(sender=admin)
    assert tx.events == [registry.DefaultAdminDelayChangeCanceled()]
    assert registry.pendingDefaultAdminDelay() == (0, 0)


def test_renounceRole_default_admin_in_one_step(registry: Any, admin: Any) -> None:
    with ape.reverts(registry.AccessControlEnforcedDefaultAdminDelay, schedule=0):
        registry.renounceRole(DEFAULT_ADMIN_ROLE, admin, sender=admin)
    assert registry.defaultAdmin() == admin


def test_renounceRole_for_someone_else(registry: Any, pauser: Any, outsider: Any) -> None:
    with ape.reverts(registry.AccessControlBadConfirmation):
        registry.renounceRole(PAUSER_ROLE, pauser, sender=outsider)


def test_getRoleAdmin_is_default_admin_for_every_role(registry: Any) -> None:
    for role in (DEFAULT_ADMIN_ROLE, REGISTRAR_ROLE, PAUSER_ROLE):
        assert registry.getRoleAdmin(role) == DEFAULT_ADMIN_ROLE


def test_supportsInterface_access_control(registry: Any) -> None:
    assert bytes.fromhex("31498786") == IACCESS_CONTROL_DEFAULT_ADMIN_RULES  # OpenZeppelin's
    for supported in (IERC165, IACCESS_CONTROL, IACCESS_CONTROL_DEFAULT_ADMIN_RULES):
        assert registry.supportsInterface(supported)
    assert not registry.supportsInterface(b"\xff\xff\xff\xff")


# ---------------------------------------------------------------------------- invariants


def _counted(registry: Any, wallets: list[Any]) -> int:
    return sum(record_of(registry, w).status in (Status.ACTIVE, Status.SUSPENDED) for w in wallets)


def test_invariant_memberCount_equals_active_and_suspended_records(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    a, b, c, d, e = members
    steps: list[Callable[[], Any]] = [
        lambda: registry.enrollBatch(
            enrollment_rows([(m, commitment(str(i)), 0, 0) for i, m in enumerate((a, b, c))]),
            sender=registrar,
        ),
        lambda: registry.enroll(d, commitment("d"), 0, 0, sender=registrar),
        lambda: registry.suspend(a, sender=registrar),
        lambda: registry.revoke(a, sender=registrar),
        lambda: registry.leave(sender=b),
        lambda: registry.enroll(b, commitment("b again"), 0, 0, sender=registrar),
        lambda: registry.suspend(c, sender=registrar),
        lambda: registry.erase(c, sender=registrar),
        lambda: registry.erase(a, sender=registrar),
        lambda: registry.enroll(e, commitment("e"), 0, 0, sender=registrar),
        lambda: registry.leave(sender=e),
        lambda: registry.erase(d, sender=registrar),
    ]
    for step in steps:
        step()
        assert registry.memberCount() == _counted(registry, members)
    assert registry.memberCount() == 1  # only b, enrolled again


def test_invariant_erased_record_is_empty_and_final(
    registry: Any, registrar: Any, admin: Any, member: Any, chain: Any, change: dict[str, Any]
) -> None:
    registry.erase(member, sender=registrar)
    tombstone = record_of(registry, member)
    assert (tombstone.commitment, tombstone.consent, tombstone.status) == (
        ZERO_COMMITMENT,
        0,
        Status.ERASED,
    )

    signature = sign(member, signing_domain(registry, chain), change)
    erased = {"member": member, "status": Status.ERASED}
    attempts: list[tuple[Any, dict[str, Any], Callable[[], Any]]] = [
        (
            registry.MemberIsErased,
            {"member": member},
            lambda: registry.enroll(member, COMMITMENT, CONSENT, TIER, sender=registrar),
        ),
        (
            registry.MemberIsErased,
            {"member": member},
            lambda: registry.enrollBatch(
                enrollment_rows([(member, COMMITMENT, 0, 0)]), sender=registrar
            ),
        ),
        (
            registry.WrongStatus,
            erased,
            lambda: registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar),
        ),
        (registry.WrongStatus, erased, lambda: registry.setTier(member, 2, sender=registrar)),
        (registry.WrongStatus, erased, lambda: registry.suspend(member, sender=registrar)),
        (registry.WrongStatus, erased, lambda: registry.reinstate(member, sender=registrar)),
        (registry.WrongStatus, erased, lambda: registry.revoke(member, sender=registrar)),
        (registry.WrongStatus, erased, lambda: registry.erase(member, sender=registrar)),
        (registry.WrongStatus, erased, lambda: registry.leave(sender=member)),
        (registry.WrongStatus, erased, lambda: registry.setConsent(CONSENT, 1, sender=member)),
        (
            registry.WrongStatus,
            erased,
            lambda: registry.setConsentBySig(change, signature, sender=registrar),
        ),
    ]
    for error, inputs, attempt in attempts:
        with ape.reverts(error, **inputs):
            attempt()
        assert record_of(registry, member) == tombstone
    registry.publishPolicy(POLICY_V2, sender=admin)  # registry-wide changes leave it alone
    assert record_of(registry, member) == tombstone


def test_invariant_enrolled_record_has_nonzero_commitment(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    a, b, c, d, _ = members
    registry.enrollBatch(
        enrollment_rows([(m, commitment(str(i)), 0, 0) for i, m in enumerate((a, b, c))]),
        sender=registrar,
    )
    zero_commitments: list[tuple[Any, Callable[[], Any]]] = [
        (d, lambda: registry.enroll(d, ZERO_COMMITMENT, 0, 0, sender=registrar)),
        (a, lambda: registry.rotateCommitment(a, ZERO_COMMITMENT, sender=registrar)),
    ]
    for wallet, attempt in zero_commitments:
        with ape.reverts(registry.ZeroCommitment, member=wallet):
            attempt()
    registry.suspend(a, sender=registrar)
    registry.rotateCommitment(b, commitment("b moved"), sender=registrar)
    registry.revoke(b, sender=registrar)
    registry.leave(sender=c)
    registry.enroll(c, commitment("c again"), 0, 0, sender=registrar)

    for m in members:
        status = record_of(registry, m).status
        if status not in (Status.NONE, Status.ERASED):
            assert record_of(registry, m).commitment != ZERO_COMMITMENT


def test_invariant_consent_changes_only_by_member_or_signature(
    registry: Any,
    admin: Any,
    registrar: Any,
    outsider: Any,
    member: Any,
    change: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    def consent() -> tuple[int, int]:
        record = record_of(registry, member)
        return record.consent, record.policy_version

    # Nothing the registrar or admin does to an enrolled member touches its consent.
    for registrar_step in calls(
        lambda: registry.rotateCommitment(member, NEW_COMMITMENT, sender=registrar),
        lambda: registry.setTier(member, 5, sender=registrar),
        lambda: registry.suspend(member, sender=registrar),
        lambda: registry.reinstate(member, sender=registrar),
        lambda: registry.publishPolicy(POLICY_V2, sender=admin),
        lambda: registry.revoke(member, sender=registrar),
    ):
        tx = registrar_step()
        assert tx.decode_logs(registry.ConsentChanged) == []
        assert consent() == (CONSENT, 1)

    # The member, and the member's signature, change it; each change names its policy version.
    tx = registry.setConsent(MARKETING, 2, sender=member)
    assert [log.policyVersion for log in tx.decode_logs(registry.ConsentChanged)] == [2]
    assert consent() == (MARKETING, 2)
    change.update(flags=PARTNERS, policyVersion=2)
    tx = registry.setConsentBySig(change, sign(member, domain, change), sender=outsider)
    assert [log.policyVersion for log in tx.decode_logs(registry.ConsentChanged)] == [2]
    assert consent() == (PARTNERS, 2)

    # Enrolling the revoked member again records the form's consent, never wider than before,
    # and says so.
    tx = registry.enroll(member, COMMITMENT, EVERY_PURPOSE, TIER, sender=registrar)
    assert tx.decode_logs(registry.ConsentChanged) == []
    assert consent() == (PARTNERS, 2)
    registry.revoke(member, sender=registrar)
    tx = registry.enroll(member, COMMITMENT, MARKETING, TIER, sender=registrar)
    assert [(log.newFlags, log.by) for log in tx.decode_logs(registry.ConsentChanged)] == [
        (0, registrar)
    ]
    assert consent() == (0, 2)

    # Erasure wipes it.
    registry.erase(member, sender=registrar)
    assert consent() == (0, 0)


def test_invariant_reenrollment_never_widens_consent(
    registry: Any, registrar: Any, members: list[Any]
) -> None:
    """Every (previous, requested) pair: after re-enrollment, consent = requested & previous."""
    wallet = members[0]
    registry.enroll(wallet, COMMITMENT, 0, TIER, sender=registrar)
    for previous in range(EVERY_PURPOSE + 1):
        for requested in range(EVERY_PURPOSE + 1):
            registry.setConsent(previous, 1, sender=wallet)
            registry.revoke(wallet, sender=registrar)
            tx = registry.enroll(wallet, COMMITMENT, requested, TIER, sender=registrar)
            after = record_of(registry, wallet).consent
            assert after == requested & previous
            changes = [
                (log.oldFlags, log.newFlags) for log in tx.decode_logs(registry.ConsentChanged)
            ]
            assert changes == ([] if after == previous else [(previous, after)])


def test_invariant_paused_registry_changes_only_what_members_do_for_themselves(
    registry: Any,
    admin: Any,
    registrar: Any,
    pauser: Any,
    outsider: Any,
    members: list[Any],
    chain: Any,
) -> None:
    active, suspended, revoked, newcomer, leaver = members
    for wallet, status in [
        (active, Status.ACTIVE),
        (suspended, Status.SUSPENDED),
        (revoked, Status.REVOKED),
        (leaver, Status.ACTIVE),
    ]:
        bring_to(registry, registrar, wallet, status)
    domain = signing_domain(registry, chain)
    change = {
        "member": active.address,
        "flags": EVERY_PURPOSE,
        "policyVersion": 1,
        "nonce": 0,
        "deadline": chain.blocks.head.timestamp + 3600,
    }
    signature = sign(active, domain, change)
    wallets = [*members, outsider]

    def snapshot() -> tuple[Any, ...]:
        return (
            [record_of(registry, w) for w in wallets],
            [registry.nonces(w) for w in wallets],
            registry.memberCount(),
            registry.policyVersion(),
            registry.policyHash(2),
        )

    before = snapshot()
    registry.pause(sender=pauser)
    for attempt in calls(
        lambda: registry.enroll(newcomer, COMMITMENT, 0, 0, sender=registrar),
        lambda: registry.enroll(revoked, COMMITMENT, 0, 0, sender=registrar),
        lambda: registry.enrollBatch(
            enrollment_rows([(newcomer, COMMITMENT, 0, 0)]), sender=registrar
        ),
        lambda: registry.rotateCommitment(active, NEW_COMMITMENT, sender=registrar),
        lambda: registry.setTier(active, 9, sender=registrar),
        lambda: registry.suspend(active, sender=registrar),
        lambda: registry.reinstate(suspended, sender=registrar),
        lambda: registry.revoke(active, sender=registrar),
        lambda: registry.erase(revoked, sender=registrar),
        lambda: registry.setConsent(EVERY_PURPOSE, 1, sender=active),
        lambda: registry.setConsent(PARTNERS, 1, sender=revoked),
        lambda: registry.setConsentBySig(change, signature, sender=outsider),
        lambda: registry.publishPolicy(POLICY_V2, sender=admin),
    ):
        with ape.reverts(registry.EnforcedPause):
            attempt()
    assert snapshot() == before

    # What members do for themselves goes through, and changes only their own records.
    registry.setConsent(MARKETING, 1, sender=active)
    registry.setConsent(0, 1, sender=revoked)
    registry.increaseNonce(sender=suspended)
    registry.leave(sender=leaver)
    after = snapshot()
    expected_records = before[0].copy()
    expected_records[0] = before[0][0]._replace(consent=MARKETING)
    expected_records[2] = before[0][2]._replace(consent=0)
    expected_records[4] = before[0][4]._replace(status=Status.REVOKED)
    expected_nonces = before[1].copy()
    expected_nonces[1] += 1
    assert after == (expected_records, expected_nonces, before[2] - 1, *before[3:])
