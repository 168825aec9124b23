"""The gas-free consent relay, over HTTP, against a real chain: it relays a member's valid
signature, and refuses everything else before spending any gas (the relayer's nonce, i.e.
its transaction count, stays the same)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from member_stack import MemberStack, Response, Site, request

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
    assert answer.body["message"] == "This signed change has expired. Save again to sign a new one."


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
    assert (answer.status, answer.body["error"]) == (400, "wrong_chain")
    assert "signed for chain 1" in answer.body["message"]


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
    assert "not an enrolled member" in answer.body["message"]


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
    v_zero = signature[:-2] + "00"
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
        ("short signature", {**valid, "signature": signature[:-2]}),
        ("high-s signature", {**valid, "signature": high_s}),
        ("v of zero", {**valid, "signature": v_zero}),
    ]
    return [(name, c if isinstance(c, bytes) else json.dumps(c).encode()) for name, c in cases]


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_refuses_malformed_requests(stack: MemberStack, relay_url: str) -> None:
    member = stack.enroll()
    valid = stack.sign_consent(member.address, 3)
    for name, body in _malformed(valid):
        answer = post(relay_url, body)
        assert answer.status == 400, (name, answer.body)
        assert answer.body["message"], name
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


def test_relay_limits_signed_requests_per_member(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/relay/consent"
    member = stack.enroll(consent=1)
    body = stack.sign_consent(member.address, 3)
    assert post(url, body, source="127.0.0.21").status == 200
    for attempt in range(STRICT_PER_MEMBER - 1):  # replays, from other clients: still counted
        assert post(url, body, source=f"127.0.0.{22 + attempt}").status == 409
    sent = stack.tx_count(stack.relayer)

    answer = post(url, body, source="127.0.0.29")

    assert (answer.status, answer.body["error"]) == (429, "rate_limited")
    assert "for this membership" in answer.body["message"]
    assert int(answer.headers["retry-after"]) > 0
    assert stack.tx_count(stack.relayer) == sent


@pytest.mark.usefixtures("no_relayed_transaction")
def test_relay_limits_requests_per_ip(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/relay/consent"
    for _ in range(STRICT_PER_IP):
        assert post(url, b"{}", source="127.0.0.31").status == 400
    limited = post(url, b"{}", source="127.0.0.31")
    other_client = post(url, b"{}", source="127.0.0.32")
    assert (limited.status, limited.body["error"]) == (429, "rate_limited")
    assert "from your network" in limited.body["message"]
    assert other_client.status == 400
