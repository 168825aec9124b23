"""LoyaltyPoints: every external function's success path, each revert with its custom error and
arguments, the events a user sees, quiet no-ops, and the header invariants as scripted
sequences. `points` (conftest) reads `registry`, which has policy v1 published. Credit batches
are packed rows (tests/contracts/batch_rows.py), identified on chain by issuer and content."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

import ape
import pytest
from batch_rows import content_hash, credit_rows, credits, enrollment_rows, event_tag
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

DEFAULT_ADMIN_ROLE = b"\x00" * 32
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
ZERO_ADDRESS = "0x" + "00" * 20
BASE_BPS = 10_000
MAX_BPS = 1_000_000

REWARD = 1  # in the catalogue at REWARD_COST once the `catalogue` fixture ran
REWARD_COST = 40
OPENING_BALANCE = 100  # what the `holder` fixture credits to members[0]


def calls(*steps: Callable[[], Any]) -> tuple[Callable[[], Any], ...]:
    """Calls to make one after the other (typed, unlike a tuple of lambdas)."""
    return steps


def welcome_bonus(wallet: Any) -> bytes:
    return credits("welcome bonus", [wallet], [OPENING_BALANCE])


class Status(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3
    ERASED = 4
    MOVED = 5


def end_membership(registry: Any, registrar: Any, wallet: Any, status: Status) -> Any:
    """Move an active member to `status` (Suspended, Revoked or Erased)."""
    if status == Status.SUSPENDED:
        registry.suspend(wallet, sender=registrar)
    elif status == Status.REVOKED:
        registry.revoke(wallet, sender=registrar)
    elif status == Status.ERASED:
        registry.erase(wallet, sender=registrar)
    elif status == Status.MOVED:
        move(registry, registrar, wallet, new_wallet(wallet))
    return wallet


def new_wallet(wallet: Any) -> str:
    """A wallet never enrolled, that no test key holds: where `wallet`'s membership moves."""
    return to_checksum_address(keccak(text=f"new wallet of {wallet}")[:20])


def move(registry: Any, registrar: Any, old: Any, new: Any) -> None:
    """Propose the move, wait out the registry's delay, complete it."""
    tx = registry.proposeMove(old, new, sender=registrar)
    executable_at = tx.decode_logs(registry.MoveProposed)[0].executableAt
    ape.chain.pending_timestamp = max(ape.chain.pending_timestamp, executable_at)
    registry.completeMove(old, sender=registrar)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def _deployed_first(
    points: Any,
    admin: Any,
    registrar: Any,
    issuer: Any,
    pauser: Any,
    outsider: Any,
    members: list[Any],
) -> None:
    """Set up the module's deployment and accounts before the first test, so that Ape's chain
    isolation never has to rebase a snapshot for a fixture that appears later."""


@pytest.fixture
def enrolled(registry: Any, registrar: Any, members: list[Any]) -> list[Any]:
    """Every member wallet enrolled and active; members[i] is at tier i."""
    rows = [(m, keccak(text=f"member {i}")[:20], 0, i) for i, m in enumerate(members)]
    registry.enrollBatch(enrollment_rows(rows), sender=registrar)
    return members


@pytest.fixture
def holder(points: Any, issuer: Any, enrolled: list[Any]) -> Any:
    """members[0] (tier 0, 1.00x), credited OPENING_BALANCE points."""
    points.credit(welcome_bonus(enrolled[0]), sender=issuer)
    return enrolled[0]


@pytest.fixture
def catalogue(points: Any, admin: Any) -> None:
    points.setReward(REWARD, REWARD_COST, sender=admin)


@pytest.fixture
def transfers_on(points: Any, admin: Any) -> None:
    points.setTransfersEnabled(True, sender=admin)


@pytest.fixture
def registry_paused(registry: Any, pauser: Any) -> None:
    registry.pause(sender=pauser)


# ---------------------------------------------------------------------------- deployment


def test_constructor_describes_token(points: Any, registry: Any) -> None:
    assert points.name() == "MemberLedger Points"
    assert points.symbol() == "MLP"
    assert points.decimals() == 0
    assert points.totalSupply() == 0
    assert points.registry() == registry.address
    assert not points.transfersEnabled()


def test_constructor_grants_admin_and_issuer(points: Any, admin: Any, issuer: Any) -> None:
    assert points.defaultAdmin() == admin
    assert points.owner() == admin
    assert points.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert points.hasRole(ISSUER_ROLE, admin)
    assert points.hasRole(ISSUER_ROLE, issuer)  # granted by the fixture


def test_constants_name_roles_and_multiplier_bounds(points: Any) -> None:
    assert points.ISSUER_ROLE() == ISSUER_ROLE
    assert points.REGISTRAR_ROLE() == REGISTRAR_ROLE
    assert points.BASE_MULTIPLIER_BPS() == BASE_BPS
    assert points.MAX_MULTIPLIER_BPS() == MAX_BPS


def test_supportsInterface_access_control_not_erc20(points: Any) -> None:
    assert points.supportsInterface(bytes.fromhex("01ffc9a7"))  # ERC-165
    assert points.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert points.supportsInterface(bytes.fromhex("31498786"))  # ...DefaultAdminRules
    assert not points.supportsInterface(bytes.fromhex("36372b07"))  # IERC20: OZ does not claim it


def test_multiplierBps_defaults_to_one(points: Any) -> None:
    assert [points.multiplierBps(tier) for tier in (0, 1, 2, 255)] == [BASE_BPS] * 4


# ---------------------------------------------------------------------------- credit


def test_credit_mints_base_points_at_default_multiplier(
    points: Any, issuer: Any, enrolled: list[Any]
) -> None:
    recipients, amounts = enrolled[:3], [100, 250, 1]
    rows = credits("2025-01 purchases", recipients, amounts)

    tx = points.credit(rows, sender=issuer)

    assert tx.events == [
        *(points.Transfer(ZERO_ADDRESS, m, a) for m, a in zip(recipients, amounts, strict=True)),
        points.BatchCredited(
            contentHash=content_hash(rows), issuer=issuer, count=3, total=351, skipped=0
        ),
    ]
    assert [points.balanceOf(m) for m in recipients] == amounts
    assert points.totalSupply() == 351
    assert points.batchApplied(issuer, content_hash(rows))


def test_credit_applies_tier_multiplier(
    points: Any, admin: Any, issuer: Any, enrolled: list[Any]
) -> None:
    points.setTierMultiplier(2, 15_000, sender=admin)
    tier0, tier2 = enrolled[0], enrolled[2]
    rows = credits("bonus", [tier0, tier2], [150, 150])

    tx = points.credit(rows, sender=issuer)

    assert tx.events == [
        points.Transfer(ZERO_ADDRESS, tier0, 150),
        points.Transfer(ZERO_ADDRESS, tier2, 225),
        points.BatchCredited(
            contentHash=content_hash(rows), issuer=issuer, count=2, total=375, skipped=0
        ),
    ]
    assert points.balanceOf(tier2) == 225


def test_credit_tiers_above_seven(
    points: Any, registry: Any, admin: Any, registrar: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """Tiers 0..7 are looked up once per batch, higher tiers on every row: both pay the same."""
    registry.setTier(enrolled[1], 200, sender=registrar)
    points.setTierMultiplier(200, 30_000, sender=admin)
    points.setTierMultiplier(3, 20_000, sender=admin)
    wallets = [enrolled[1], enrolled[3], enrolled[1], enrolled[3]]

    points.credit(credits("high tiers", wallets, [10, 10, 1, 1]), sender=issuer)

    assert points.balanceOf(enrolled[1]) == 33
    assert points.balanceOf(enrolled[3]) == 22


def test_credit_multiplier_read_per_batch(
    points: Any, admin: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """A multiplier changed between two batches applies to the second."""
    points.credit(credits("before", [enrolled[2]], [10]), sender=issuer)
    points.setTierMultiplier(2, 50_000, sender=admin)
    points.credit(credits("after", [enrolled[2]], [10]), sender=issuer)
    assert points.balanceOf(enrolled[2]) == 10 + 50


@pytest.mark.parametrize(
    ("bps", "amount", "credited"),
    [(15_000, 3, 4), (15_000, 1, 1), (3_333, 10, 3), (9_999, 10_001, 9_999), (MAX_BPS, 7, 700)],
)
def test_credit_rounds_down(
    points: Any,
    admin: Any,
    issuer: Any,
    enrolled: list[Any],
    bps: int,
    amount: int,
    credited: int,
) -> None:
    points.setTierMultiplier(3, bps, sender=admin)
    points.credit(credits("rounding", [enrolled[3]], [amount]), sender=issuer)
    assert points.balanceOf(enrolled[3]) == credited


def test_credit_largest_base_amount(
    points: Any, admin: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """The base amount is a uint64; at 100.00x it still mints exactly."""
    points.setTierMultiplier(3, MAX_BPS, sender=admin)
    points.credit(credits("largest", [enrolled[3]], [2**64 - 1]), sender=issuer)
    assert points.balanceOf(enrolled[3]) == (2**64 - 1) * 100


def test_credit_same_member_twice_in_batch(points: Any, issuer: Any, enrolled: list[Any]) -> None:
    member = enrolled[0]
    tx = points.credit(credits("two receipts", [member, member], [10, 5]), sender=issuer)
    assert tx.decode_logs(points.BatchCredited)[0].total == 15
    assert points.balanceOf(member) == 15


def test_credit_replayed_batch(points: Any, issuer: Any, holder: Any) -> None:
    rows = welcome_bonus(holder)
    with ape.reverts(points.BatchAlreadyApplied, issuer=issuer, contentHash=content_hash(rows)):
        points.credit(rows, sender=issuer)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_credit_replayed_batch_after_member_left(
    points: Any, registry: Any, issuer: Any, holder: Any
) -> None:
    """The batch is its content: the same rows are refused whatever became of the recipients."""
    registry.leave(sender=holder)
    rows = welcome_bonus(holder)
    with ape.reverts(points.BatchAlreadyApplied, issuer=issuer, contentHash=content_hash(rows)):
        points.credit(rows, sender=issuer)


def test_credit_same_rows_in_other_order_is_another_batch(
    points: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """The chain refuses the same content only: which event tags were paid is for the issuer's
    tool to read back from the calldata of its BatchCredited transactions (see the NatSpec)."""
    a, b = enrolled[:2]
    first = credit_rows([(a, 10, event_tag("e1")), (b, 20, event_tag("e2"))])
    reordered = credit_rows([(b, 20, event_tag("e2")), (a, 10, event_tag("e1"))])
    points.credit(first, sender=issuer)

    tx = points.credit(reordered, sender=issuer)

    assert tx.decode_logs(points.BatchCredited)[0].contentHash == content_hash(reordered)
    assert points.batchApplied(issuer, content_hash(first))
    assert points.batchApplied(issuer, content_hash(reordered))


def test_credit_same_content_by_another_issuer(
    points: Any, admin: Any, issuer: Any, outsider: Any, enrolled: list[Any]
) -> None:
    """No squatting: another issuer sending our rows first does not use up our batch."""
    points.grantRole(ISSUER_ROLE, outsider, sender=admin)
    rows = credits("shared", [enrolled[0]], [10])
    points.credit(rows, sender=outsider)
    assert not points.batchApplied(issuer, content_hash(rows))

    tx = points.credit(rows, sender=issuer)

    assert tx.decode_logs(points.BatchCredited)[0].issuer == issuer
    assert points.batchApplied(issuer, content_hash(rows))
    assert points.batchApplied(outsider, content_hash(rows))
    assert points.balanceOf(enrolled[0]) == 20


def test_credit_failed_batch_can_be_retried(
    points: Any, registry: Any, pauser: Any, issuer: Any, enrolled: list[Any]
) -> None:
    rows = credits("retry", enrolled[:2], [10, 10])
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.credit(rows, sender=issuer)
    assert not points.batchApplied(issuer, content_hash(rows))

    registry.unpause(sender=pauser)
    points.credit(rows, sender=issuer)
    assert points.batchApplied(issuer, content_hash(rows))


@pytest.mark.parametrize(
    "status", [Status.SUSPENDED, Status.REVOKED, Status.ERASED, Status.MOVED], ids=lambda s: s.name
)
def test_credit_skips_inactive_member(
    points: Any,
    registry: Any,
    registrar: Any,
    issuer: Any,
    enrolled: list[Any],
    status: Status,
) -> None:
    """A recipient that stopped being active while the batch was pending costs only its row."""
    inactive = end_membership(registry, registrar, enrolled[1], status)
    rows = credits("pending", enrolled[:3], [10, 20, 30])

    tx = points.credit(rows, sender=issuer)

    assert tx.events == [
        points.Transfer(ZERO_ADDRESS, enrolled[0], 10),
        points.CreditSkipped(
            member=inactive, eventTag=event_tag("pending#1"), amount=20, status=status
        ),
        points.Transfer(ZERO_ADDRESS, enrolled[2], 30),
        points.BatchCredited(
            contentHash=content_hash(rows), issuer=issuer, count=2, total=40, skipped=1
        ),
    ]
    assert points.balanceOf(inactive) == 0
    assert points.totalSupply() == 40


def test_credit_skips_member_who_left(
    points: Any, registry: Any, issuer: Any, enrolled: list[Any]
) -> None:
    registry.leave(sender=enrolled[0])
    tx = points.credit(credits("left", enrolled[:2], [10, 10]), sender=issuer)
    (skipped,) = tx.decode_logs(points.CreditSkipped)
    assert (skipped.member, skipped.status) == (enrolled[0], Status.REVOKED)
    assert points.balanceOf(enrolled[1]) == 10


def test_credit_skips_never_enrolled(
    points: Any, issuer: Any, enrolled: list[Any], outsider: Any
) -> None:
    tx = points.credit(credits("stranger", [enrolled[0], outsider], [10, 7]), sender=issuer)
    assert tx.decode_logs(points.CreditSkipped)[0].event_arguments == {
        "member": outsider,
        "eventTag": event_tag("stranger#1"),
        "amount": 7,
        "status": Status.NONE,
    }
    assert points.balanceOf(outsider) == 0
    assert points.balanceOf(enrolled[0]) == 10


def test_credit_skips_zero_address(points: Any, issuer: Any) -> None:
    rows = credits("nobody", [ZERO_ADDRESS], [10])
    tx = points.credit(rows, sender=issuer)
    assert tx.events == [
        points.CreditSkipped(
            member=ZERO_ADDRESS, eventTag=event_tag("nobody#0"), amount=10, status=Status.NONE
        ),
        points.BatchCredited(
            contentHash=content_hash(rows), issuer=issuer, count=0, total=0, skipped=1
        ),
    ]


def test_credit_every_row_skipped_still_applies_batch(
    points: Any, registry: Any, registrar: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """The tool learns the batch landed, and that it paid nothing, from the chain."""
    for wallet in enrolled[:2]:
        registry.suspend(wallet, sender=registrar)
    rows = credits("all frozen", enrolled[:2], [10, 10])

    tx = points.credit(rows, sender=issuer)

    assert len(tx.decode_logs(points.CreditSkipped)) == 2
    assert tx.decode_logs(points.BatchCredited)[0].event_arguments == {
        "contentHash": content_hash(rows),
        "issuer": issuer,
        "count": 0,
        "total": 0,
        "skipped": 2,
    }
    assert points.batchApplied(issuer, content_hash(rows))
    assert points.totalSupply() == 0
    with ape.reverts(points.BatchAlreadyApplied, issuer=issuer, contentHash=content_hash(rows)):
        points.credit(rows, sender=issuer)


def test_credit_rounded_to_zero_is_skipped(
    points: Any, admin: Any, issuer: Any, enrolled: list[Any]
) -> None:
    """A multiplier that rounds a base amount down to nothing skips the row, with its reason."""
    points.setTierMultiplier(1, 1, sender=admin)  # 0.01%: 9,999 base points give 0
    rows = credits("crumbs", [enrolled[1], enrolled[0]], [9_999, 5])

    tx = points.credit(rows, sender=issuer)

    assert tx.events == [
        points.CreditRoundedToZero(
            member=enrolled[1], eventTag=event_tag("crumbs#0"), amount=9_999, multiplierBps=1
        ),
        points.Transfer(ZERO_ADDRESS, enrolled[0], 5),
        points.BatchCredited(
            contentHash=content_hash(rows), issuer=issuer, count=1, total=5, skipped=1
        ),
    ]
    assert points.balanceOf(enrolled[1]) == 0
    points.credit(credits("crumbs, again", [enrolled[1]], [10_000]), sender=issuer)
    assert points.balanceOf(enrolled[1]) == 1


def test_credit_zero_amount(points: Any, issuer: Any, enrolled: list[Any]) -> None:
    rows = credits("zero", enrolled[:3], [10, 0, 10])
    with ape.reverts(points.ZeroAmount, row=1, member=enrolled[1]):
        points.credit(rows, sender=issuer)
    assert points.totalSupply() == 0
    assert not points.batchApplied(issuer, content_hash(rows))


def test_credit_zero_amount_to_inactive_member(points: Any, issuer: Any, outsider: Any) -> None:
    """A zero base amount is the sender's mistake whoever the recipient is: not a skip."""
    with ape.reverts(points.ZeroAmount, row=0, member=outsider):
        points.credit(credits("zero", [outsider], [0]), sender=issuer)


@pytest.mark.parametrize("length", [0, 1, 43, 45, 87, 89], ids=lambda n: f"{n}-bytes")
def test_credit_malformed_rows(points: Any, issuer: Any, enrolled: list[Any], length: int) -> None:
    rows = (credits("shape", enrolled[:3], [1, 2, 3]) + b"\x01")[:length]
    with ape.reverts(points.MalformedRows, length=length):
        points.credit(rows, sender=issuer)


def test_credit_reads_rows_as_packed(points: Any, issuer: Any, enrolled: list[Any]) -> None:
    """Byte for byte: wallet, 8-byte big-endian amount, 16-byte tag, no padding."""
    wallet = bytes.fromhex(enrolled[0].address[2:])
    rows = wallet + (0x0102).to_bytes(8, "big") + b"\xee" * 16
    assert len(rows) == 44
    points.credit(rows, sender=issuer)
    assert points.balanceOf(enrolled[0]) == 0x0102


def test_credit_when_registry_paused(
    points: Any, issuer: Any, enrolled: list[Any], registry_paused: None
) -> None:
    with ape.reverts(points.EnforcedPause):
        points.credit(credits("paused", [enrolled[0]], [10]), sender=issuer)


def test_credit_by_outsider(points: Any, outsider: Any, enrolled: list[Any]) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=outsider, neededRole=ISSUER_ROLE
    ):
        points.credit(credits("forged", [enrolled[0]], [10]), sender=outsider)


def test_credit_by_registry_registrar(points: Any, registrar: Any, enrolled: list[Any]) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=registrar, neededRole=ISSUER_ROLE
    ):
        points.credit(credits("forged", [enrolled[0]], [10]), sender=registrar)


def test_batchApplied_unknown_batch(points: Any, issuer: Any) -> None:
    assert not points.batchApplied(issuer, b"\x00" * 32)


# ---------------------------------------------------------------------------- redeem


def test_redeem_burns_cost(points: Any, holder: Any, catalogue: None) -> None:
    tx = points.redeem(REWARD, sender=holder)

    assert tx.events == [
        points.Transfer(holder, ZERO_ADDRESS, REWARD_COST),
        points.Redeemed(member=holder, rewardId=REWARD, cost=REWARD_COST),
    ]
    assert points.balanceOf(holder) == OPENING_BALANCE - REWARD_COST
    assert points.totalSupply() == OPENING_BALANCE - REWARD_COST


def test_redeem_whole_balance(points: Any, admin: Any, holder: Any) -> None:
    points.setReward(7, OPENING_BALANCE, sender=admin)
    points.redeem(7, sender=holder)
    assert points.balanceOf(holder) == 0
    assert points.totalSupply() == 0


def test_redeem_unknown_reward(points: Any, holder: Any, catalogue: None) -> None:
    with ape.reverts(points.UnknownReward, rewardId=2):
        points.redeem(2, sender=holder)


def test_redeem_withdrawn_reward(points: Any, admin: Any, holder: Any, catalogue: None) -> None:
    points.setReward(REWARD, 0, sender=admin)
    with ape.reverts(points.UnknownReward, rewardId=REWARD):
        points.redeem(REWARD, sender=holder)


def test_redeem_insufficient_balance(points: Any, admin: Any, holder: Any, catalogue: None) -> None:
    points.setReward(2, OPENING_BALANCE + 1, sender=admin)
    with ape.reverts(
        points.ERC20InsufficientBalance,
        sender=holder,
        balance=OPENING_BALANCE,
        needed=OPENING_BALANCE + 1,
    ):
        points.redeem(2, sender=holder)


@pytest.mark.parametrize(
    "status", [Status.SUSPENDED, Status.REVOKED, Status.ERASED, Status.MOVED], ids=lambda s: s.name
)
def test_redeem_inactive_member(
    points: Any, registry: Any, registrar: Any, holder: Any, catalogue: None, status: Status
) -> None:
    end_membership(registry, registrar, holder, status)
    with ape.reverts(points.NotActiveMember, member=holder, status=status):
        points.redeem(REWARD, sender=holder)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_redeem_by_non_member(points: Any, outsider: Any, catalogue: None) -> None:
    with ape.reverts(points.NotActiveMember, member=outsider, status=Status.NONE):
        points.redeem(REWARD, sender=outsider)


def test_redeem_when_registry_paused(
    points: Any, holder: Any, catalogue: None, registry_paused: None
) -> None:
    with ape.reverts(points.EnforcedPause):
        points.redeem(REWARD, sender=holder)


# ---------------------------------------------------------------------------- redeemBySig

REDEEM_REQUEST_TYPES = {
    "RedeemRequest": [
        {"name": "member", "type": "address"},
        {"name": "rewardId", "type": "uint256"},
        {"name": "cost", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
# secp256k1 group order: a signature (r, s) and (r, n - s) recover the same key.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def points_domain(points: Any, chain: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "MemberLedger LoyaltyPoints",
        "version": "1",
        "chainId": chain.chain_id,
        "verifyingContract": points.address,
        **overrides,
    }


def sign_request(signer: Any, domain: dict[str, Any], request: dict[str, Any]) -> bytes:
    signed = Account.sign_typed_data(signer.private_key, domain, REDEEM_REQUEST_TYPES, request)
    return bytes(signed.signature)


@pytest.fixture
def redemption(holder: Any, catalogue: None, chain: Any) -> dict[str, Any]:
    """The holder asks, by signature, for reward REWARD at the price shown, valid for an hour."""
    return {
        "member": holder.address,
        "rewardId": REWARD,
        "cost": REWARD_COST,
        "nonce": 0,
        "deadline": chain.blocks.head.timestamp + 3600,
    }


@pytest.fixture
def domain(points: Any, chain: Any) -> dict[str, Any]:
    return points_domain(points, chain)


def test_eip712Domain_matches_signing_domain(points: Any, chain: Any) -> None:
    domain = points.eip712Domain()
    assert (domain.name, domain.version) == ("MemberLedger LoyaltyPoints", "1")
    assert domain.chainId == chain.chain_id
    assert domain.verifyingContract == points.address
    assert points.REDEEM_REQUEST_TYPEHASH() == keccak(
        text="RedeemRequest(address member,uint256 rewardId,uint256 cost,uint256 nonce,"
        "uint256 deadline)"
    )


def test_redeemRequestDigest_is_eip712_hash(
    points: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    signed = Account.sign_typed_data(holder.private_key, domain, REDEEM_REQUEST_TYPES, redemption)
    assert points.redeemRequestDigest(redemption) == signed.message_hash


def test_redeemRequestDigest_binds_every_field(points: Any, redemption: dict[str, Any]) -> None:
    digest = points.redeemRequestDigest(redemption)
    for field, value in [
        ("member", ZERO_ADDRESS),
        ("rewardId", 2),
        ("cost", REWARD_COST - 1),
        ("nonce", 1),
        ("deadline", redemption["deadline"] + 1),
    ]:
        assert points.redeemRequestDigest({**redemption, field: value}) != digest


def test_redeemBySig_relayed_by_outsider(
    points: Any, outsider: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    tx = points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)

    assert tx.events == [
        points.Transfer(holder, ZERO_ADDRESS, REWARD_COST),
        points.Redeemed(member=holder, rewardId=REWARD, cost=REWARD_COST),
    ]
    assert points.balanceOf(holder) == OPENING_BALANCE - REWARD_COST
    assert points.balanceOf(outsider) == 0
    assert points.nonces(holder) == 1


def test_redeemBySig_at_deadline(
    points: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    chain: Any,
) -> None:
    chain.pending_timestamp = redemption["deadline"]
    tx = points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)
    assert int(chain.blocks[tx.block_number].timestamp) == redemption["deadline"]
    assert points.balanceOf(holder) == OPENING_BALANCE - REWARD_COST


def test_redeemBySig_expired_deadline(
    points: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    chain: Any,
) -> None:
    redemption["deadline"] = chain.blocks.head.timestamp - 1
    with ape.reverts(points.DeadlineExpired, deadline=redemption["deadline"]):
        points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)


def test_redeemBySig_replayed(
    points: Any, outsider: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign_request(holder, domain, redemption)
    points.redeemBySig(redemption, signature, sender=outsider)
    with ape.reverts(points.InvalidAccountNonce, account=holder, currentNonce=1):
        points.redeemBySig(redemption, signature, sender=outsider)
    assert points.balanceOf(holder) == OPENING_BALANCE - REWARD_COST


def test_redeemBySig_future_nonce(
    points: Any, outsider: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    redemption["nonce"] = 1
    with ape.reverts(points.InvalidAccountNonce, account=holder, currentNonce=0):
        points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)


def test_redeemBySig_wrong_signer(
    points: Any,
    outsider: Any,
    holder: Any,
    enrolled: list[Any],
    redemption: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    signature = sign_request(enrolled[1], domain, redemption)
    with ape.reverts(points.InvalidSignature, member=holder):
        points.redeemBySig(redemption, signature, sender=outsider)


@pytest.mark.parametrize(("field", "value"), [("rewardId", 2), ("cost", 1), ("deadline", 2**40)])
def test_redeemBySig_tampered_request(
    points: Any,
    admin: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    field: str,
    value: int,
) -> None:
    """A relayer cannot change what the member signed, not even a price the catalogue offers."""
    points.setReward(2, 1, sender=admin)
    points.setReward(REWARD, 1, sender=admin)
    signature = sign_request(holder, domain, redemption)
    with ape.reverts(points.InvalidSignature, member=holder):
        points.redeemBySig({**redemption, field: value}, signature, sender=outsider)


@pytest.mark.parametrize(
    "other",
    [
        {"name": "MemberLedger MembershipRegistry"},
        {"version": "2"},
        {"chainId": 1},
        {"verifyingContract": "0x" + "11" * 20},
    ],
    ids=["registry-name", "version", "chain-id", "contract"],
)
def test_redeemBySig_other_domain(
    points: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    chain: Any,
    other: dict[str, Any],
) -> None:
    signature = sign_request(holder, points_domain(points, chain, **other), redemption)
    with ape.reverts(points.InvalidSignature, member=holder):
        points.redeemBySig(redemption, signature, sender=outsider)


def test_redeemBySig_high_s_signature(
    points: Any, outsider: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign_request(holder, domain, redemption)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with ape.reverts(points.InvalidSignature, member=holder):
        points.redeemBySig(redemption, malleated, sender=outsider)
    assert points.nonces(holder) == 0


@pytest.mark.parametrize("length", [0, 64, 66], ids=lambda n: f"{n}-bytes")
def test_redeemBySig_malformed_signature(
    points: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    length: int,
) -> None:
    signature = (sign_request(holder, domain, redemption) + b"\x00")[:length]
    with ape.reverts(points.InvalidSignature, member=holder):
        points.redeemBySig(redemption, signature, sender=outsider)


@pytest.mark.parametrize("now", [REWARD_COST + 15, REWARD_COST - 10], ids=["raised", "lowered"])
def test_redeemBySig_cost_changed(
    points: Any,
    admin: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    now: int,
) -> None:
    """The member pays the price they saw or nothing: the catalogue changed after signing."""
    signature = sign_request(holder, domain, redemption)
    points.setReward(REWARD, now, sender=admin)
    with ape.reverts(points.RewardCostChanged, rewardId=REWARD, expected=REWARD_COST, actual=now):
        points.redeemBySig(redemption, signature, sender=outsider)
    assert points.balanceOf(holder) == OPENING_BALANCE
    assert points.nonces(holder) == 0  # the member can sign again at the new price


def test_redeemBySig_reward_withdrawn(
    points: Any,
    admin: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    signature = sign_request(holder, domain, redemption)
    points.setReward(REWARD, 0, sender=admin)
    with ape.reverts(points.UnknownReward, rewardId=REWARD):
        points.redeemBySig(redemption, signature, sender=outsider)


def test_redeemBySig_insufficient_balance(
    points: Any,
    admin: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    points.setReward(2, OPENING_BALANCE + 1, sender=admin)
    redemption.update(rewardId=2, cost=OPENING_BALANCE + 1)
    with ape.reverts(
        points.ERC20InsufficientBalance,
        sender=holder,
        balance=OPENING_BALANCE,
        needed=OPENING_BALANCE + 1,
    ):
        points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)


@pytest.mark.parametrize(
    "status", [Status.SUSPENDED, Status.REVOKED, Status.ERASED, Status.MOVED], ids=lambda s: s.name
)
def test_redeemBySig_inactive_member(
    points: Any,
    registry: Any,
    registrar: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
    status: Status,
) -> None:
    redemption["deadline"] = 2**40  # a move takes days
    signature = sign_request(holder, domain, redemption)
    end_membership(registry, registrar, holder, status)
    with ape.reverts(points.NotActiveMember, member=holder, status=status):
        points.redeemBySig(redemption, signature, sender=outsider)


def test_redeemBySig_not_a_member(
    points: Any, outsider: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    redemption["member"] = outsider.address
    with ape.reverts(points.NotActiveMember, member=outsider, status=Status.NONE):
        points.redeemBySig(redemption, sign_request(outsider, domain, redemption), sender=outsider)


def test_redeemBySig_when_registry_paused(
    points: Any,
    registry: Any,
    pauser: Any,
    outsider: Any,
    holder: Any,
    redemption: dict[str, Any],
    domain: dict[str, Any],
) -> None:
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.redeemBySig(redemption, sign_request(holder, domain, redemption), sender=outsider)
    assert points.nonces(holder) == 0


def test_redeemBySig_by_contract_wallet(
    points: Any,
    registry: Any,
    admin: Any,
    registrar: Any,
    issuer: Any,
    outsider: Any,
    members: list[Any],
    owner_wallet: Any,
    catalogue: None,
    domain: dict[str, Any],
    chain: Any,
) -> None:
    """A member whose wallet is a contract (ERC-1271) redeems with its owner's signature."""
    owner = members[0]
    wallet = owner_wallet.deploy(owner, sender=admin)
    registry.enroll(wallet, keccak(b"contract wallet")[:20], 0, 0, sender=registrar)
    points.credit(credits("contract wallet", [wallet], [REWARD_COST]), sender=issuer)
    request = {
        "member": wallet.address,
        "rewardId": REWARD,
        "cost": REWARD_COST,
        "nonce": 0,
        "deadline": chain.blocks.head.timestamp + 3600,
    }

    with ape.reverts(points.InvalidSignature, member=wallet):  # someone else's key
        points.redeemBySig(request, sign_request(members[1], domain, request), sender=outsider)
    tx = points.redeemBySig(request, sign_request(owner, domain, request), sender=outsider)

    assert tx.decode_logs(points.Redeemed)[0].member == wallet.address
    assert points.balanceOf(wallet) == 0
    assert points.nonces(wallet) == 1


# ---------------------------------------------------------------------------- increaseNonce


def test_increaseNonce_cancels_signed_redemption(
    points: Any, outsider: Any, holder: Any, redemption: dict[str, Any], domain: dict[str, Any]
) -> None:
    signature = sign_request(holder, domain, redemption)

    tx = points.increaseNonce(sender=holder)

    assert tx.events == [points.NonceIncreased(member=holder, newNonce=1)]
    with ape.reverts(points.InvalidAccountNonce, account=holder, currentNonce=1):
        points.redeemBySig(redemption, signature, sender=outsider)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_increaseNonce_counts_up(points: Any, outsider: Any) -> None:
    points.increaseNonce(sender=outsider)
    tx = points.increaseNonce(sender=outsider)
    assert tx.events == [points.NonceIncreased(member=outsider, newNonce=2)]


def test_increaseNonce_when_registry_paused(
    points: Any, registry: Any, pauser: Any, holder: Any
) -> None:
    """Cancelling what one signed is always possible, before the pause ends."""
    registry.pause(sender=pauser)
    points.increaseNonce(sender=holder)
    assert points.nonces(holder) == 1


def test_increaseNonce_is_per_contract(points: Any, registry: Any, holder: Any) -> None:
    """Consent signatures (registry) and redemptions (points) count their nonces apart."""
    points.increaseNonce(sender=holder)
    assert (points.nonces(holder), registry.nonces(holder)) == (1, 0)
    registry.increaseNonce(sender=holder)
    registry.increaseNonce(sender=holder)
    assert (points.nonces(holder), registry.nonces(holder)) == (1, 2)


# ---------------------------------------------------------------------------- carryOver


def test_carryOver_moves_whole_balance(
    points: Any, registry: Any, registrar: Any, outsider: Any, holder: Any
) -> None:
    """Transfers are off (the default): the points follow the membership all the same."""
    new = new_wallet(holder)
    move(registry, registrar, holder, new)

    tx = points.carryOver(holder, sender=outsider)  # anyone may carry them over

    assert tx.events == [
        points.Transfer(holder, new, OPENING_BALANCE),
        points.PointsCarriedOver(old=holder, newWallet=new, amount=OPENING_BALANCE),
    ]
    assert points.balanceOf(holder) == 0
    assert points.balanceOf(new) == OPENING_BALANCE
    assert points.totalSupply() == OPENING_BALANCE


def test_carryOver_returns_amount(points: Any, registry: Any, registrar: Any, holder: Any) -> None:
    move(registry, registrar, holder, new_wallet(holder))
    assert points.carryOver.call(holder) == OPENING_BALANCE


def test_carryOver_to_suspended_member(
    points: Any, registry: Any, registrar: Any, outsider: Any, holder: Any
) -> None:
    """A suspended membership moves suspended; its points are frozen at the new wallet."""
    registry.suspend(holder, sender=registrar)
    move(registry, registrar, holder, new_wallet(holder))
    points.carryOver(holder, sender=outsider)
    assert points.balanceOf(new_wallet(holder)) == OPENING_BALANCE


def test_carryOver_then_only_new_wallet_earns(
    points: Any, registry: Any, registrar: Any, issuer: Any, holder: Any
) -> None:
    new = new_wallet(holder)
    move(registry, registrar, holder, new)
    points.carryOver(holder, sender=issuer)

    tx = points.credit(credits("after the move", [new, holder], [5, 5]), sender=issuer)

    assert [log.status for log in tx.decode_logs(points.CreditSkipped)] == [Status.MOVED]
    assert points.balanceOf(new) == OPENING_BALANCE + 5
    assert points.balanceOf(holder) == 0


def test_carryOver_zero_balance_is_quiet(
    points: Any, registry: Any, registrar: Any, enrolled: list[Any]
) -> None:
    move(registry, registrar, enrolled[1], new_wallet(enrolled[1]))
    assert points.carryOver.call(enrolled[1]) == 0
    assert points.carryOver(enrolled[1], sender=registrar).logs == []


def test_carryOver_twice_is_quiet(points: Any, registry: Any, registrar: Any, holder: Any) -> None:
    move(registry, registrar, holder, new_wallet(holder))
    points.carryOver(holder, sender=registrar)
    assert points.carryOver(holder, sender=registrar).logs == []
    assert points.balanceOf(new_wallet(holder)) == OPENING_BALANCE


@pytest.mark.parametrize(
    "status", [Status.ACTIVE, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_carryOver_not_moved(
    points: Any, registry: Any, registrar: Any, holder: Any, status: Status
) -> None:
    if status != Status.ACTIVE:
        end_membership(registry, registrar, holder, status)
    with ape.reverts(points.NotMoved, old=holder):
        points.carryOver(holder, sender=registrar)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_carryOver_while_move_pending(
    points: Any, registry: Any, registrar: Any, holder: Any
) -> None:
    registry.proposeMove(holder, new_wallet(holder), sender=registrar)
    with ape.reverts(points.NotMoved, old=holder):
        points.carryOver(holder, sender=registrar)


def test_carryOver_when_registry_paused(
    points: Any, registry: Any, registrar: Any, pauser: Any, holder: Any
) -> None:
    move(registry, registrar, holder, new_wallet(holder))
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.carryOver(holder, sender=registrar)
    assert points.balanceOf(holder) == OPENING_BALANCE


# ---------------------------------------------------------------------------- forfeit


@pytest.mark.parametrize("status", [Status.REVOKED, Status.ERASED], ids=lambda s: s.name)
def test_forfeit_burns_whole_balance(
    points: Any, registry: Any, registrar: Any, holder: Any, status: Status
) -> None:
    end_membership(registry, registrar, holder, status)
    assert points.forfeit.call(holder, sender=registrar) == OPENING_BALANCE

    tx = points.forfeit(holder, sender=registrar)

    assert tx.events == [
        points.Transfer(holder, ZERO_ADDRESS, OPENING_BALANCE),
        points.PointsForfeited(member=holder, amount=OPENING_BALANCE, by=registrar),
    ]
    assert points.balanceOf(holder) == 0
    assert points.totalSupply() == 0


def test_forfeit_after_member_left(points: Any, registry: Any, registrar: Any, holder: Any) -> None:
    registry.leave(sender=holder)
    tx = points.forfeit(holder, sender=registrar)
    assert tx.decode_logs(points.PointsForfeited)[0].amount == OPENING_BALANCE
    assert points.balanceOf(holder) == 0


def test_forfeit_by_registry_admin(
    points: Any, registry: Any, admin: Any, registrar: Any, holder: Any
) -> None:
    registry.revoke(holder, sender=registrar)
    tx = points.forfeit(holder, sender=admin)  # the registry's admin is also its registrar
    assert tx.decode_logs(points.PointsForfeited)[0].by == admin


def test_forfeit_zero_balance_is_quiet(
    points: Any, registry: Any, registrar: Any, enrolled: list[Any]
) -> None:
    registry.revoke(enrolled[1], sender=registrar)
    assert points.forfeit.call(enrolled[1], sender=registrar) == 0
    tx = points.forfeit(enrolled[1], sender=registrar)
    assert tx.logs == []


@pytest.mark.parametrize(
    "status", [Status.ACTIVE, Status.SUSPENDED, Status.MOVED], ids=lambda s: s.name
)
def test_forfeit_current_member(
    points: Any, registry: Any, registrar: Any, holder: Any, status: Status
) -> None:
    end_membership(registry, registrar, holder, status)
    with ape.reverts(points.NotForfeitable, member=holder, status=status):
        points.forfeit(holder, sender=registrar)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_forfeit_never_enrolled(points: Any, registrar: Any, outsider: Any) -> None:
    with ape.reverts(points.NotForfeitable, member=outsider, status=Status.NONE):
        points.forfeit(outsider, sender=registrar)


def test_forfeit_by_issuer(
    points: Any, registry: Any, registrar: Any, issuer: Any, holder: Any
) -> None:
    registry.revoke(holder, sender=registrar)
    with ape.reverts(points.NotRegistrar, account=issuer):
        points.forfeit(holder, sender=issuer)


def test_forfeit_needs_the_registry_role_not_the_token_role(
    points: Any, registry: Any, admin: Any, registrar: Any, outsider: Any, holder: Any
) -> None:
    points.grantRole(REGISTRAR_ROLE, outsider, sender=admin)  # on the token: not enough
    registry.revoke(holder, sender=registrar)
    with ape.reverts(points.NotRegistrar, account=outsider):
        points.forfeit(holder, sender=outsider)


def test_forfeit_when_registry_paused(
    points: Any, registry: Any, registrar: Any, pauser: Any, holder: Any
) -> None:
    registry.revoke(holder, sender=registrar)
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.forfeit(holder, sender=registrar)


# ---------------------------------------------------------------------------- setTierMultiplier


def test_setTierMultiplier_sets_bps(points: Any, admin: Any) -> None:
    tx = points.setTierMultiplier(2, 15_000, sender=admin)
    assert tx.events == [points.TierMultiplierSet(tier=2, oldBps=BASE_BPS, bps=15_000)]
    assert points.multiplierBps(2) == 15_000

    tx = points.setTierMultiplier(2, 12_500, sender=admin)
    assert tx.events == [points.TierMultiplierSet(tier=2, oldBps=15_000, bps=12_500)]


@pytest.mark.parametrize("bps", [1, MAX_BPS])
def test_setTierMultiplier_bounds_are_allowed(points: Any, admin: Any, bps: int) -> None:
    points.setTierMultiplier(4, bps, sender=admin)
    assert points.multiplierBps(4) == bps


def test_setTierMultiplier_same_value_is_quiet(points: Any, admin: Any) -> None:
    assert points.setTierMultiplier(1, BASE_BPS, sender=admin).logs == []  # unset reads 1.00x
    points.setTierMultiplier(1, 20_000, sender=admin)
    assert points.setTierMultiplier(1, 20_000, sender=admin).logs == []


@pytest.mark.parametrize("bps", [0, MAX_BPS + 1, 2**32 - 1])
def test_setTierMultiplier_out_of_range(points: Any, admin: Any, bps: int) -> None:
    with ape.reverts(points.InvalidMultiplier, bps=bps, max=MAX_BPS):
        points.setTierMultiplier(2, bps, sender=admin)


def test_setTierMultiplier_when_registry_paused(
    points: Any, admin: Any, registry_paused: None
) -> None:
    with ape.reverts(points.EnforcedPause):
        points.setTierMultiplier(2, 15_000, sender=admin)


def test_setTierMultiplier_by_issuer(points: Any, issuer: Any) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=issuer, neededRole=DEFAULT_ADMIN_ROLE
    ):
        points.setTierMultiplier(2, 15_000, sender=issuer)


# ---------------------------------------------------------------------------- setReward


def test_setReward_lists_reward(points: Any, admin: Any) -> None:
    tx = points.setReward(REWARD, REWARD_COST, sender=admin)
    assert tx.events == [points.RewardSet(rewardId=REWARD, oldCost=0, cost=REWARD_COST)]
    assert points.rewardCost(REWARD) == REWARD_COST


def test_setReward_reprices_reward(points: Any, admin: Any, catalogue: None) -> None:
    tx = points.setReward(REWARD, 55, sender=admin)
    assert tx.events == [points.RewardSet(rewardId=REWARD, oldCost=REWARD_COST, cost=55)]
    assert points.rewardCost(REWARD) == 55


def test_setReward_zero_withdraws_reward(points: Any, admin: Any, catalogue: None) -> None:
    tx = points.setReward(REWARD, 0, sender=admin)
    assert tx.events == [points.RewardSet(rewardId=REWARD, oldCost=REWARD_COST, cost=0)]
    assert points.rewardCost(REWARD) == 0


def test_setReward_same_cost_is_quiet(points: Any, admin: Any, catalogue: None) -> None:
    assert points.setReward(REWARD, REWARD_COST, sender=admin).logs == []
    assert points.setReward(99, 0, sender=admin).logs == []  # withdrawing what is not listed


def test_setReward_when_registry_paused(points: Any, admin: Any, registry_paused: None) -> None:
    with ape.reverts(points.EnforcedPause):
        points.setReward(REWARD, REWARD_COST, sender=admin)


def test_setReward_by_outsider(points: Any, outsider: Any) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=outsider, neededRole=DEFAULT_ADMIN_ROLE
    ):
        points.setReward(REWARD, REWARD_COST, sender=outsider)


# ---------------------------------------------------------------------------- setTransfersEnabled


def test_setTransfersEnabled_switches_on_and_off(points: Any, admin: Any) -> None:
    tx = points.setTransfersEnabled(True, sender=admin)
    assert tx.events == [points.TransfersEnabledSet(enabled=True)]
    assert points.transfersEnabled()

    tx = points.setTransfersEnabled(False, sender=admin)
    assert tx.events == [points.TransfersEnabledSet(enabled=False)]
    assert not points.transfersEnabled()


def test_setTransfersEnabled_same_setting_is_quiet(points: Any, admin: Any) -> None:
    assert points.setTransfersEnabled(False, sender=admin).logs == []
    points.setTransfersEnabled(True, sender=admin)
    assert points.setTransfersEnabled(True, sender=admin).logs == []


def test_setTransfersEnabled_when_registry_paused(
    points: Any, admin: Any, registry_paused: None
) -> None:
    with ape.reverts(points.EnforcedPause):
        points.setTransfersEnabled(True, sender=admin)


def test_setTransfersEnabled_by_issuer(points: Any, issuer: Any) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=issuer, neededRole=DEFAULT_ADMIN_ROLE
    ):
        points.setTransfersEnabled(True, sender=issuer)


# ---------------------------------------------------------------------------- transfer


def test_transfer_disabled(points: Any, holder: Any, enrolled: list[Any]) -> None:
    with ape.reverts(points.TransfersDisabled):
        points.transfer(enrolled[1], 10, sender=holder)


def test_transfer_between_active_members(
    points: Any, holder: Any, enrolled: list[Any], transfers_on: None
) -> None:
    tx = points.transfer(enrolled[1], 30, sender=holder)

    assert tx.events == [points.Transfer(holder, enrolled[1], 30)]
    assert points.balanceOf(holder) == OPENING_BALANCE - 30
    assert points.balanceOf(enrolled[1]) == 30
    assert points.totalSupply() == OPENING_BALANCE


def test_transfer_to_non_member(
    points: Any, holder: Any, outsider: Any, transfers_on: None
) -> None:
    with ape.reverts(points.NotActiveMember, member=outsider, status=Status.NONE):
        points.transfer(outsider, 10, sender=holder)


@pytest.mark.parametrize(
    "status", [Status.SUSPENDED, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_transfer_to_inactive_member(
    points: Any,
    registry: Any,
    registrar: Any,
    holder: Any,
    enrolled: list[Any],
    transfers_on: None,
    status: Status,
) -> None:
    end_membership(registry, registrar, enrolled[1], status)
    with ape.reverts(points.NotActiveMember, member=enrolled[1], status=status):
        points.transfer(enrolled[1], 10, sender=holder)


@pytest.mark.parametrize(
    "status", [Status.SUSPENDED, Status.REVOKED, Status.ERASED], ids=lambda s: s.name
)
def test_transfer_from_inactive_member(
    points: Any,
    registry: Any,
    registrar: Any,
    holder: Any,
    enrolled: list[Any],
    transfers_on: None,
    status: Status,
) -> None:
    end_membership(registry, registrar, holder, status)
    with ape.reverts(points.NotActiveMember, member=holder, status=status):
        points.transfer(enrolled[1], 10, sender=holder)
    assert points.balanceOf(holder) == OPENING_BALANCE


def test_transfer_insufficient_balance(
    points: Any, holder: Any, enrolled: list[Any], transfers_on: None
) -> None:
    with ape.reverts(
        points.ERC20InsufficientBalance,
        sender=holder,
        balance=OPENING_BALANCE,
        needed=OPENING_BALANCE + 1,
    ):
        points.transfer(enrolled[1], OPENING_BALANCE + 1, sender=holder)


def test_transfer_to_zero_address(points: Any, holder: Any, transfers_on: None) -> None:
    with ape.reverts(points.ERC20InvalidReceiver, receiver=ZERO_ADDRESS):
        points.transfer(ZERO_ADDRESS, 10, sender=holder)


def test_transfer_when_registry_paused(
    points: Any, registry: Any, pauser: Any, holder: Any, enrolled: list[Any], transfers_on: None
) -> None:
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.transfer(enrolled[1], 10, sender=holder)


# ------------------------------------------------------------------- approve, transferFrom


def test_approve_sets_allowance(points: Any, holder: Any, outsider: Any) -> None:
    tx = points.approve(outsider, 25, sender=holder)
    assert tx.events == [points.Approval(holder, outsider, 25)]
    assert points.allowance(holder, outsider) == 25


def test_approve_when_registry_paused(
    points: Any, holder: Any, outsider: Any, registry_paused: None
) -> None:
    with ape.reverts(points.EnforcedPause):
        points.approve(outsider, 25, sender=holder)
    assert points.allowance(holder, outsider) == 0


def test_transferFrom_disabled(
    points: Any, holder: Any, outsider: Any, enrolled: list[Any]
) -> None:
    points.approve(outsider, 25, sender=holder)
    with ape.reverts(points.TransfersDisabled):
        points.transferFrom(holder, enrolled[1], 10, sender=outsider)


def test_transferFrom_between_active_members(
    points: Any, holder: Any, outsider: Any, enrolled: list[Any], transfers_on: None
) -> None:
    points.approve(outsider, 25, sender=holder)  # the spender need not be a member

    tx = points.transferFrom(holder, enrolled[1], 10, sender=outsider)

    assert tx.events == [points.Transfer(holder, enrolled[1], 10)]
    assert points.balanceOf(enrolled[1]) == 10
    assert points.allowance(holder, outsider) == 15


def test_transferFrom_to_non_member(
    points: Any, holder: Any, outsider: Any, transfers_on: None
) -> None:
    points.approve(outsider, 25, sender=holder)
    with ape.reverts(points.NotActiveMember, member=outsider, status=Status.NONE):
        points.transferFrom(holder, outsider, 10, sender=outsider)


def test_transferFrom_from_suspended_member(
    points: Any,
    registry: Any,
    registrar: Any,
    holder: Any,
    outsider: Any,
    enrolled: list[Any],
    transfers_on: None,
) -> None:
    points.approve(outsider, 25, sender=holder)
    registry.suspend(holder, sender=registrar)
    with ape.reverts(points.NotActiveMember, member=holder, status=Status.SUSPENDED):
        points.transferFrom(holder, enrolled[1], 10, sender=outsider)


def test_transferFrom_insufficient_allowance(
    points: Any, holder: Any, outsider: Any, enrolled: list[Any], transfers_on: None
) -> None:
    points.approve(outsider, 5, sender=holder)
    with ape.reverts(points.ERC20InsufficientAllowance, spender=outsider, allowance=5, needed=10):
        points.transferFrom(holder, enrolled[1], 10, sender=outsider)


def test_transferFrom_when_registry_paused(
    points: Any,
    registry: Any,
    pauser: Any,
    holder: Any,
    outsider: Any,
    enrolled: list[Any],
    transfers_on: None,
) -> None:
    points.approve(outsider, 25, sender=holder)
    registry.pause(sender=pauser)
    with ape.reverts(points.EnforcedPause):
        points.transferFrom(holder, enrolled[1], 10, sender=outsider)


# ---------------------------------------------------------------------------- roles


def test_grantRole_makes_an_issuer(
    points: Any, admin: Any, outsider: Any, enrolled: list[Any]
) -> None:
    tx = points.grantRole(ISSUER_ROLE, outsider, sender=admin)
    assert tx.events == [points.RoleGranted(role=ISSUER_ROLE, account=outsider, sender=admin)]
    points.credit(credits("new issuer", [enrolled[0]], [10]), sender=outsider)
    assert points.balanceOf(enrolled[0]) == 10


def test_grantRole_by_issuer(points: Any, issuer: Any, outsider: Any) -> None:
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=issuer, neededRole=DEFAULT_ADMIN_ROLE
    ):
        points.grantRole(ISSUER_ROLE, outsider, sender=issuer)


def test_revokeRole_removes_an_issuer(
    points: Any, admin: Any, issuer: Any, enrolled: list[Any]
) -> None:
    tx = points.revokeRole(ISSUER_ROLE, issuer, sender=admin)
    assert tx.events == [points.RoleRevoked(role=ISSUER_ROLE, account=issuer, sender=admin)]
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=issuer, neededRole=ISSUER_ROLE
    ):
        points.credit(credits("late", [enrolled[0]], [10]), sender=issuer)


def test_renounceRole_issuer_by_deployer(points: Any, admin: Any, enrolled: list[Any]) -> None:
    """The deploy script hands the issuer role to another account and gives up its own."""
    tx = points.renounceRole(ISSUER_ROLE, admin, sender=admin)
    assert tx.events == [points.RoleRevoked(role=ISSUER_ROLE, account=admin, sender=admin)]
    assert not points.hasRole(ISSUER_ROLE, admin)
    assert points.hasRole(DEFAULT_ADMIN_ROLE, admin)
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=admin, neededRole=ISSUER_ROLE
    ):
        points.credit(credits("after renouncing", [enrolled[0]], [10]), sender=admin)


def test_acceptDefaultAdminTransfer_hands_over_settings(
    points: Any, admin: Any, outsider: Any, chain: Any
) -> None:
    tx = points.beginDefaultAdminTransfer(outsider, sender=admin)
    schedule = int(chain.blocks[tx.block_number].timestamp)
    assert tx.events == [
        points.DefaultAdminTransferScheduled(newAdmin=outsider, acceptSchedule=schedule)
    ]
    chain.pending_timestamp = max(chain.pending_timestamp, schedule + 1)

    points.acceptDefaultAdminTransfer(sender=outsider)

    assert points.defaultAdmin() == outsider
    points.setReward(REWARD, REWARD_COST, sender=outsider)
    with ape.reverts(
        points.AccessControlUnauthorizedAccount, account=admin, neededRole=DEFAULT_ADMIN_ROLE
    ):
        points.setReward(REWARD, 1, sender=admin)


def test_acceptDefaultAdminTransfer_by_someone_else(
    points: Any, admin: Any, issuer: Any, outsider: Any, chain: Any
) -> None:
    tx = points.beginDefaultAdminTransfer(outsider, sender=admin)
    chain.pending_timestamp = max(
        chain.pending_timestamp, int(chain.blocks[tx.block_number].timestamp) + 1
    )
    with ape.reverts(points.AccessControlInvalidDefaultAdmin, defaultAdmin=issuer):
        points.acceptDefaultAdminTransfer(sender=issuer)


# ---------------------------------------------------------------------------- invariants


def test_invariant_balances_sum_to_totalSupply(
    points: Any,
    registry: Any,
    admin: Any,
    registrar: Any,
    issuer: Any,
    enrolled: list[Any],
    catalogue: None,
    transfers_on: None,
) -> None:
    a, b, c, d, e = enrolled
    points.setTierMultiplier(2, 15_000, sender=admin)
    points.setTierMultiplier(3, 3_333, sender=admin)
    steps: list[Callable[[], Any]] = [
        lambda: points.credit(credits("1", enrolled, [100, 80, 61, 33, 7]), sender=issuer),
        lambda: points.redeem(REWARD, sender=a),
        lambda: points.transfer(b, 25, sender=c),
        lambda: points.credit(credits("2", [c, c, d], [3, 5, 11]), sender=issuer),
        lambda: registry.revoke(d, sender=registrar),
        lambda: points.forfeit(d, sender=registrar),
        lambda: points.redeem(REWARD, sender=b),
        lambda: registry.leave(sender=e),
        lambda: registry.erase(e, sender=registrar),
        lambda: points.forfeit(e, sender=registrar),
        lambda: points.transfer(a, 1, sender=c),
    ]
    for step in steps:
        step()
        assert sum(points.balanceOf(m) for m in enrolled) == points.totalSupply()
    assert points.totalSupply() > 0


def test_invariant_points_move_only_between_active_members(
    points: Any,
    registry: Any,
    registrar: Any,
    issuer: Any,
    outsider: Any,
    enrolled: list[Any],
    catalogue: None,
    transfers_on: None,
) -> None:
    a, b, c, d, _ = enrolled

    def assert_active_parties(tx: Any) -> None:
        for log in tx.decode_logs(points.Transfer):
            for party in (log.event_arguments["from"], log.event_arguments["to"]):
                if party != ZERO_ADDRESS:
                    assert registry.isActive(party)

    for step in calls(
        lambda: points.credit(credits("1", [a, b, c, d], [90, 90, 90, 90]), sender=issuer),
        lambda: points.transfer(b, 10, sender=a),
        lambda: points.redeem(REWARD, sender=b),
    ):
        assert_active_parties(step())

    registry.suspend(b, sender=registrar)
    registry.revoke(c, sender=registrar)
    registry.erase(d, sender=registrar)
    for wallet, status in [
        (b, Status.SUSPENDED),
        (c, Status.REVOKED),
        (d, Status.ERASED),
        (outsider, Status.NONE),
    ]:
        inactive = {"member": wallet, "status": status}
        tx = points.credit(credits(f"to {wallet}", [wallet], [10]), sender=issuer)
        assert tx.decode_logs(points.Transfer) == []
        assert [log.status for log in tx.decode_logs(points.CreditSkipped)] == [status]
        with ape.reverts(points.NotActiveMember, **inactive):
            points.transfer(wallet, 1, sender=a)
        with ape.reverts(points.NotActiveMember, **inactive):
            points.redeem(REWARD, sender=wallet)
        if status != Status.NONE:
            with ape.reverts(points.NotActiveMember, **inactive):
                points.transfer(a, 1, sender=wallet)
    assert [points.balanceOf(m) for m in (a, b, c, d)] == [80, 100 - REWARD_COST, 90, 90]


def test_invariant_batch_applied_at_most_once(
    points: Any,
    registry: Any,
    admin: Any,
    registrar: Any,
    pauser: Any,
    issuer: Any,
    outsider: Any,
    enrolled: list[Any],
) -> None:
    first = credits("first", enrolled[:2], [10, 20])
    second = credits("second", [enrolled[1]], [5])
    assert not points.batchApplied(issuer, content_hash(first))
    points.credit(first, sender=issuer)

    with ape.reverts(points.BatchAlreadyApplied, issuer=issuer, contentHash=content_hash(first)):
        points.credit(first, sender=issuer)
    # Nothing the registry or another issuer does afterwards un-applies it.
    points.grantRole(ISSUER_ROLE, outsider, sender=admin)
    points.credit(first, sender=outsider)
    registry.revoke(enrolled[0], sender=registrar)
    registry.erase(enrolled[0], sender=registrar)
    points.forfeit(enrolled[0], sender=registrar)
    registry.pause(sender=pauser)
    registry.unpause(sender=pauser)
    points.credit(second, sender=issuer)

    assert points.batchApplied(issuer, content_hash(first))
    assert points.batchApplied(issuer, content_hash(second))
    assert not points.batchApplied(outsider, content_hash(second))
    assert points.balanceOf(enrolled[1]) == 20 + 20 + 5


def test_invariant_paused_registry_freezes_points(
    points: Any,
    registry: Any,
    admin: Any,
    registrar: Any,
    pauser: Any,
    issuer: Any,
    outsider: Any,
    enrolled: list[Any],
    holder: Any,
    catalogue: None,
    transfers_on: None,
) -> None:
    revoked = enrolled[4]
    points.credit(credits("before pause", [revoked], [12]), sender=issuer)
    registry.revoke(revoked, sender=registrar)
    points.approve(outsider, 50, sender=holder)
    wallets = [*enrolled, outsider]
    welcome, during = welcome_bonus(holder), credits("during pause", [holder], [10])
    request = {
        "member": holder.address,
        "rewardId": REWARD,
        "cost": REWARD_COST,
        "nonce": 0,
        "deadline": 2**40,
    }
    signature = sign_request(holder, points_domain(points, ape.chain), request)

    def snapshot() -> tuple[Any, ...]:
        return (
            [points.balanceOf(w) for w in wallets],
            points.totalSupply(),
            [points.multiplierBps(tier) for tier in range(5)],
            [points.rewardCost(reward) for reward in (REWARD, 2)],
            points.transfersEnabled(),
            [points.batchApplied(issuer, content_hash(rows)) for rows in (welcome, during)],
            points.allowance(holder, outsider),
        )

    before = snapshot()
    registry.pause(sender=pauser)
    for attempt in calls(
        lambda: points.credit(during, sender=issuer),
        lambda: points.redeem(REWARD, sender=holder),
        lambda: points.redeemBySig(request, signature, sender=outsider),
        lambda: points.forfeit(revoked, sender=registrar),
        lambda: points.setTierMultiplier(1, 20_000, sender=admin),
        lambda: points.setReward(2, 5, sender=admin),
        lambda: points.setReward(REWARD, 0, sender=admin),
        lambda: points.setTransfersEnabled(False, sender=admin),
        lambda: points.transfer(enrolled[1], 10, sender=holder),
        lambda: points.transferFrom(holder, enrolled[1], 10, sender=outsider),
    ):
        with ape.reverts(points.EnforcedPause):
            attempt()
    assert snapshot() == before
