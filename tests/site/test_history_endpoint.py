"""Members' histories from the operator's chain index (`GET /history/<wallet>`), over HTTP,
against a real chain: the events the page's `operatorHistory` reads, brought up to date as
they are asked for, how far the index reached, nothing personal, and a limit per client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from member_stack import Member, MemberStack, Site, request

from memberledger.site.refusals import SENTENCES

STRICT_PER_IP = 3


@pytest.fixture(scope="module")
def strict_site(stack: MemberStack) -> Iterator[Site]:
    site = stack.start_site("--per-ip", str(STRICT_PER_IP), "--window", "600")
    yield site
    site.stop()


def history_url(stack: MemberStack, wallet: str) -> str:
    assert stack.site is not None
    return f"{stack.site.url}/history/{wallet}"


def lived(stack: MemberStack) -> tuple[Member, list[str]]:
    """A member who joined (consent 1), earned points, changed their consent and redeemed
    a reward without a fee; the transactions, in order."""
    member = stack.enroll(consent=1, tier=0)
    enrolled = stack.registry.events.MemberEnrolled().get_logs(
        from_block=0, argument_filters={"member": member.address}
    )[0]["transactionHash"]
    stack.credit(member.address, 300)
    credited = stack.points.events.Transfer().get_logs(
        from_block=0, argument_filters={"to": member.address}
    )[0]["transactionHash"]
    consent = stack.as_member(member.address, stack.registry.functions.setConsent(3, 1))
    assert stack.site is not None
    answer = request(
        f"{stack.site.url}/relay/redeem",
        "POST",
        json.dumps(stack.sign_redemption(member.address, 1)).encode(),
    )
    assert answer.status == 200, answer.body
    hashes = [enrolled, credited, consent["transactionHash"]]
    return member, [*("0x" + bytes(h).hex() for h in hashes), answer.body["txHash"]]


def test_history_answers_the_members_events_as_the_page_reads_them(stack: MemberStack) -> None:
    member, transactions = lived(stack)

    answer = request(history_url(stack, member.address.lower()))

    assert answer.status == 200, answer.body
    assert set(answer.body) == {"events", "indexedBlock", "latestBlock", "complete"}
    assert answer.body["complete"] is True
    latest = stack.web3.eth.block_number
    assert int(answer.body["indexedBlock"]) == int(answer.body["latestBlock"]) == latest
    events = answer.body["events"]
    assert [(e["eventName"], e["transactionHash"]) for e in events] == [
        ("MemberEnrolled", transactions[0]),
        ("ConsentChanged", transactions[0]),  # the enrollment form's consent
        ("Transfer", transactions[1]),  # the credit, a mint
        ("ConsentChanged", transactions[2]),
        ("Transfer", transactions[3]),  # the redemption's burn
        ("Redeemed", transactions[3]),
    ]
    for event in events:
        assert set(event) == {
            "eventName",
            "args",
            "blockNumber",
            "logIndex",
            "transactionHash",
            "timestamp",
        }
        block = stack.web3.eth.get_block(int(event["blockNumber"]))
        assert event["timestamp"] == str(block["timestamp"])
    enrolled, _, mint, changed, _, redeemed = events
    assert enrolled["args"]["member"] == member.address
    assert enrolled["args"]["tier"] == "0"
    assert mint["args"]["value"] == "300"
    assert (changed["args"]["newFlags"], changed["args"]["by"]) == ("3", member.address)
    assert redeemed["args"] == {"member": member.address, "rewardId": "1", "cost": "100"}


def test_history_holds_no_personal_data(stack: MemberStack) -> None:
    member, _ = lived(stack)
    raw = json.dumps(request(history_url(stack, member.address)).body).lower()
    for secret in (member.details.full_name, member.details.email, member.salt.hex()):
        assert secret.lower() not in raw
    assert member.commitment.value.hex() in raw  # the salted commitment is what the chain holds


def test_history_is_brought_up_to_date_when_asked(stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    first = request(history_url(stack, member.address)).body["events"]
    stack.credit(member.address, 40)

    second = request(history_url(stack, member.address)).body

    assert len(second["events"]) == len(first) + 1
    assert second["events"][-1]["args"]["value"] == "40"
    assert second["complete"] is True


def test_history_of_a_wallet_with_no_events(stack: MemberStack) -> None:
    answer = request(history_url(stack, stack.fresh_account()))
    assert answer.status == 200
    assert answer.body["events"] == []
    assert answer.body["complete"] is True


def test_history_refuses_what_is_not_a_wallet(stack: MemberStack) -> None:
    for wallet in ("0x1234", "not-a-wallet", "0x" + "g" * 40):
        answer = request(history_url(stack, wallet))
        assert (answer.status, answer.body["error"], answer.body["field"]) == (
            400,
            "bad_request",
            "wallet",
        )
        assert answer.body["message"] == SENTENCES["bad_request"]
    assert request(history_url(stack, stack.relayer), "POST", b"{}").status == 405


def test_history_limits_requests_per_ip(stack: MemberStack, strict_site: Site) -> None:
    url = f"{strict_site.url}/history/{stack.relayer}"
    for _ in range(STRICT_PER_IP):
        assert request(url, source="127.0.7.1").status == 200
    limited = request(url, source="127.0.7.1")
    assert (limited.status, limited.body["error"]) == (429, "rate_limited_ip")
    assert limited.body["message"] == SENTENCES["rate_limited_ip"]
    assert int(limited.headers["retry-after"]) > 0
    assert request(url, source="127.0.7.2").status == 200


def test_site_without_history_says_so_in_its_config(stack: MemberStack) -> None:
    site = stack.start_site("--no-history")
    try:
        config = request(f"{site.url}/config.json").body
        assert config["historyUrl"] is None
        assert request(f"{site.url}/history/{stack.relayer}").status == 404
    finally:
        site.stop()
    assert stack.site is not None
    assert request(f"{stack.site.url}/config.json").body["historyUrl"] == "/history"
