"""What the site says when it will not do something: one stable code and one fixed sentence per
refusal, and logs that keep secrets out.

Nothing a client sent and nothing an upstream node said is ever echoed back: a refusal is
`{"error": code, "message": SENTENCES[code], "field": name}`, the page shows its own
translation of the code, and upstream detail goes to the log only, through `redact`, which
cuts URLs to their host (an RPC URL's path or query often holds an API key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from memberledger.errors import MemberLedgerError

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")

#: The one sentence a client sees for each refusal code. The relay's sentences fit both of
#: its requests (a consent change and a redemption): the page says its own, per request.
SENTENCES: Mapping[str, str] = {
    "bad_request": "The request is not one the relay understands. Reload the page and try again.",
    "too_large": "The request is too large.",
    "media_type": "Send the request as application/json.",
    "timeout": "The request took too long to arrive. Please try again.",
    "bad_signature": (
        "The signature does not belong to this membership on this programme's network. "
        "Reload the page and try again."
    ),
    "wrong_chain": (
        "This was signed for another network than the programme's. "
        "Switch your wallet's network and try again."
    ),
    "wrong_contract": (
        "This was signed for another contract than the programme's. Reload the page and try again."
    ),
    "expired": "This signed request expires too soon to be sent. Try again to sign a new one.",
    "deadline_too_far": (
        "A signed request may be valid for at most 24 hours. Try again to sign a new one."
    ),
    "not_member": (
        "This wallet is not an enrolled member, so the programme cannot act for it without a fee."
    ),
    "not_active": (
        "This membership is not active (suspended, ended or moved), so it cannot redeem rewards."
    ),
    "stale_policy": (
        "The privacy policy changed since this page was loaded. Reload the page and save again."
    ),
    "used_nonce": (
        "This signed request was already used or cancelled. Reload the page and try again."
    ),
    "nothing_to_change": "Nothing to save: these choices are already on record.",
    "unknown_reward": (
        "This reward is no longer in the programme's catalogue. Reload the page to see the "
        "rewards on offer."
    ),
    "cost_changed": (
        "The price of this reward changed after you signed. Reload the page to see the current "
        "price, then redeem again."
    ),
    "not_enough_points": "This membership does not have enough points for this reward.",
    "in_flight": (
        "Another request of this membership is being sent right now. "
        "Wait a moment, reload the page and try again."
    ),
    "paused": "The programme is paused for maintenance. Please try again later.",
    "refused_by_chain": (
        "The programme's contract would refuse this request. Reload the page and try again."
    ),
    "rate_limited_ip": (
        "Too many requests from your network in a short time. Please wait and try again."
    ),
    "rate_limited_member": (
        "Too many requests for this membership in a short time. Please wait and try again."
    ),
    "unavailable": "The relay could not reach the programme's network. Please try again later.",
    "busy": "The relay is busy. Please try again in a moment.",
    "not_found": "There is nothing here.",
    "method": "This address does not take that method.",
    "no_relay": "No relay runs here.",
    # The staff dashboard (/admin).
    "sign_in_refused": "The sign-in signature could not be checked. Sign in again.",
    "sign_in_nonce": "This sign-in request was already used or is too old. Sign in again.",
    "sign_in_domain": (
        "This sign-in message was made for another site or network. Sign in again here."
    ),
    "sign_in_expired": "This sign-in message has expired. Sign in again.",
    "no_role": "This wallet holds no role in the programme's contracts, so it cannot sign in.",
    "signed_out": "You are signed out (or were idle too long). Sign in again.",
    "csrf": "The request did not carry this session's security token. Reload the page.",
    "forbidden": "Your roles do not allow this. Ask the programme's admin.",
    "unknown_member": "No member with this id or wallet.",
    "no_dashboard": "No staff dashboard runs here.",
    "not_current": "This membership has ended (revoked, erased or moved): it cannot change.",
    "not_mined": "The transaction is not mined yet. Check again in a moment.",
    "enrollment_unfinished": (
        "This member is in an enrollment batch that has not finished: run `ape run enroll` "
        "with their file again, then erase."
    ),
    "update_waiting": (
        "An earlier update of this member's data is waiting for the chain. Finish it with "
        "`ape run members update MEMBER`, then update again."
    ),
    "move_pending": (
        "A move of this membership is pending already: cancel it first, then propose another."
    ),
    "no_move_pending": "No move of this membership is pending (cancelled, vetoed or never made).",
    "move_not_ready": (
        "The move's waiting time has not passed yet: it can be completed from the time shown."
    ),
    "wallet_taken": (
        "This wallet is or was a member's (or is the member's own): a membership moves only to "
        "a wallet that never was one. Ask the member for a fresh wallet."
    ),
    "not_done": (
        "That transaction did not do this: it failed, went elsewhere, or was sent by another "
        "wallet. Nothing was recorded."
    ),
}


class RelayRefused(MemberLedgerError):
    """A request the site will not serve: `status` is the HTTP status, `code` a stable word
    whose sentence is `SENTENCES[code]`, `field` (if any) the request field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(status, code)
        if code not in SENTENCES:
            raise ValueError(f"no sentence for refusal code {code!r}")
        self.status = status
        self.code = code
        self.field = field
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return SENTENCES[self.code]

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            answer["field"] = self.field
        return answer

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.status} {self.code}{where}: {self.message}"


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` fit for a log: every URL cut to its scheme and host (an RPC URL's path or query
    often holds an API key; user:password@ goes too), and each of `secrets` replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")

    def host_only(match: re.Match[str]) -> str:
        scheme, _, rest = match.group(0).partition("://")
        host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        return f"{scheme}://{host}/[redacted]"

    return _URL.sub(host_only, text)
