"""Gas-free redemption through the relay (`POST /relay/redeem`), over HTTP, against a real
chain: a member's valid signature of a reward at its catalogue cost is sent by the relayer,
who pays the gas, and burns exactly that cost; everything else is refused before it costs a
transaction (the relayer's transaction count stays the same), with a fixed sentence per code.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import solcx
from member_stack import Member, MemberStack, Response, Site, request
from web3.logs import DISCARD

from memberledger.chain.deployment import DEFAULT_REWARDS
from memberledger.errors import ConfigError
from memberledger.site.refusals import SENTENCES
from memberledger.site.relay import MemberRelay
from memberledger.site.signed_requests import normalise_signature

COFFEE = 1
COFFEE_COST = DEFAULT_REWARDS[COFFEE][0]
#: The strict site's limits: requests per client IP, signed requests per member, per window.
STRICT_PER_IP = 6
STRICT_PER_MEMBER = 2
WALLET_SOURCE = Path(__file__).parent / "contracts" / "OwnerWallet.sol"


def post(url: str, payload: Any, **options: Any) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return request(url, "POST", body, **options)


@pytest.fixture(scope="session")
def redeem_url(stack: MemberStack) -> str:
    assert stack.site is not None
    return f"{stack.site.url}/relay/redeem"


@pytest.fixture
def no_relayed_transaction(stack: MemberStack) -> Iterator[None]:
    """The relayer sends nothing during the test."""
    before = stack.tx_count(stack.relayer)
    yield
    assert stack.tx_count(stack.relayer) == before


@pytest.fixture(scope="module")
def strict_site(stack: MemberStack) -> Iterator[Site]:
    """A relay on the same chain that allows few requests per ten minutes."""
    site = stack.start_site(
        "--per-ip", str(STRICT_PER_IP), "--per-member", str(STRICT_PER_MEMBER), "--window", "600"
    )
    yield site
    site.stop()


def rich_member(stack: MemberStack, base_points: int = 1000) -> Member:
    """An active member (tier 0, so points are credited one to one) with points to spend."""
    member = stack.enroll(tier=0)
    stack.credit(member.address, base_points)
    return member


def assert_refused(answer: Response, status: int, code: str, field: str | None = None) -> None:
    assert (answer.status, answer.body.get("error")) == (status, code), answer.body
    assert answer.body["message"] == SENTENCES[code]
    if field is not None:
        assert answer.body["field"] == field


# ------------------------------------------------------------------ sent


def test_redeem_relay_submits_valid_signature(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    relayed_before = stack.tx_count(stack.relayer)
    member_sent = stack.tx_count(member.address)

    answer = post(redeem_url, stack.sign_redemption(member.address, COFFEE))

    assert answer.status == 200, answer.body
    assert (answer.body["rewardId"], answer.body["cost"]) == (str(COFFEE), str(COFFEE_COST))
    receipt = stack.web3.eth.get_transaction_receipt(answer.body["txHash"])
    assert receipt["status"] == 1
    assert receipt["from"] == stack.relayer
    assert answer.body["blockNumber"] == receipt["blockNumber"]
    (redeemed,) = stack.points.events.Redeemed().process_receipt(receipt, errors=DISCARD)
    assert dict(redeemed["args"]) == {
        "member": member.address,
        "rewardId": COFFEE,
        "cost": COFFEE_COST,
    }
    (burnt,) = stack.points.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (burnt["args"]["from"], int(burnt["args"]["to"], 16)) == (member.address, 0)
    assert stack.balance(member.address) == 1000 - COFFEE_COST
    assert stack.points.functions.nonces(member.address).call() == 1
    assert stack.tx_count(stack.relayer) == relayed_before + 1
    assert stack.tx_count(member.address) == member_sent  # the member paid no gas


def test_redeem_relay_accepts_v_zero_or_one_and_compact(
    stack: MemberStack, redeem_url: str
) -> None:
    member = rich_member(stack)
    first = stack.sign_redemption(member.address, COFFEE)
    low_v = first["signature"][:-2] + f"{int(first['signature'][-2:], 16) - 27:02x}"
    assert post(redeem_url, {**first, "signature": low_v}).status == 200
    second = stack.sign_redemption(member.address, COFFEE)
    raw = bytes.fromhex(second["signature"][2:])
    vs = ((raw[64] - 27) << 255) | int.from_bytes(raw[32:64], "big")
    compact = "0x" + (raw[:32] + vs.to_bytes(32, "big")).hex()
    assert normalise_signature(bytes.fromhex(compact[2:])) == raw

    answer = post(redeem_url, {**second, "signature": compact})

    assert answer.status == 200, answer.body
    assert stack.balance(member.address) == 1000 - 2 * COFFEE_COST


# ------------------------------------------------------------------ refused, nothing sent


def test_redeem_relay_refuses_replayed_signature(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, COFFEE)
    assert post(redeem_url, body).status == 200
    sent = stack.tx_count(stack.relayer)

    answer = post(redeem_url, body)

    assert_refused(answer, 409, "used_nonce", "nonce")
    assert "already used" in answer.body["message"]
    assert stack.balance(member.address) == 1000 - COFFEE_COST  # charged once
    assert stack.tx_count(stack.relayer) == sent


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_expired_signature(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    answer = post(
        redeem_url, stack.sign_redemption(member.address, COFFEE, deadline=stack.now() - 1)
    )
    assert_refused(answer, 400, "expired", "deadline")
    inside_margin = stack.sign_redemption(member.address, COFFEE, deadline=stack.now() + 60)
    assert_refused(post(redeem_url, inside_margin), 400, "expired", "deadline")
    assert stack.points.functions.nonces(member.address).call() == 0


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_wrong_chain(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, COFFEE, chain_id=1)
    assert_refused(post(redeem_url, {**body, "chainId": 1}), 400, "wrong_chain", "chainId")
    assert_refused(post(redeem_url, body), 400, "bad_signature", "signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_wrong_contract(stack: MemberStack, redeem_url: str) -> None:
    """Signed for the registry's address (in the points token's domain name): refused as
    declared, and as a signature that is not the member's for this contract."""
    member = rich_member(stack)
    registry = stack.manifest["registry"]
    body = stack.sign_redemption(member.address, COFFEE, contract=registry)
    declared = {**body, "verifyingContract": registry}
    assert_refused(post(redeem_url, declared), 400, "wrong_contract", "verifyingContract")
    assert_refused(post(redeem_url, body), 400, "bad_signature", "signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_other_domain(stack: MemberStack, redeem_url: str) -> None:
    """A signature made in the registry's domain is no redemption: neither a RedeemRequest
    signed as if the registry verified it, nor a consent change's signature carried over."""
    member = rich_member(stack)
    as_registry = stack.sign_redemption(
        member.address,
        COFFEE,
        domain_name="MemberLedger MembershipRegistry",
        contract=stack.manifest["registry"],
    )
    assert_refused(post(redeem_url, as_registry), 400, "bad_signature", "signature")
    consent = stack.sign_consent(member.address, 3, nonce=0)
    redemption = stack.sign_redemption(member.address, COFFEE)
    reused = {**redemption, "signature": consent["signature"]}
    assert_refused(post(redeem_url, reused), 400, "bad_signature", "signature")
    # And the redemption's own signature is no consent change either.
    consent_url = redeem_url.replace("/redeem", "/consent")
    swapped = {**consent, "signature": redemption["signature"]}
    assert_refused(post(consent_url, swapped), 400, "bad_signature", "signature")
    assert stack.balance(member.address) == 1000


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_signature_by_someone_else(
    stack: MemberStack, redeem_url: str
) -> None:
    member = rich_member(stack)
    intruder = stack.fresh_account()
    body = stack.sign_redemption(member.address, COFFEE, signer=intruder)
    assert_refused(post(redeem_url, body), 400, "bad_signature", "signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_changed_cost(stack: MemberStack, redeem_url: str) -> None:
    """The member signed the price they saw; the catalogue changed since: nothing is sent,
    and nothing is charged at the new price."""
    reward = 1000 + secrets.randbelow(10**6)  # a reward of this test's own
    stack.set_reward(reward, 300)
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, reward)
    stack.set_reward(reward, 350)

    answer = post(redeem_url, body)

    assert_refused(answer, 409, "cost_changed", "cost")
    assert stack.balance(member.address) == 1000
    cheaper = stack.sign_redemption(member.address, reward, cost=250)
    assert_refused(post(redeem_url, cheaper), 409, "cost_changed", "cost")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_reward_not_in_catalogue(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, 999_999, cost=100)
    assert_refused(post(redeem_url, body), 409, "unknown_reward", "rewardId")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_not_enough_points(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack, base_points=COFFEE_COST - 1)
    body = stack.sign_redemption(member.address, COFFEE)
    assert_refused(post(redeem_url, body), 409, "not_enough_points", "cost")
    assert stack.balance(member.address) == COFFEE_COST - 1


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_non_member(stack: MemberStack, redeem_url: str) -> None:
    stranger = stack.fresh_account()
    body = stack.sign_redemption(stranger, COFFEE)
    assert_refused(post(redeem_url, body), 403, "not_member", "member")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_suspended_member(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    stack.suspend(member.address)
    body = stack.sign_redemption(member.address, COFFEE)
    assert_refused(post(redeem_url, body), 403, "not_active", "member")
    assert stack.balance(member.address) == 1000


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_while_paused(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, COFFEE)
    with stack.paused():
        assert_refused(post(redeem_url, body), 503, "paused")
    assert stack.balance(member.address) == 1000


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_cancelled_signature(stack: MemberStack, redeem_url: str) -> None:
    """The member cancelled what they signed (`increaseNonce`) before the relay sent it."""
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, COFFEE)
    stack.as_member(member.address, stack.points.functions.increaseNonce())
    assert_refused(post(redeem_url, body), 409, "used_nonce", "nonce")


def _malformed(valid: dict[str, Any]) -> list[tuple[str, bytes]]:
    cases: list[tuple[str, Any]] = [
        ("not json", b"{member:"),
        ("a consent change", {**valid, "flags": 1, "policyVersion": 1}),
        ("missing reward", {k: v for k, v in valid.items() if k != "rewardId"}),
        ("missing cost", {k: v for k, v in valid.items() if k != "cost"}),
        ("zero cost", {**valid, "cost": "0"}),
        ("negative cost", {**valid, "cost": -100}),
        ("reward as words", {**valid, "rewardId": "coffee"}),
        ("reward beyond uint256", {**valid, "rewardId": str(2**256)}),
        ("member not an address", {**valid, "member": "0x1234"}),
        ("short signature", {**valid, "signature": valid["signature"][:-4]}),
    ]
    return [(name, c if isinstance(c, bytes) else json.dumps(c).encode()) for name, c in cases]


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_malformed_requests(stack: MemberStack, redeem_url: str) -> None:
    member = rich_member(stack)
    valid = stack.sign_redemption(member.address, COFFEE)
    for name, body in _malformed(valid):
        answer = post(redeem_url, body)
        assert answer.status == 400, (name, answer.body)
        assert answer.body["message"] == SENTENCES[answer.body["error"]], name
    assert request(redeem_url).status == 405
    assert post(redeem_url, valid, content_type="text/plain").status == 415


# ------------------------------------------------------------------ contract wallets


@pytest.fixture(scope="module")
def wallet_contract(stack: MemberStack) -> Any:
    """The OwnerWallet contract (ERC-1271, as a one-owner Safe), compiled by the project's
    solc."""
    compiled = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"OwnerWallet.sol": {"content": WALLET_SOURCE.read_text()}},
            "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
        },
        solc_version="0.8.30",
    )["contracts"]["OwnerWallet.sol"]["OwnerWallet"]
    return stack.web3.eth.contract(
        abi=compiled["abi"], bytecode=compiled["evm"]["bytecode"]["object"]
    )


def _contract_wallet(stack: MemberStack, contract: Any, owner: str) -> str:
    tx_hash = contract.constructor(owner).transact({"from": owner})
    wallet = str(stack.web3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"])
    stack.enroll(wallet, tier=0)
    stack.credit(wallet, 1000)
    return wallet


def test_redeem_relay_accepts_contract_wallet_signature(
    stack: MemberStack, redeem_url: str, wallet_contract: Any
) -> None:
    owner = stack.fresh_account()
    wallet = _contract_wallet(stack, wallet_contract, owner)

    answer = post(redeem_url, stack.sign_redemption(wallet, COFFEE, signer=owner))

    assert answer.status == 200, answer.body
    receipt = stack.web3.eth.get_transaction_receipt(answer.body["txHash"])
    (redeemed,) = stack.points.events.Redeemed().process_receipt(receipt, errors=DISCARD)
    assert redeemed["args"]["member"] == wallet
    assert stack.balance(wallet) == 1000 - COFFEE_COST


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_refuses_contract_wallet_signature_by_stranger(
    stack: MemberStack, redeem_url: str, wallet_contract: Any
) -> None:
    owner, stranger = stack.fresh_account(), stack.fresh_account()
    wallet = _contract_wallet(stack, wallet_contract, owner)
    answer = post(redeem_url, stack.sign_redemption(wallet, COFFEE, signer=stranger))
    assert_refused(answer, 400, "bad_signature", "signature")
    assert stack.balance(wallet) == 1000


# ------------------------------------------------------------------ several at once, limits


def test_redeem_relay_sends_several_at_once(stack: MemberStack, redeem_url: str) -> None:
    """Members' redemptions do not wait for each other's blocks: all are sent, none refused
    for a clash of the relayer's nonces."""
    members = [rich_member(stack) for _ in range(6)]
    bodies = [stack.sign_redemption(member.address, COFFEE) for member in members]
    sent = stack.tx_count(stack.relayer)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(
            pool.map(
                lambda pair: post(redeem_url, pair[1], source=f"127.0.4.{pair[0] + 1}"),
                enumerate(bodies),
            )
        )

    assert [answer.status for answer in answers] == [200] * len(bodies), [a.body for a in answers]
    assert stack.tx_count(stack.relayer) == sent + len(bodies)
    assert all(stack.balance(member.address) == 1000 - COFFEE_COST for member in members)


def test_redeem_relay_sends_one_of_two_identical_requests(
    stack: MemberStack, redeem_url: str
) -> None:
    member = rich_member(stack)
    body = stack.sign_redemption(member.address, COFFEE)
    sent = stack.tx_count(stack.relayer)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda source: post(redeem_url, body, source=source), ["127.0.5.1", "127.0.5.2"]
            )
        )

    assert sorted(answer.status for answer in answers) == [200, 409], [a.body for a in answers]
    (refused,) = [answer for answer in answers if answer.status == 409]
    assert refused.body["error"] in ("in_flight", "used_nonce")
    assert stack.tx_count(stack.relayer) == sent + 1
    assert stack.balance(member.address) == 1000 - COFFEE_COST  # charged once


def test_redeem_and_consent_of_one_member_fly_together(stack: MemberStack, redeem_url: str) -> None:
    """A consent change and a redemption use different contracts' nonces: one member's two
    requests at once are both sent."""
    member = rich_member(stack)
    redemption = stack.sign_redemption(member.address, COFFEE)
    consent = stack.sign_consent(member.address, 3)
    consent_url = redeem_url.replace("/redeem", "/consent")

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda pair: post(pair[0], pair[1], source="127.0.5.9"),
                [(redeem_url, redemption), (consent_url, consent)],
            )
        )

    assert [answer.status for answer in answers] == [200, 200], [a.body for a in answers]
    assert stack.balance(member.address) == 1000 - COFFEE_COST
    assert stack.record(member.address)[1] == 3


def test_redeem_relay_limits_fresh_signatures_per_member(
    stack: MemberStack, strict_site: Site
) -> None:
    """Redemptions and consent changes share the member's allowance; a replayed (used)
    signature spends none of it."""
    url = f"{strict_site.url}/relay/redeem"
    member = rich_member(stack)
    used = stack.sign_redemption(member.address, COFFEE)
    assert post(url, used, source="127.0.6.1").status == 200
    for attempt in range(3):  # replays from other clients: not fresh, not counted
        answer = post(url, used, source=f"127.0.6.{10 + attempt}")
        assert_refused(answer, 409, "used_nonce")
    consent = stack.sign_consent(member.address, 3)
    assert post(url.replace("/redeem", "/consent"), consent, source="127.0.6.2").status == 200
    sent = stack.tx_count(stack.relayer)

    answer = post(url, stack.sign_redemption(member.address, COFFEE), source="127.0.6.3")

    assert_refused(answer, 429, "rate_limited_member")
    assert int(answer.headers["retry-after"]) > 0
    assert stack.tx_count(stack.relayer) == sent
    assert stack.balance(member.address) == 1000 - COFFEE_COST


@pytest.mark.usefixtures("no_relayed_transaction")
def test_redeem_relay_limits_requests_per_ip(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/relay/redeem"
    for _ in range(STRICT_PER_IP):
        assert post(url, b"{}", source="127.0.6.31").status == 400
    assert_refused(post(url, b"{}", source="127.0.6.31"), 429, "rate_limited_ip")
    assert post(url, b"{}", source="127.0.6.32").status == 400


# ------------------------------------------------------------------ at start-up


class _NoKey:
    """check_domain only needs the relayer's address."""

    address = "0x000000000000000000000000000000000000dEaD"

    def sign(self, tx: Any) -> Any:
        raise AssertionError("nothing is signed at start-up")


def test_check_domain_proves_both_contracts_hash_like_the_relay(stack: MemberStack) -> None:
    relay = MemberRelay(
        node_url=stack.anvil_url,
        chain_id=stack.chain_id,
        registry=stack.manifest["registry"],
        points=stack.manifest["points"],
        signer=_NoKey(),
    )
    relay.check_domain()  # this deployment: both agree
    wrong_chain = MemberRelay(
        node_url=stack.anvil_url,
        chain_id=1,
        registry=stack.manifest["registry"],
        points=stack.manifest["points"],
        signer=_NoKey(),
    )
    with pytest.raises(ConfigError, match="hashes a ConsentChange differently"):
        wrong_chain.check_domain()
    swapped = MemberRelay(
        node_url=stack.anvil_url,
        chain_id=stack.chain_id,
        registry=stack.manifest["registry"],
        points=stack.manifest["registry"],  # no redeemRequestDigest there
        signer=_NoKey(),
    )
    with pytest.raises(ConfigError, match="hashes a RedeemRequest differently"):
        swapped.check_domain()
