"""Staff sign-in with their wallet (EIP-4361, "Sign-In with Ethereum", through the `siwe`
package) and the sessions it opens.

- A nonce per attempt: `challenge` hands out the whole message to sign, with a fresh nonce
  that is good for `nonce_ttl` seconds and for one `verify` only (a failed attempt spends it
  too, so a signature can never be replayed).
- Domain and URI bound: the message must name this site's own host and `<origin>/admin`, and
  this chain; a message signed for another site is refused even with a good signature.
- Expiry: the message's own expiration time, checked by `siwe`, and the nonce's.
- A rate limit per client address on challenges and sign-ins together (`per_ip` per `window`
  seconds, the relay's `RateLimiter`): one address asking for challenges in a loop is
  refused (429) long before the nonces waiting reach `max_nonces`, so it cannot make the
  sign-in busy for the staff (one address holds at most per_ip * nonce_ttl / window nonces).
- A session is a random token in an HttpOnly, SameSite=Strict cookie (Secure outside
  localhost), with a second random token (CSRF) the page sends in a header on every
  state-changing request. It ends on sign-out, after `idle` seconds without a request, or
  `longest` seconds after sign-in, whichever comes first.

Sessions and nonces live in the server's memory: they die with the process (staff sign in
again after a restart) and never reach a disk. One process serves the site, so nothing needs
sharing.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import siwe

from memberledger.errors import InvalidField
from memberledger.identifiers import parse_wallet
from memberledger.site.refusals import RelayRefused
from memberledger.site.relay import RateLimiter, limited

#: The cookie that carries a staff session (its path is /admin only).
SESSION_COOKIE = "memberledger_staff"
#: The header the page puts the session's CSRF token in on every POST.
CSRF_HEADER = "x-csrf-token"
STATEMENT = "Sign in to the MemberLedger staff dashboard."
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class SignInSettings:
    """Where staff sign in (`origin`: scheme, host and port the browser sees), on which chain,
    and how long nonces and sessions live (seconds)."""

    origin: str
    chain_id: int
    nonce_ttl: float = 300.0
    idle: float = 900.0
    longest: float = 12 * 3600.0
    #: Nonces waiting for their signature at most: past this, challenges are refused (busy)
    #: until some are used or expire, so that asking for challenges cannot fill the memory.
    max_nonces: int = 10_000
    #: Challenges and sign-ins allowed per client address in any `window` seconds.
    per_ip: int = 30
    window: float = 60.0

    @property
    def domain(self) -> str:
        return urlsplit(self.origin).netloc

    @property
    def uri(self) -> str:
        return self.origin.rstrip("/") + "/admin"

    @property
    def secure_cookie(self) -> bool:
        """Secure everywhere but on this machine (a browser keeps no Secure cookie over plain
        http, and localhost is plain http in development)."""
        return urlsplit(self.origin).hostname not in _LOCAL_HOSTS


@dataclass
class StaffSession:
    token: str
    address: str
    roles: frozenset[str]
    csrf: str
    started: float
    seen: float


class StaffSignIn:
    """Nonces handed out and sessions open, in memory; `clock` is seconds since the epoch."""

    def __init__(self, settings: SignInSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._nonces: dict[str, float] = {}
        self._sessions: dict[str, StaffSession] = {}
        self._lock = threading.Lock()
        self._per_ip = RateLimiter(settings.per_ip, settings.window, clock)

    # ------------------------------------------------------------------ signing in

    def admit(self, client: str) -> None:
        """Count one challenge or sign-in from `client` (its IP address); 429 past the
        limit."""
        limited(self._per_ip.hit(f"staff:{client}"), "rate_limited_ip")

    def challenge(self, address: str) -> str:
        """The EIP-4361 message `address` should sign: this site, this chain, a fresh nonce."""
        try:
            wallet = parse_wallet(address)
        except InvalidField as exc:
            raise RelayRefused(400, "bad_request", field="address") from exc
        now = self._clock()
        nonce = siwe.generate_nonce()
        with self._lock:
            self._forget_stale(now)
            if len(self._nonces) >= self.settings.max_nonces:
                raise RelayRefused(503, "busy")
            self._nonces[nonce] = now + self.settings.nonce_ttl
        message = siwe.SiweMessage(
            domain=self.settings.domain,
            address=wallet,
            statement=STATEMENT,
            uri=self.settings.uri,
            version="1",
            chain_id=self.settings.chain_id,
            nonce=nonce,
            issued_at=_iso(now),
            expiration_time=_iso(now + self.settings.nonce_ttl),
        )
        return str(message.prepare_message())

    def verify(self, text: str, signature: str) -> str:
        """The checksummed address that signed `text`, a message from `challenge`; refused
        (401) when anything is off. The nonce is spent whatever the outcome."""
        try:
            message = siwe.SiweMessage.from_message(message=text)
        except Exception as exc:  # siwe raises ValueError and pydantic's errors alike
            raise RelayRefused(401, "sign_in_refused", field="message") from exc
        now = self._clock()
        with self._lock:
            valid_until = self._nonces.pop(str(message.nonce), None)
        if valid_until is None or valid_until < now:
            raise RelayRefused(401, "sign_in_nonce")
        if (
            message.domain != self.settings.domain
            or message.uri != self.settings.uri
            or int(message.chain_id) != self.settings.chain_id
        ):
            raise RelayRefused(401, "sign_in_domain")
        try:
            message.verify(
                signature,
                domain=self.settings.domain,
                nonce=str(message.nonce),
                timestamp=dt.datetime.fromtimestamp(now, dt.UTC),
            )
        except (siwe.ExpiredMessage, siwe.NotYetValidMessage) as exc:
            raise RelayRefused(401, "sign_in_expired") from exc
        except siwe.DomainMismatch as exc:
            raise RelayRefused(401, "sign_in_domain") from exc
        except Exception as exc:  # InvalidSignature, MalformedSession, a bad hex string
            raise RelayRefused(401, "sign_in_refused", field="signature") from exc
        return str(message.address)

    # ------------------------------------------------------------------ sessions

    def open_session(self, address: str, roles: frozenset[str]) -> StaffSession:
        now = self._clock()
        session = StaffSession(
            token=secrets.token_urlsafe(32),
            address=address,
            roles=roles,
            csrf=secrets.token_urlsafe(32),
            started=now,
            seen=now,
        )
        with self._lock:
            self._sessions[session.token] = session
        return session

    def session(self, token: str | None) -> StaffSession:
        """The live session of `token`, its idle clock restarted; refused (401) when there is
        none, or it sat idle too long or is older than the longest allowed."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token or "")
            if session is None:
                raise RelayRefused(401, "signed_out")
            if (
                now - session.seen > self.settings.idle
                or now - session.started > self.settings.longest
            ):
                del self._sessions[session.token]
                raise RelayRefused(401, "signed_out")
            session.seen = now
            return session

    def check_csrf(self, session: StaffSession, sent: str | None) -> None:
        """A state-changing request must carry the session's CSRF token in `CSRF_HEADER`."""
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise RelayRefused(403, "csrf")

    def close(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def _forget_stale(self, now: float) -> None:
        for nonce in [n for n, until in self._nonces.items() if until < now]:
            del self._nonces[nonce]
        for token in [t for t, s in self._sessions.items() if now - s.seen > self.settings.idle]:
            del self._sessions[token]


def _iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(int(seconds), dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")
