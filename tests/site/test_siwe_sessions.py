"""Sign-in and sessions on their own (`memberledger.site.siwe_login`), with a clock the test
moves: a nonce outlives neither its time nor its one use, a session ends after its idle time
or its longest life, and cookies are Secure everywhere but on this machine."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from memberledger.site.refusals import RelayRefused
from memberledger.site.siwe_login import SignInSettings, StaffSignIn

ORIGIN = "http://127.0.0.1:8000"
STAFF = Account.create()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def signed(text: str, account: object = STAFF) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=text)).signature).hex()  # type: ignore[attr-defined]


def sign_in(clock: Clock, **settings: Any) -> StaffSignIn:
    return StaffSignIn(SignInSettings(ORIGIN, 31337, **settings), clock)


def refused_code(action: object) -> str:
    with pytest.raises(RelayRefused) as caught:
        action()  # type: ignore[operator]
    return caught.value.code


def test_verify_returns_the_signer() -> None:
    clock = Clock()
    login = sign_in(clock)
    message = login.challenge(STAFF.address.lower())
    assert login.verify(message, signed(message)) == STAFF.address


def test_verify_refuses_a_nonce_past_its_time() -> None:
    clock = Clock()
    login = sign_in(clock, nonce_ttl=60)
    message = login.challenge(STAFF.address)
    clock.now += 61
    assert refused_code(lambda: login.verify(message, signed(message))) == "sign_in_nonce"


def test_verify_refuses_a_malformed_message_and_signature() -> None:
    login = sign_in(Clock())
    assert refused_code(lambda: login.verify("hello", "0x00")) == "sign_in_refused"
    message = login.challenge(STAFF.address)
    assert refused_code(lambda: login.verify(message, "0x1234")) == "sign_in_refused"


def test_challenges_are_refused_past_the_nonce_cap_until_one_expires() -> None:
    clock = Clock()
    login = sign_in(clock, max_nonces=2, nonce_ttl=60)
    first = login.challenge(STAFF.address)
    login.challenge(STAFF.address)
    assert refused_code(lambda: login.challenge(STAFF.address)) == "busy"
    assert login.verify(first, signed(first)) == STAFF.address  # a used nonce frees its place
    login.challenge(STAFF.address)
    clock.now += 61
    login.challenge(STAFF.address)  # the expired ones are forgotten


def test_a_session_ends_when_idle_or_too_old() -> None:
    clock = Clock()
    login = sign_in(clock, idle=60, longest=150)
    session = login.open_session(STAFF.address, frozenset({"registrar"}))
    for _ in range(2):
        clock.now += 59
        assert login.session(session.token) is session  # each request restarts the idle clock
    clock.now += 59  # 177 s after sign-in, never idle for a minute: too old all the same
    assert refused_code(lambda: login.session(session.token)) == "signed_out"

    idle = login.open_session(STAFF.address, frozenset({"registrar"}))
    clock.now += 61
    assert refused_code(lambda: login.session(idle.token)) == "signed_out"
    assert refused_code(lambda: login.session(None)) == "signed_out"


def test_csrf_token_must_match() -> None:
    login = sign_in(Clock())
    session = login.open_session(STAFF.address, frozenset({"admin"}))
    login.check_csrf(session, session.csrf)
    for sent in (None, "", session.csrf.upper(), session.csrf + "x"):
        assert refused_code(lambda sent=sent: login.check_csrf(session, sent)) == "csrf"


@pytest.mark.parametrize(
    ("origin", "secure"),
    [
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("https://members.example.org", True),
        ("http://10.0.0.5:8000", True),
    ],
)
def test_cookie_is_secure_outside_this_machine(origin: str, secure: bool) -> None:
    assert SignInSettings(origin, 1).secure_cookie is secure
    assert SignInSettings(origin, 1).uri == origin + "/admin"


def test_admit_refuses_a_client_past_its_limit_and_no_other() -> None:
    clock = Clock()
    login = sign_in(clock, per_ip=3, window=60)
    for _ in range(3):
        login.admit("203.0.113.7")
        login.challenge(STAFF.address)
    with pytest.raises(RelayRefused) as caught:
        login.admit("203.0.113.7")
    assert (caught.value.status, caught.value.code) == (429, "rate_limited_ip")
    assert caught.value.retry_after == 60
    login.admit("198.51.100.2")  # staff elsewhere still get their challenge
    message = login.challenge(STAFF.address)
    assert login.verify(message, signed(message)) == STAFF.address
    clock.now += 61
    login.admit("203.0.113.7")


def test_a_flooding_client_cannot_fill_the_nonces() -> None:
    clock = Clock()
    login = sign_in(clock, per_ip=5, window=60, nonce_ttl=300, max_nonces=30)
    handed = 0
    for _ in range(10 * 60):  # ten minutes of asking every second
        clock.now += 1
        try:
            login.admit("203.0.113.7")
        except RelayRefused:
            continue
        login.challenge(STAFF.address)
        handed += 1
    assert handed == 50  # five a minute
    message = login.challenge(STAFF.address)  # 25 nonces alive at most: room for staff
    assert login.verify(message, signed(message)) == STAFF.address
