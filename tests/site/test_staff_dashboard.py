"""The staff dashboard's server (`/admin`, issue 18) against a real Anvil and a real vault file:
Sign-In with Ethereum (nonce per attempt, domain bound, expiry, replay), roles read from the
chain at sign-in and on every POST, the CSRF token, idle expiry, sign-out, the overview's
figures, the member lookup and its access log, and the redemptions queue."""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from member_stack import MemberStack, Site
from operator_kit import rpc

from memberledger.consent import PURPOSE_WORDS
from memberledger.pii.canonical import PersonalData, canonicalize
from memberledger.pii.commitment import commit_person
from memberledger.site.refusals import SENTENCES
from memberledger.store.access_log import AccessLog
from memberledger.store.database import Database
from memberledger.store.vault import DevelopmentKeyWarning, MemberRecord, Vault
from memberledger.tiers import TIERS

#: Seconds a session may sit idle on the test site.
IDLE = 10.0
REASON = "support_case"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Staff:
    """A signed-in browser: its session cookie and CSRF token."""

    address: str
    cookie: str
    csrf: str
    roles: list[str]
    sections: list[str]


def call(
    site: Site,
    path: str,
    method: str = "GET",
    body: Any = None,
    *,
    cookie: str | None = None,
    csrf: str | None = None,
) -> Answer:
    host, port = site.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if cookie is not None:
        headers["Cookie"] = f"memberledger_staff={cookie}"
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    try:
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    decoded = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else {}
    return Answer(response.status, decoded, {k.lower(): v for k, v in response.getheaders()})


def personal_sign(stack: MemberStack, address: str, text: str) -> str:
    """What a wallet's `personal_sign` makes of `text` (Anvil holds the key)."""
    return str(rpc(stack.web3, "personal_sign", "0x" + text.encode().hex(), address))


def challenge(site: Site, address: str) -> str:
    answer = call(site, f"/admin/api/challenge?address={address}")
    assert answer.status == 200, answer.body
    return str(answer.body["message"])


def sign_in_with(site: Site, message: str, signature: str) -> Answer:
    return call(site, "/admin/api/sign-in", "POST", {"message": message, "signature": signature})


def sign_in(stack: MemberStack, site: Site, address: str) -> Staff:
    message = challenge(site, address)
    answer = sign_in_with(site, message, personal_sign(stack, address, message))
    assert answer.status == 200, answer.body
    cookie = answer.headers["set-cookie"]
    token = re.match(r"memberledger_staff=([^;]+);", cookie)
    assert token is not None, cookie
    body = answer.body
    return Staff(body["address"], token.group(1), body["csrf"], body["roles"], body["sections"])


def refused(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, answer.body
    assert answer.body == {"error": code, "message": SENTENCES[code]} or (
        answer.body["error"] == code and answer.body["message"] == SENTENCES[code]
    )


def replace_line(message: str, prefix: str, value: str) -> str:
    lines = message.split("\n")
    for number, line in enumerate(lines):
        if line.startswith(prefix):
            lines[number] = prefix + value
            return "\n".join(lines)
    raise AssertionError(f"no line {prefix!r} in {message!r}")


@dataclass
class VaultMember:
    member_id: str
    wallet: str
    personal: PersonalData


@dataclass
class Dashboard:
    site: Site
    vault_path: Path
    member: VaultMember
    pauser: str


@pytest.fixture(scope="module")
def dashboard(stack: MemberStack) -> Iterator[Dashboard]:
    """A site with the dashboard on, over a vault holding one member enrolled on chain, and a
    pauser-only account."""
    vault_path = stack.workdir / "dashboard-vault.db"
    wallet = stack.fresh_account()
    personal = canonicalize(PersonalData("Xiaoling Brightwater", "xiaoling@example.org"))
    salt = secrets.token_bytes(32)
    commitment = commit_person(personal, salt)
    record = MemberRecord("DASH-001", wallet, personal, salt, commitment, 0b011, 2)
    with pytest.warns(DevelopmentKeyWarning), Vault.open(vault_path, allow_dev_key=True) as vault:
        vault.add_member(record)
        registry = stack.registry.functions
        receipt = stack._send(registry.enroll(wallet, commitment.value, 0b011, 2), stack.registrar)
        vault.mark_enrolled(
            [record.member_id], "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
        )  # fmt: skip
    pauser = stack.fresh_account()
    role = stack.registry.functions.PAUSER_ROLE().call()
    stack._send(stack.registry.functions.grantRole(role, pauser), stack.admin)
    site = stack.start_site(
        "--admin", "--admin-idle", str(IDLE), "--per-ip", "10000", "--per-member", "10000",
        env={"MEMBERLEDGER_VAULT": str(vault_path)},
    )  # fmt: skip
    try:
        yield Dashboard(site, vault_path, VaultMember(record.member_id, wallet, personal), pauser)
    finally:
        site.stop()


# ---------------------------------------------------------------------------- signing in


def test_challenge_binds_domain_uri_chain_and_a_fresh_nonce(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    first, second = challenge(site, stack.registrar), challenge(site, stack.registrar)
    host = site.url.removeprefix("http://")
    assert first.startswith(f"{host} wants you to sign in with your Ethereum account:\n")
    assert f"\nURI: {site.url}/admin\n" in first
    assert f"\nChain ID: {stack.chain_id}\n" in first
    assert "\nExpiration Time: " in first
    nonces = [re.search(r"\nNonce: (\w+)\n", m) for m in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0].group(1) != nonces[1].group(1)


def test_challenge_refuses_a_bad_address(dashboard: Dashboard) -> None:
    answer = call(dashboard.site, "/admin/api/challenge?address=0x1234")
    refused(answer, 400, "bad_request")


def test_sign_in_sets_a_strict_http_only_cookie(stack: MemberStack, dashboard: Dashboard) -> None:
    message = challenge(dashboard.site, stack.registrar)
    answer = sign_in_with(dashboard.site, message, personal_sign(stack, stack.registrar, message))
    assert answer.status == 200, answer.body
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie.split(";")[-1] or "127.0.0.1" not in dashboard.site.url
    assert answer.body["address"].lower() == stack.registrar.lower()


def test_sign_in_refuses_a_replayed_nonce(stack: MemberStack, dashboard: Dashboard) -> None:
    message = challenge(dashboard.site, stack.registrar)
    signature = personal_sign(stack, stack.registrar, message)
    assert sign_in_with(dashboard.site, message, signature).status == 200
    refused(sign_in_with(dashboard.site, message, signature), 401, "sign_in_nonce")


def test_sign_in_refuses_a_nonce_the_server_never_gave(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    message = replace_line(challenge(dashboard.site, stack.registrar), "Nonce: ", "abcdefgh1234")
    signature = personal_sign(stack, stack.registrar, message)
    refused(sign_in_with(dashboard.site, message, signature), 401, "sign_in_nonce")


def test_sign_in_spends_the_nonce_of_a_failed_attempt(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    message = challenge(dashboard.site, stack.registrar)
    stranger = stack.fresh_account()
    wrong = personal_sign(stack, stranger, message)
    refused(sign_in_with(dashboard.site, message, wrong), 401, "sign_in_refused")
    right = personal_sign(stack, stack.registrar, message)
    refused(sign_in_with(dashboard.site, message, right), 401, "sign_in_nonce")


def test_sign_in_refuses_an_expired_message(stack: MemberStack, dashboard: Dashboard) -> None:
    message = challenge(dashboard.site, stack.registrar)
    message = replace_line(message, "Issued At: ", "2020-01-01T00:00:00Z")
    message = replace_line(message, "Expiration Time: ", "2020-01-01T00:05:00Z")
    signature = personal_sign(stack, stack.registrar, message)
    refused(sign_in_with(dashboard.site, message, signature), 401, "sign_in_expired")


def test_sign_in_refuses_a_message_for_another_domain(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    message = challenge(dashboard.site, stack.registrar)
    host = dashboard.site.url.removeprefix("http://")
    message = message.replace(host, "members.example.org", 1)
    signature = personal_sign(stack, stack.registrar, message)
    refused(sign_in_with(dashboard.site, message, signature), 401, "sign_in_domain")


def test_sign_in_refuses_a_message_for_another_chain(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    message = replace_line(challenge(dashboard.site, stack.registrar), "Chain ID: ", "1")
    signature = personal_sign(stack, stack.registrar, message)
    refused(sign_in_with(dashboard.site, message, signature), 401, "sign_in_domain")


def test_sign_in_refuses_an_account_without_a_role(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    nobody = stack.fresh_account()
    message = challenge(dashboard.site, nobody)
    refused(
        sign_in_with(dashboard.site, message, personal_sign(stack, nobody, message)),
        403,
        "no_role",
    )


# ---------------------------------------------------------------------------- roles


def test_each_role_sees_its_own_sections(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    admin = sign_in(stack, site, stack.admin)  # deploy gave registrar and issuer away
    registrar = sign_in(stack, site, stack.registrar)  # registrar and issuer
    pauser = sign_in(stack, site, dashboard.pauser)
    assert admin.roles == ["admin", "pauser"]
    assert admin.sections == ["overview", "health", "series", "access_log"]
    assert registrar.roles == ["issuer", "registrar"]
    assert registrar.sections == ["overview", "health", "series", "members", "redemptions"]
    assert pauser.roles == ["pauser"]
    assert pauser.sections == ["overview", "health", "series"]

    assert call(site, "/admin/api/overview", cookie=pauser.cookie).status == 200
    refused(call(site, "/admin/api/redemptions", cookie=pauser.cookie), 403, "forbidden")
    refused(call(site, "/admin/api/access-log", cookie=pauser.cookie), 403, "forbidden")
    refused(call(site, "/admin/api/access-log", cookie=registrar.cookie), 403, "forbidden")
    lookup_admin = {"query": dashboard.member.member_id, "reason": REASON}
    answer = call(
        site, "/admin/api/member", "POST", lookup_admin, cookie=admin.cookie, csrf=admin.csrf
    )
    refused(answer, 403, "forbidden")  # personal data is for registrars only
    lookup = {"query": dashboard.member.member_id, "reason": REASON}
    refused(
        call(site, "/admin/api/member", "POST", lookup, cookie=pauser.cookie, csrf=pauser.csrf),
        403,
        "forbidden",
    )


def test_a_revoked_role_opens_nothing_at_the_next_post(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    helper = stack.fresh_account()
    role = stack.registry.functions.REGISTRAR_ROLE().call()
    stack._send(stack.registry.functions.grantRole(role, helper), stack.admin)
    staff = sign_in(stack, site, helper)
    assert staff.roles == ["registrar"]
    stack._send(stack.registry.functions.revokeRole(role, helper), stack.admin)
    lookup = {"query": dashboard.member.member_id, "reason": REASON}
    answer = call(site, "/admin/api/member", "POST", lookup, cookie=staff.cookie, csrf=staff.csrf)
    refused(answer, 403, "no_role")
    refused(call(site, "/admin/api/session", cookie=staff.cookie), 401, "signed_out")


def test_no_session_sees_nothing(dashboard: Dashboard) -> None:
    for path in ("/admin/api/overview", "/admin/api/session", "/admin/api/access-log"):
        refused(call(dashboard.site, path), 401, "signed_out")
        refused(call(dashboard.site, path, cookie="forged"), 401, "signed_out")


# ---------------------------------------------------------------------------- CSRF, expiry


def test_posts_without_the_csrf_token_are_refused(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    lookup = {"query": dashboard.member.member_id, "reason": REASON}
    for token in (None, "", staff.csrf[:-2] + "xx"):
        answer = call(site, "/admin/api/member", "POST", lookup, cookie=staff.cookie, csrf=token)
        refused(answer, 403, "csrf")
    fulfil = {"ids": ["1-0"]}
    answer = call(site, "/admin/api/redemptions/fulfil", "POST", fulfil, cookie=staff.cookie)
    refused(answer, 403, "csrf")
    refused(call(site, "/admin/api/sign-out", "POST", {}, cookie=staff.cookie), 403, "csrf")
    assert call(site, "/admin/api/session", cookie=staff.cookie).status == 200


def test_sign_out_ends_the_session(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    answer = call(site, "/admin/api/sign-out", "POST", {}, cookie=staff.cookie, csrf=staff.csrf)
    assert answer.status == 200
    refused(call(site, "/admin/api/overview", cookie=staff.cookie), 401, "signed_out")


def test_an_idle_session_ends(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    busy = sign_in(stack, site, stack.registrar)
    for _ in range(3):  # one session is used, the other sits idle
        time.sleep(IDLE / 2.5)
        assert call(site, "/admin/api/session", cookie=busy.cookie).status == 200
    refused(call(site, "/admin/api/session", cookie=staff.cookie), 401, "signed_out")
    assert call(site, "/admin/api/session", cookie=busy.cookie).status == 200


def test_challenges_and_sign_ins_are_rate_limited_per_client(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    """A site of its own with a small limit (the module's site allows 10,000 a minute)."""
    site = stack.start_site(
        "--admin", "--per-ip", "3", "--no-relay", "--no-history",
        env={"MEMBERLEDGER_VAULT": str(dashboard.vault_path)},
    )  # fmt: skip
    try:
        message = challenge(site, stack.registrar)
        challenge(site, stack.registrar)
        signature = personal_sign(stack, stack.registrar, message)
        assert sign_in_with(site, message, signature).status == 200  # the third: allowed
        flooded = call(site, f"/admin/api/challenge?address={stack.registrar}")
        refused(flooded, 429, "rate_limited_ip")
        assert int(flooded.headers["retry-after"]) >= 1
        again = challenge(dashboard.site, stack.registrar)  # nothing shared between sites
        refused(sign_in_with(site, again, personal_sign(stack, stack.registrar, again)), 429,
                "rate_limited_ip")  # fmt: skip
    finally:
        site.stop()


# ---------------------------------------------------------------------------- what it shows


def overview(site: Site, staff: Staff) -> dict[str, Any]:
    answer = call(site, "/admin/api/overview", cookie=staff.cookie)
    assert answer.status == 200, answer.body
    return answer.body


def test_overview_follows_the_chain(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, dashboard.pauser)
    before = overview(site, staff)
    member = stack.enroll(consent=0b101, tier=3)
    stack.credit(member.address, 1_000)  # times the platinum multiplier
    added = stack.balance(member.address)
    after = overview(site, staff)
    assert after["byStatus"]["active"] == before["byStatus"]["active"] + 1
    assert after["byTier"]["platinum"] == before["byTier"]["platinum"] + 1
    consent = {k: after["byConsent"][k] - before["byConsent"][k] for k in after["byConsent"]}
    assert sorted(v for v in consent.values()) == [0, 0, 1, 1]
    outstanding = int(after["points"]["outstanding"]) - int(before["points"]["outstanding"])
    assert outstanding == added
    health = after["health"]
    assert health["indexedBlock"] == after["block"] >= int(stack.web3.eth.block_number) - 1
    assert health["headBlock"] >= health["indexedBlock"]
    assert health["lag"] == health["headBlock"] - health["indexedBlock"]
    assert health["paused"] is False
    assert health["relayer"].lower() == stack.relayer.lower()
    assert int(health["relayerBalanceWei"]) == stack.web3.eth.get_balance(stack.relayer)  # type: ignore[arg-type]
    with stack.paused():
        assert overview(site, staff)["health"]["paused"] is True


def test_member_lookup_shows_the_vault_and_writes_the_access_log(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    registrar = sign_in(stack, site, stack.registrar)
    member = dashboard.member
    lookup = {"query": member.wallet.lower(), "reason": REASON}
    answer = call(
        site, "/admin/api/member", "POST", lookup, cookie=registrar.cookie, csrf=registrar.csrf
    )
    assert answer.status == 200, answer.body
    found = answer.body
    assert found["memberId"] == member.member_id
    assert found["personal"]["full_name"] == member.personal.full_name
    assert found["personal"]["email"] == member.personal.email
    assert found["chain"]["status"] == "active"
    assert found["chain"]["commitmentMatches"] is True
    assert found["vault"]["tier"] == found["chain"]["tier"] == 2
    assert [event["name"] for event in found["history"]][:1] == ["MemberEnrolled"]

    admin = sign_in(stack, site, stack.admin)
    log = call(site, "/admin/api/access-log", cookie=admin.cookie)
    assert log.status == 200, log.body
    newest = log.body["entries"][0]
    assert newest["staff"].lower() == stack.registrar.lower()
    assert newest["member_id"] == member.member_id
    assert newest["wallet"] == member.wallet
    assert newest["reason"] == REASON
    assert newest["viewed_at"].endswith("Z")
    assert "Xiaoling" not in json.dumps(log.body)  # the log names members, never their data


def test_member_lookup_needs_a_known_reason_and_member(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    registrar = sign_in(stack, site, stack.registrar)
    admin = sign_in(stack, site, stack.admin)
    entries = len(call(site, "/admin/api/access-log", cookie=admin.cookie).body["entries"])

    def look(query: str, reason: str) -> Answer:
        body = {"query": query, "reason": reason}
        return call(
            site, "/admin/api/member", "POST", body, cookie=registrar.cookie, csrf=registrar.csrf
        )

    refused(look(dashboard.member.member_id, "curiosity"), 400, "bad_request")
    refused(look("NO-SUCH-MEMBER", REASON), 404, "unknown_member")
    after = call(site, "/admin/api/access-log", cookie=admin.cookie).body["entries"]
    assert len(after) == entries  # nothing shown, nothing logged


def test_redemptions_queue_and_mark_fulfilled(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    member = stack.enroll(tier=1)
    stack.credit(member.address, 300)
    receipt = stack.as_member(member.address, stack.points.functions.redeem(1))
    identity = f"{receipt['blockNumber']}-{receipt['logs'][-1]['logIndex']}"
    queue = call(site, "/admin/api/redemptions", cookie=staff.cookie)
    assert queue.status == 200, queue.body
    waiting = {r["id"]: r for r in queue.body["waiting"]}
    assert identity in waiting
    assert waiting[identity]["wallet"].lower() == member.address.lower()
    assert waiting[identity]["points"] == "100"
    waiting_before = overview(site, staff)["redemptionsWaiting"]
    assert waiting_before == len(queue.body["waiting"])  # the count is the queue's length

    def mark(ids: list[str]) -> Answer:
        return call(
            site,
            "/admin/api/redemptions/fulfil",
            "POST",
            {"ids": ids},
            cookie=staff.cookie,
            csrf=staff.csrf,
        )

    refused(mark(["999999-0"]), 400, "bad_request")
    done = mark([identity])
    assert done.status == 200, done.body
    assert done.body == {"fulfilled": [identity], "already": []}
    assert mark([identity]).body == {"fulfilled": [], "already": [identity]}
    queue = call(site, "/admin/api/redemptions", cookie=staff.cookie)
    assert identity not in {r["id"] for r in queue.body["waiting"]}
    assert overview(site, staff)["redemptionsWaiting"] == waiting_before - 1
    assert len(queue.body["waiting"]) == waiting_before - 1


def monday_of(timestamp: int) -> str:
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def expected_weeks(stack: MemberStack) -> list[dict[str, Any]]:
    """The weekly figures computed here from the chain's own logs (not the index)."""
    start = int(stack.manifest["deploy_block"])
    times: dict[int, int] = {}

    def week_of(log: Any) -> dict[str, Any]:
        block = int(log["blockNumber"])
        if block not in times:
            times[block] = int(stack.web3.eth.get_block(block)["timestamp"])
        monday = monday_of(times[block])
        if monday not in weeks:
            weeks[monday] = {
                "week": monday,
                "enrolled": dict.fromkeys(TIERS.values(), 0),
                "credited": 0,
                "redeemed": 0,
                "consentGiven": dict.fromkeys(PURPOSE_WORDS.values(), 0),
                "consentWithdrawn": dict.fromkeys(PURPOSE_WORDS.values(), 0),
            }
        return weeks[monday]

    weeks: dict[str, dict[str, Any]] = {}
    registry, points = stack.registry.events, stack.points.events
    for log in registry.MemberEnrolled.get_logs(from_block=start):
        week_of(log)["enrolled"][TIERS[log["args"]["tier"]]] += 1
    for log in points.BatchCredited.get_logs(from_block=start):
        week_of(log)["credited"] += log["args"]["total"]
    for log in points.Redeemed.get_logs(from_block=start):
        week_of(log)["redeemed"] += log["args"]["cost"]
    for log in registry.ConsentChanged.get_logs(from_block=start):
        old, new = log["args"]["oldFlags"], log["args"]["newFlags"]
        row = week_of(log)
        for flag, words in PURPOSE_WORDS.items():
            row["consentGiven"][words] += bool(new & flag and not old & flag)
            row["consentWithdrawn"][words] += bool(old & flag and not new & flag)
    for row in weeks.values():
        row["credited"], row["redeemed"] = str(row["credited"]), str(row["redeemed"])
    return [weeks[monday] for monday in sorted(weeks)]


def test_weekly_series_match_the_chains_logs(stack: MemberStack, dashboard: Dashboard) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, dashboard.pauser)
    member = stack.enroll(consent=0b011, tier=1)
    stack.credit(member.address, 300)
    stack.as_member(member.address, stack.registry.functions.setConsent(0b001, 1))
    stack.as_member(member.address, stack.points.functions.redeem(1))
    answer = call(site, "/admin/api/series", cookie=staff.cookie)
    assert answer.status == 200, answer.body
    weeks = answer.body["weeks"]
    assert weeks == expected_weeks(stack)
    this_week = weeks[-1]
    assert this_week["week"] == monday_of(stack.now())
    assert this_week["enrolled"]["silver"] >= 1 and int(this_week["redeemed"]) >= 100
    assert this_week["consentWithdrawn"]["usage analytics"] >= 1

    download = call(site, "/admin/api/series.csv", cookie=staff.cookie)
    assert download.status == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in download.headers["content-disposition"]
    refused(call(dashboard.site, "/admin/api/series.csv"), 401, "signed_out")


def test_weekly_csv_holds_the_same_figures(stack: MemberStack, dashboard: Dashboard) -> None:
    staff = sign_in(stack, dashboard.site, dashboard.pauser)
    weeks = call(dashboard.site, "/admin/api/series", cookie=staff.cookie).body["weeks"]
    text = raw_get(dashboard.site, "/admin/api/series.csv", staff.cookie)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == [
        "week",
        "enrolled basic",
        "enrolled silver",
        "enrolled gold",
        "enrolled platinum",
    ]
    assert len(rows) == len(weeks) + 1
    last = rows[-1]
    assert last[0] == weeks[-1]["week"]
    assert [int(n) for n in last[1:5]] == list(weeks[-1]["enrolled"].values())
    assert last[5:7] == [weeks[-1]["credited"], weeks[-1]["redeemed"]]


def raw_get(site: Site, path: str, cookie: str) -> str:
    host, port = site.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": f"memberledger_staff={cookie}"})
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


# ---------------------------------------------------------------------------- actions


def act(site: Site, staff: Staff, step: str, body: dict[str, Any]) -> Answer:
    return call(
        site, f"/admin/api/action/{step}", "POST", body, cookie=staff.cookie, csrf=staff.csrf
    )


def send_prepared(stack: MemberStack, sender: str, prepared: dict[str, Any]) -> str:
    """What the page does with the prepared transaction: the staff wallet sends it."""
    tx_hash = stack.web3.eth.send_transaction(
        {"from": sender, "to": prepared["to"], "data": prepared["data"]}
    )
    stack.web3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def test_registrar_changes_a_tier_with_their_own_wallet(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    member = dashboard.member
    body: dict[str, Any] = {"action": "tier", "query": member.member_id, "tier": 3}
    prepared = act(site, staff, "prepare", body)
    assert prepared.status == 200, prepared.body
    assert prepared.body["to"] == stack.manifest["registry"]
    assert prepared.body["wallet"] == member.wallet
    assert member.personal.email.encode().hex() not in prepared.body["data"]
    tx_hash = send_prepared(stack, stack.registrar, prepared.body)
    done = act(site, staff, "confirm", {**body, "txHash": tx_hash})
    assert done.status == 200, done.body
    assert done.body["tier"] == 3 and done.body["txHash"] == tx_hash
    assert stack.record(member.wallet)[2] == 3  # (commitment, consent, tier, status, ...)
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get(member.member_id)
        assert stored is not None and stored.tier == 3
    refused(act(site, staff, "prepare", body), 409, "nothing_to_change")


def test_confirm_refuses_a_transaction_that_did_not_do_it(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    staff = sign_in(stack, site, stack.registrar)
    other = stack.enroll(tier=1)
    body: dict[str, Any] = {"action": "suspend", "query": other.address}
    prepared = act(site, staff, "prepare", body).body
    # A transaction of another kind (a tier change) does not confirm a suspension.
    tier = act(site, staff, "prepare", {"action": "tier", "query": other.address, "tier": 2})
    unrelated = send_prepared(stack, stack.registrar, tier.body)
    refused(act(site, staff, "confirm", {**body, "txHash": unrelated}), 409, "not_done")
    # The suspension sent by the admin's wallet (no registrar role): it reverts on chain.
    admin_sent = stack.web3.eth.send_transaction(
        {"from": stack.admin, "to": prepared["to"], "data": prepared["data"], "gas": 200_000}
    )
    stack.web3.eth.wait_for_transaction_receipt(admin_sent)
    reverted = "0x" + bytes(admin_sent).hex()
    refused(act(site, staff, "confirm", {**body, "txHash": reverted}), 409, "not_done")
    refused(act(site, staff, "confirm", {**body, "txHash": "0x1234"}), 400, "bad_request")
    # The real one goes through; a second registrar cannot claim it as theirs.
    sent = send_prepared(stack, stack.registrar, prepared)
    assert act(site, staff, "confirm", {**body, "txHash": sent}).status == 200
    assert stack.record(other.address)[3] == 2  # suspended
    refused(act(site, staff, "prepare", body), 409, "nothing_to_change")
    reinstate = act(site, staff, "prepare", {"action": "reinstate", "query": other.address})
    assert reinstate.status == 200, reinstate.body


def test_actions_need_the_registrar_role_and_the_csrf_token(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    pauser = sign_in(stack, site, dashboard.pauser)
    body: dict[str, Any] = {"action": "suspend", "query": dashboard.member.member_id}
    refused(act(site, pauser, "prepare", body), 403, "forbidden")
    registrar = sign_in(stack, site, stack.registrar)
    answer = call(site, "/admin/api/action/prepare", "POST", body, cookie=registrar.cookie)
    refused(answer, 403, "csrf")
    refused(act(site, registrar, "prepare", {**body, "action": "move"}), 400, "bad_request")
    bad_tier = {"action": "tier", "query": dashboard.member.member_id, "tier": 9}
    refused(act(site, registrar, "prepare", bad_tier), 400, "bad_request")


def vault_member(stack: MemberStack, dashboard: Dashboard, member_id: str, name: str) -> str:
    """A member added to the dashboard's vault and enrolled on chain; their wallet."""
    wallet = stack.fresh_account()
    personal = canonicalize(PersonalData(name, f"{member_id.lower()}@example.org"))
    salt = secrets.token_bytes(32)
    commitment = commit_person(personal, salt)
    record = MemberRecord(member_id, wallet, personal, salt, commitment, 0b001, 1)
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard.vault_path, allow_dev_key=True) as vault,
    ):
        vault.add_member(record)
        receipt = stack._send(
            stack.registry.functions.enroll(wallet, commitment.value, 0b001, 1), stack.registrar
        )
        vault.mark_enrolled(
            [member_id], "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
        )  # fmt: skip
    return wallet


def stored_member(dashboard: Dashboard, member_id: str) -> tuple[Any, Any]:
    """The vault's record of `member_id` and its opened personal data."""
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get(member_id)
        assert stored is not None
        return stored, vault.member_record(member_id)


def test_registrar_updates_a_members_data_with_their_own_wallet(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    wallet = vault_member(stack, dashboard, "UPD-001", "Amara Quickfoot")
    before, opened_before = stored_member(dashboard, "UPD-001")
    staff = sign_in(stack, site, stack.registrar)
    new_email = "amara.quickfoot@example.net"
    body: dict[str, Any] = {"action": "update", "query": "UPD-001", "changes": {"email": new_email}}
    prepared = act(site, staff, "prepare", body)
    assert prepared.status == 200, prepared.body
    assert prepared.body["to"] == stack.manifest["registry"] and prepared.body["wallet"] == wallet
    for secret in (new_email, "Amara", "amara"):  # the transaction carries a hash, no data
        assert secret.encode().hex() not in prepared.body["data"]
    staged, _ = stored_member(dashboard, "UPD-001")
    assert staged.commitment == before.commitment  # staged beside, not applied yet
    assert staged.pending_commitment is not None
    assert staged.pending_commitment.value.hex() in prepared.body["data"]
    # Another update while this one is in flight would stage over it: refused.
    again = {**body, "changes": {"email": "someone.else@example.net"}}
    refused(act(site, staff, "prepare", again), 409, "update_waiting")
    # A transaction that did not rotate the commitment confirms nothing.
    tier = act(site, staff, "prepare", {"action": "tier", "query": "UPD-001", "tier": 2})
    unrelated = send_prepared(stack, stack.registrar, tier.body)
    refused(act(site, staff, "confirm", {**body, "txHash": unrelated}), 409, "not_done")
    assert stored_member(dashboard, "UPD-001")[0].pending_commitment is not None

    tx_hash = send_prepared(stack, stack.registrar, prepared.body)
    done = act(site, staff, "confirm", {**body, "txHash": tx_hash})
    assert done.status == 200, done.body
    after, opened = stored_member(dashboard, "UPD-001")
    assert after.pending_commitment is None and after.commitment == staged.pending_commitment
    assert bytes(stack.record(wallet)[0]) == after.commitment.value  # the chain holds it
    assert opened.personal.email == new_email and opened.personal.full_name == "amara quickfoot"
    assert opened.salt != opened_before.salt  # re-sealed under a fresh salt
    assert act(site, staff, "confirm", {**body, "txHash": tx_hash}).status == 200  # said twice
    refused(act(site, staff, "prepare", body), 409, "nothing_to_change")
    bad = {**body, "changes": {"email": "not an address"}}
    answer = act(site, staff, "prepare", bad)
    assert answer.status == 400 and answer.body["field"] == "email", answer.body
    refused(act(site, staff, "prepare", {**body, "changes": {"wallet": "0x00"}}), 400,
            "bad_request")  # fmt: skip
    database = Database(dashboard.vault_path)
    try:
        newest = AccessLog(database).latest(1)[0]
    finally:
        database.close()
    assert (newest.member_id, newest.reason) == ("UPD-001", "data_correction")


def test_registrar_erases_a_member_vault_first_then_the_chain(
    stack: MemberStack, dashboard: Dashboard
) -> None:
    site = dashboard.site
    wallet = vault_member(stack, dashboard, "ERA-001", "Bertil Sandqvist")
    stack.credit(wallet, 300)
    staff = sign_in(stack, site, stack.registrar)
    body: dict[str, Any] = {"action": "erase", "query": "ERA-001"}
    pauser = sign_in(stack, site, dashboard.pauser)
    refused(act(site, pauser, "prepare", body), 403, "forbidden")
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard.vault_path, allow_dev_key=True) as vault,
    ):
        assert vault.get("ERA-001") is not None  # a refused request shredded nothing

    first = act(site, staff, "prepare", body)
    assert first.status == 200, first.body
    assert (first.body["to"], first.body["step"]) == (stack.manifest["registry"], "registry")
    assert first.body["vault"].startswith("deleted personal data and salt")
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get("ERA-001")
        assert stored is not None and stored.status.value == "erased"  # the vault went first
    assert stack.record(wallet)[3] == 1  # still active on chain until the registrar signs
    unrelated = send_prepared(
        stack,
        stack.registrar,
        act(site, staff, "prepare", {"action": "suspend", "query": dashboard.member.wallet}).body,
    )
    refused(act(site, staff, "confirm", {**body, "txHash": unrelated}), 409, "not_done")
    stack._send(stack.registry.functions.reinstate(dashboard.member.wallet), stack.registrar)

    erased = act(
        site,
        staff,
        "confirm",
        {**body, "txHash": send_prepared(stack, stack.registrar, first.body)},
    )
    assert erased.status == 200, erased.body
    assert erased.body["status"] == "erased" and erased.body["remains"] is True
    assert bytes(stack.record(wallet)[0]) == bytes(20)  # commitment wiped
    second = act(site, staff, "prepare", body)
    assert second.status == 200, second.body
    assert (second.body["to"], second.body["step"]) == (stack.manifest["points"], "points")
    forfeited = act(
        site,
        staff,
        "confirm",
        {**body, "txHash": send_prepared(stack, stack.registrar, second.body)},
    )
    assert forfeited.status == 200 and forfeited.body["remains"] is False, forfeited.body
    assert stack.balance(wallet) == 0
    refused(act(site, staff, "prepare", body), 409, "nothing_to_change")


@pytest.fixture
def short_moves(stack: MemberStack) -> Iterator[None]:
    """Moves wait 20 seconds in these tests, so travelling past the delay leaves the shared
    chain's clock near the wall clock (`MemberStack.short_move_delay`)."""
    with stack.short_move_delay():
        yield


def travel(stack: MemberStack, seconds: int) -> None:
    """Anvil's clock forward by `seconds`, and a block mined at the new time."""
    rpc(stack.web3, "evm_increaseTime", seconds)
    rpc(stack.web3, "evm_mine")


def vault_wallet(dashboard: Dashboard, member_id: str) -> str:
    return str(stored_member(dashboard, member_id)[0].wallet)


def test_registrar_moves_a_member_to_a_new_wallet_after_the_delay(
    stack: MemberStack, dashboard: Dashboard, short_moves: None
) -> None:
    site = dashboard.site
    old = vault_member(stack, dashboard, "MOV-001", "Ingrid Halvorsen")
    stack.credit(old, 200)
    points = stack.balance(old)
    new = stack.fresh_account()
    staff = sign_in(stack, site, stack.registrar)
    body: dict[str, Any] = {"action": "move", "query": "MOV-001", "newWallet": new}
    pauser = sign_in(stack, site, dashboard.pauser)
    refused(act(site, pauser, "prepare", body), 403, "forbidden")
    wrong_case = new[:2] + new[2:].swapcase()
    refused(act(site, staff, "prepare", {**body, "newWallet": wrong_case}), 400, "bad_request")
    taken = {**body, "newWallet": dashboard.member.wallet}
    refused(act(site, staff, "prepare", taken), 409, "wallet_taken")
    refused(act(site, staff, "prepare", {**body, "newWallet": old}), 409, "wallet_taken")

    proposed = act(site, staff, "prepare", body)
    assert proposed.status == 200, proposed.body
    assert proposed.body["to"] == stack.manifest["registry"]
    # Another transaction of this registrar does not pass for the proposal.
    tier = act(site, staff, "prepare", {"action": "tier", "query": "MOV-001", "tier": 2})
    unrelated = send_prepared(stack, stack.registrar, tier.body)
    refused(act(site, staff, "confirm", {**body, "txHash": unrelated}), 409, "not_done")
    sent = send_prepared(stack, stack.registrar, proposed.body)
    done = act(site, staff, "confirm", {**body, "txHash": sent})
    assert done.status == 200, done.body
    pending, executable_at = stack.registry.functions.pendingMove(old).call()
    assert done.body["pendingMove"] == pending == new
    assert done.body["executableAt"] == executable_at > stack.now() - 1
    assert vault_wallet(dashboard, "MOV-001") == old  # the vault waits for the chain
    refused(act(site, staff, "prepare", body), 409, "move_pending")
    seen = call(
        site,
        "/admin/api/member",
        "POST",
        {"query": "MOV-001", "reason": REASON},
        cookie=staff.cookie,
        csrf=staff.csrf,
    )
    assert seen.body["move"]["pending"] == new, seen.body
    assert seen.body["move"]["executableAt"] == executable_at

    complete: dict[str, Any] = {"action": "move_complete", "query": "MOV-001"}
    refused(act(site, staff, "prepare", complete), 409, "move_not_ready")
    head = int(stack.web3.eth.get_block("latest")["timestamp"])
    travel(stack, executable_at - head + 1)
    first = act(site, staff, "prepare", complete)
    assert first.status == 200, first.body
    assert (first.body["to"], first.body["step"]) == (stack.manifest["registry"], "registry")
    completed = act(
        site,
        staff,
        "confirm",
        {**complete, "txHash": send_prepared(stack, stack.registrar, first.body)},
    )
    assert completed.status == 200, completed.body
    assert completed.body["movedTo"] == new and completed.body["remains"] is True
    assert vault_wallet(dashboard, "MOV-001") == old  # the points have not followed yet
    second = act(site, staff, "prepare", complete)
    assert second.status == 200, second.body
    assert (second.body["to"], second.body["step"]) == (stack.manifest["points"], "points")
    carried = act(
        site,
        staff,
        "confirm",
        {**complete, "txHash": send_prepared(stack, stack.registrar, second.body)},
    )
    assert carried.status == 200 and carried.body["remains"] is False, carried.body
    assert (stack.balance(old), stack.balance(new)) == (0, points)
    stored, opened = stored_member(dashboard, "MOV-001")
    assert stored.wallet == new and opened.personal.full_name == "ingrid halvorsen"
    assert stack.record(new)[3] == 1  # active under the new wallet
    refused(act(site, staff, "prepare", complete), 409, "no_move_pending")


def test_registrar_cancels_a_pending_move(
    stack: MemberStack, dashboard: Dashboard, short_moves: None
) -> None:
    site = dashboard.site
    old = vault_member(stack, dashboard, "MOV-002", "Tomasz Wierzbicki")
    new = stack.fresh_account()
    staff = sign_in(stack, site, stack.registrar)
    cancel: dict[str, Any] = {"action": "move_cancel", "query": "MOV-002"}
    refused(act(site, staff, "prepare", cancel), 409, "no_move_pending")
    body: dict[str, Any] = {"action": "move", "query": "MOV-002", "newWallet": new.lower()}
    sent = send_prepared(stack, stack.registrar, act(site, staff, "prepare", body).body)
    assert act(site, staff, "confirm", {**body, "txHash": sent}).status == 200
    pauser = sign_in(stack, site, dashboard.pauser)
    refused(act(site, pauser, "prepare", cancel), 403, "forbidden")
    prepared = act(site, staff, "prepare", cancel)
    assert prepared.status == 200, prepared.body
    refused(act(site, staff, "confirm", {**cancel, "txHash": sent}), 409, "not_done")
    cancelled = act(
        site,
        staff,
        "confirm",
        {**cancel, "txHash": send_prepared(stack, stack.registrar, prepared.body)},
    )
    assert cancelled.status == 200 and cancelled.body["pendingMove"] is None, cancelled.body
    assert stack.registry.functions.pendingMove(old).call()[0] == "0x" + "0" * 40
    assert vault_wallet(dashboard, "MOV-002") == old
    refused(act(site, staff, "prepare", {**cancel, "action": "move_complete"}), 409,
            "no_move_pending")  # fmt: skip


def test_a_move_completed_by_someone_else_is_finished_from_the_dashboard(
    stack: MemberStack, dashboard: Dashboard, short_moves: None
) -> None:
    """`completeMove` is anyone's to send: the dashboard then carries the points over, and only
    after that does the vault's record follow."""
    site = dashboard.site
    old = vault_member(stack, dashboard, "MOV-003", "Oluwaseun Adeyemi")
    stack.credit(old, 50)
    new = stack.fresh_account()
    staff = sign_in(stack, site, stack.registrar)
    body: dict[str, Any] = {"action": "move", "query": "MOV-003", "newWallet": new}
    sent = send_prepared(stack, stack.registrar, act(site, staff, "prepare", body).body)
    assert act(site, staff, "confirm", {**body, "txHash": sent}).status == 200
    _, executable_at = stack.registry.functions.pendingMove(old).call()
    head = int(stack.web3.eth.get_block("latest")["timestamp"])
    travel(stack, executable_at - head + 1)
    stack._send(stack.registry.functions.completeMove(old), new)  # the member's new wallet
    seen = call(
        site,
        "/admin/api/member",
        "POST",
        {"query": "MOV-003", "reason": REASON},
        cookie=staff.cookie,
        csrf=staff.csrf,
    )
    assert seen.body["move"]["movedTo"] == new and seen.body["move"]["pending"] is None
    complete: dict[str, Any] = {"action": "move_complete", "query": "MOV-003"}
    carry = act(site, staff, "prepare", complete)
    assert carry.status == 200 and carry.body["step"] == "points", carry.body
    assert vault_wallet(dashboard, "MOV-003") == old  # points first, then the vault
    done = act(
        site,
        staff,
        "confirm",
        {**complete, "txHash": send_prepared(stack, stack.registrar, carry.body)},
    )
    assert done.status == 200 and done.body["remains"] is False, done.body
    assert vault_wallet(dashboard, "MOV-003") == new and stack.balance(old) == 0
    refused(act(site, staff, "prepare", complete), 409, "no_move_pending")


def test_a_move_completed_elsewhere_without_points_moves_the_vault_record(
    stack: MemberStack, dashboard: Dashboard, short_moves: None
) -> None:
    site = dashboard.site
    old = vault_member(stack, dashboard, "MOV-004", "Keziah Abernathy")
    new = stack.fresh_account()
    staff = sign_in(stack, site, stack.registrar)
    body: dict[str, Any] = {"action": "move", "query": "MOV-004", "newWallet": new}
    sent = send_prepared(stack, stack.registrar, act(site, staff, "prepare", body).body)
    assert act(site, staff, "confirm", {**body, "txHash": sent}).status == 200
    _, executable_at = stack.registry.functions.pendingMove(old).call()
    head = int(stack.web3.eth.get_block("latest")["timestamp"])
    travel(stack, executable_at - head + 1)
    stack._send(stack.registry.functions.completeMove(old), stack.admin)
    assert vault_wallet(dashboard, "MOV-004") == old
    complete: dict[str, Any] = {"action": "move_complete", "query": "MOV-004"}
    refused(act(site, staff, "prepare", complete), 409, "nothing_to_change")  # nothing to sign
    assert vault_wallet(dashboard, "MOV-004") == new  # the chain is done: the vault followed
