"""The gas-free consent relay, over HTTP, against a real chain: it relays a member's valid
signature (normalising v = 0/1 and EIP-2098 compact forms), and refuses everything else
before spending any gas (the relayer's nonce, i.e. its transaction count, stays the same),
with a fixed sentence per refusal code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from member_stack import MemberStack, Response, Site, request

from memberledger.site.refusals import SENTENCES

#: The strict site's limits: requests per client IP, signed requests per member, per window.
STRICT_PER_IP = 3
STRICT_PER_MEMBER = 2


def post(url: str, payload: Any, **options: Any) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return request(url, "POST", body, **options)


@pytest.fixture(scope="module")
def strict_site(stack: MemberStack) -> Iterator[Site]:
    """A second relay on the same chain that allows few requests per ten minutes."""
    site = stack.start_site(
        "--per-ip", str(STRICT_PER_IP), "--per-member", str(STRICT_PER_MEMBER), "--window", "600"
    )
    yield site
    site.stop()


@pytest.fixture
def no_relayed_transaction(stack: MemberStack) -> Iterator[None]:
    """The relayer sends nothing during the test."""
    before = stack.tx_count(stack.relayer)
    yield
    assert stack.tx_count(stack.relayer) == before


def test_relay_submits_valid_signature(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll(consent=1)
    sent_before = stack.tx_count(stack.relayer)

    answer = post(relay_url, stack.sign_consent(member.address, 0b011))

    assert answer.status == 200, answer.body
    receipt = stack.web3.eth.get_transaction_receipt(answer.body["txHash"])
    assert receipt["status"] == 1
    assert receipt["from"] == stack.relayer
    (event,) = stack.registry.events.ConsentChanged().process_receipt(receipt)
    assert event["args"]["member"] == member.address
    assert (event["args"]["oldFlags"], event["args"]["newFlags"]) == (1, 3)
    assert event["args"]["by"] == stack.relayer
    assert stack.record(member.address)[1] == 3
    assert stack.tx_count(stack.relayer) == sent_before + 1
    assert answer.body["blockNumber"] == receipt["blockNumber"]


def test_relay_refuses_replayed_signature(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll(consent=1)
    body = stack.sign_consent(member.address, 0)
    assert post(relay_url, body).status == 200
    sent = stack.tx_count(stack.relayer)

    answer = post(relay_url, body)

    assert (answer.status, answer.body["error"]) == (409, "used_nonce")
    assert "already used" in answer.body["message"]
    assert stack.tx_count(stack.relayer) == sent


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_expired_signature(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    answer = post(relay_url, stack.sign_consent(member.address, 3, deadline=stack.now() - 1))
    assert (answer.status, answer.body["error"]) == (400, "expired")
    assert answer.body["message"] == SENTENCES["expired"]
    assert answer.body["field"] == "deadline"


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_deadline_inside_margin(stack: MemberStack, relay_url: str) -> None:
    """Valid now, but it could pass before the transaction is mined: the relay's margin is
    minutes (two by default), so a deadline one minute ahead is refused."""
    member = stack.enroll()
    answer = post(relay_url, stack.sign_consent(member.address, 3, deadline=stack.now() + 60))
    assert (answer.status, answer.body["error"]) == (400, "expired")
    assert stack.registry.functions.nonces(member.address).call() == 0


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_deadline_weeks_ahead(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    far = stack.now() + 30 * 24 * 3600
    answer = post(relay_url, stack.sign_consent(member.address, 3, deadline=far))
    assert (answer.status, answer.body["error"]) == (400, "deadline_too_far")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_declared_wrong_chain(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    body = stack.sign_consent(member.address, 3, chain_id=1)
    answer = post(relay_url, {**body, "chainId": 1})
    assert (answer.status, answer.body["error"], answer.body["field"]) == (
        400,
        "wrong_chain",
        "chainId",
    )
    assert answer.body["message"] == SENTENCES["wrong_chain"]


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_signature_for_other_chain(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    answer = post(relay_url, stack.sign_consent(member.address, 3, chain_id=1))
    assert (answer.status, answer.body["error"]) == (400, "bad_signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_declared_wrong_contract(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    other = stack.manifest["points"]
    body = stack.sign_consent(member.address, 3, registry=other)
    answer = post(relay_url, {**body, "verifyingContract": other})
    assert (answer.status, answer.body["error"]) == (400, "wrong_contract")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_signature_for_other_contract(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    body = stack.sign_consent(member.address, 3, registry=stack.manifest["points"])
    answer = post(relay_url, body)
    assert (answer.status, answer.body["error"]) == (400, "bad_signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_signature_by_someone_else(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    intruder = stack.fresh_account()
    answer = post(relay_url, stack.sign_consent(member.address, 7, signer=intruder))
    assert (answer.status, answer.body["error"]) == (400, "bad_signature")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_non_member(stack: MemberStack, relay_url: str) -> None:
    stranger = stack.fresh_account()
    answer = post(relay_url, stack.sign_consent(stranger, 1))
    assert (answer.status, answer.body["error"]) == (403, "not_member")
    assert answer.body["message"] == SENTENCES["not_member"]


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_stale_policy(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    answer = post(relay_url, stack.sign_consent(member.address, 3, policy_version=2))
    assert (answer.status, answer.body["error"]) == (409, "stale_policy")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_future_nonce(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    answer = post(relay_url, stack.sign_consent(member.address, 3, nonce=5))
    assert (answer.status, answer.body["error"]) == (409, "used_nonce")


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_change_that_changes_nothing(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll(consent=5)
    answer = post(relay_url, stack.sign_consent(member.address, 5))
    assert (answer.status, answer.body["error"]) == (409, "nothing_to_change")


def _malformed(valid: dict[str, Any]) -> list[tuple[str, bytes]]:
    signature = valid["signature"]
    high_s = signature[:66] + "f" * 64 + signature[-2:]
    cases: list[tuple[str, Any]] = [
        ("not json", b"{member:"),
        ("not an object", [valid]),
        ("missing signature", {k: v for k, v in valid.items() if k != "signature"}),
        ("unknown field", {**valid, "to": valid["member"]}),
        ("unknown flag", {**valid, "flags": 8}),
        ("flags out of range", {**valid, "flags": 70000}),
        ("flags as words", {**valid, "flags": "all"}),
        ("negative nonce", {**valid, "nonce": -1}),
        ("boolean policy", {**valid, "policyVersion": True}),
        ("member not an address", {**valid, "member": "0x1234"}),
        ("short signature", {**valid, "signature": signature[:-4]}),
        ("high-s signature", {**valid, "signature": high_s}),
        ("v of 29", {**valid, "signature": signature[:-2] + "1d"}),
        ("odd hex digits", {**valid, "signature": signature + "0"}),
    ]
    return [(name, c if isinstance(c, bytes) else json.dumps(c).encode()) for name, c in cases]


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_malformed_requests(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    valid = stack.sign_consent(member.address, 3)
    for name, body in _malformed(valid):
        answer = post(relay_url, body)
        assert answer.status == 400, (name, answer.body)
        assert answer.body["message"] == SENTENCES[answer.body["error"]], name
    # The valid request still works afterwards: nothing above consumed the nonce.
    assert stack.registry.functions.nonces(member.address).call() == int(valid["nonce"])


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_wrong_media_type_size_and_method(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    body = json.dumps(stack.sign_consent(member.address, 3)).encode()
    assert post(relay_url, body, content_type="text/plain").status == 415
    assert post(relay_url, b" " * 5000).status == 413
    assert request(relay_url).status == 405
    assert request(relay_url.replace("/consent", "/sign"), "POST", body).status == 404


def test_relay_limits_fresh_signatures_per_member(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/relay/consent"
    member = stack.enroll(consent=1)
    for flags in range(2, 2 + STRICT_PER_MEMBER):
        assert (
            post(url, stack.sign_consent(member.address, flags), source="127.0.0.21").status == 200
        )
    sent = stack.tx_count(stack.relayer)

    answer = post(url, stack.sign_consent(member.address, 1), source="127.0.0.22")

    assert (answer.status, answer.body["error"]) == (429, "rate_limited_member")
    assert answer.body["message"] == SENTENCES["rate_limited_member"]
    assert int(answer.headers["retry-after"]) > 0
    assert stack.tx_count(stack.relayer) == sent


def test_relay_replays_do_not_spend_members_quota(stack: MemberStack, strict_site: Site) -> None:
    """A member's used signature is public (it is in the transaction): replaying it, from
    any number of clients, must not use up the member's allowance."""
    url = f"{strict_site.url}/relay/consent"
    member = stack.enroll(consent=1)
    used = stack.sign_consent(member.address, 3)
    assert post(url, used, source="127.0.0.41").status == 200
    sent = stack.tx_count(stack.relayer)
    for attempt in range(3 * STRICT_PER_MEMBER):  # other clients, each under its own limit
        answer = post(url, used, source=f"127.0.0.{50 + attempt}")
        assert (answer.status, answer.body["error"]) == (409, "used_nonce")
    assert stack.tx_count(stack.relayer) == sent

    answer = post(url, stack.sign_consent(member.address, 5), source="127.0.0.42")

    assert answer.status == 200, answer.body
    assert stack.record(member.address)[1] == 5


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_limits_requests_per_ip(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/relay/consent"
    for _ in range(STRICT_PER_IP):
        assert post(url, b"{}", source="127.0.0.31").status == 400
    limited = post(url, b"{}", source="127.0.0.31")
    other_client = post(url, b"{}", source="127.0.0.32")
    assert (limited.status, limited.body["error"]) == (429, "rate_limited_ip")
    assert limited.body["message"] == SENTENCES["rate_limited_ip"]
    assert other_client.status == 400


def _with_v(signature: str, v: int) -> str:
    return signature[:-2] + f"{v:02x}"


def _compact(signature: str) -> str:
    """EIP-2098: r and (yParity << 255 | s) in 64 bytes."""
    raw = bytes.fromhex(signature[2:])
    parity = raw[64] - 27
    vs = (parity << 255) | int.from_bytes(raw[32:64], "big")
    return "0x" + (raw[:32] + vs.to_bytes(32, "big")).hex()


def test_relay_accepts_v_zero_or_one(stack: MemberStack, relay_url: str) -> None:
    """Ledger through MetaMask signs with v = 0/1; the relay sends the 27/28 form the
    contract accepts."""
    member = stack.enroll(consent=1)
    body = stack.sign_consent(member.address, 2)
    answer = post(
        relay_url,
        {**body, "signature": _with_v(body["signature"], int(body["signature"][-2:], 16) - 27)},
    )
    assert answer.status == 200, answer.body
    assert stack.record(member.address)[1] == 2


def test_relay_accepts_eip2098_compact_signature(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll(consent=1)
    body = stack.sign_consent(member.address, 4)
    answer = post(relay_url, {**body, "signature": _compact(body["signature"])})
    assert answer.status == 200, answer.body
    assert stack.record(member.address)[1] == 4


def test_relay_sends_several_at_once(stack: MemberStack, relay_url: str) -> None:
    """Members' requests do not wait for each other's blocks: the relayer's nonces are
    handed out so that all of them are sent, none refused for a nonce clash."""
    members = [stack.enroll(consent=1) for _ in range(6)]
    bodies = [stack.sign_consent(member.address, 6) for member in members]
    sent = stack.tx_count(stack.relayer)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(
            pool.map(
                lambda pair: post(relay_url, pair[1], source=f"127.0.1.{pair[0]}"),
                enumerate(bodies),
            )
        )

    assert [answer.status for answer in answers] == [200] * len(bodies), [a.body for a in answers]
    assert stack.tx_count(stack.relayer) == sent + len(bodies)
    assert all(stack.record(member.address)[1] == 6 for member in members)


def test_relay_sends_one_of_two_identical_requests(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll(consent=1)
    body = stack.sign_consent(member.address, 2)
    sent = stack.tx_count(stack.relayer)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda source: post(relay_url, body, source=source), ["127.0.2.1", "127.0.2.2"]
            )
        )

    assert sorted(answer.status for answer in answers) == [200, 409], [a.body for a in answers]
    (refused,) = [answer for answer in answers if answer.status == 409]
    assert refused.body["error"] in ("in_flight", "used_nonce")
    assert stack.tx_count(stack.relayer) == sent + 1
