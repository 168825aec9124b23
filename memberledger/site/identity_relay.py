"""The gas-free identity registration: a member signs an `IdentityRegistration` (EIP-712) in
their wallet, and the relay submits `registerIdentityBySig` with the operator's account.

The same discipline as the consent relay (`memberledger.relay`), cheapest check first, so a
bad request costs the operator nothing: rate limit per client; a well-formed body with
exactly the fields of `IMembershipProofs.IdentityRegistration` and a 65-byte low-s signature;
a deadline neither past nor far ahead; the signature recovers to the member over this chain's
and contract's typed data; the member's own rate limit; on chain, the member is Active and the
nonce current; a dry run succeeds. Refusals are the site relay's `RelayRefused` (a status and
a code whose fixed sentence the page translates), so nothing a client sent is echoed back.
It sends with the relay's own account, which holds no role (`registerIdentityBySig` needs none).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from memberledger.chain.reads import revert_reason, tx_hex
from memberledger.site.refusals import RelayRefused
from memberledger.site.relay import MAX_SIGNATURE_LIFETIME, RateLimiter, RelaySettings
from memberledger.site.signed_requests import MAX_BODY_BYTES

log = logging.getLogger("memberledger.site.identity_relay")

IDENTITY_RELAY_PATH = "/relay/identity"
EIP712_NAME = "MemberLedger MembershipProofs"
EIP712_VERSION = "1"
FIELDS: tuple[tuple[str, str], ...] = (
    ("member", "address"),
    ("identityCommitment", "uint256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_DECIMAL = re.compile(r"[0-9]{1,78}")
_KEYS = frozenset(name for name, _ in FIELDS) | {"signature"}


@dataclass(frozen=True)
class IdentityRegistration:
    member: str
    identity_commitment: int
    nonce: int
    deadline: int

    def as_struct(self) -> tuple[str, int, int, int]:
        return (self.member, self.identity_commitment, self.nonce, self.deadline)


def typed_data(registration: IdentityRegistration, chain_id: int, proofs: str) -> dict[str, Any]:
    """The EIP-712 message a wallet shows and signs (`eth_signTypedData_v4`)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "IdentityRegistration": [{"name": n, "type": t} for n, t in FIELDS],
        },
        "primaryType": "IdentityRegistration",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": proofs,
        },
        "message": {
            "member": registration.member,
            "identityCommitment": registration.identity_commitment,
            "nonce": registration.nonce,
            "deadline": registration.deadline,
        },
    }


def parse_registration(body: bytes) -> tuple[IdentityRegistration, bytes]:
    """The registration and signature of a request body, or `RelayRefused` (400)."""
    if len(body) > MAX_BODY_BYTES:
        raise RelayRefused(413, "too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RelayRefused(400, "bad_request") from exc
    if not isinstance(data, dict) or data.keys() != _KEYS:
        raise RelayRefused(400, "bad_request")
    member = data["member"]
    if not isinstance(member, str) or not _ADDRESS.fullmatch(member):
        raise RelayRefused(400, "bad_request", field="member")
    values = {}
    for name in ("identityCommitment", "nonce", "deadline"):
        value = data[name]
        if isinstance(value, str) and _DECIMAL.fullmatch(value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**256:
            raise RelayRefused(400, "bad_request", field=name)
        values[name] = value
    if not 0 < values["identityCommitment"] < SNARK_SCALAR_FIELD:
        raise RelayRefused(400, "bad_request", field="identityCommitment")
    signature = data["signature"]
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise RelayRefused(400, "bad_request", field="signature")
    raw = bytes.fromhex(signature[2:])
    if raw[64] not in (27, 28) or not 0 < int.from_bytes(raw[32:64], "big") <= _HALF_ORDER:
        raise RelayRefused(400, "bad_signature", field="signature")
    registration = IdentityRegistration(
        str(to_checksum_address(member)),
        values["identityCommitment"],
        values["nonce"],
        values["deadline"],
    )
    return registration, raw


@dataclass
class IdentityRelay:
    """Checks signed identity registrations and submits the good ones as `sender`."""

    proofs: Any
    registry: Any
    sender: Any
    chain_id: int
    limits: RelaySettings = field(default_factory=RelaySettings)
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _per_ip: RateLimiter = field(init=False, repr=False)
    _per_member: RateLimiter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._per_ip = RateLimiter(self.limits.per_ip, self.limits.window)
        self._per_member = RateLimiter(self.limits.per_member, self.limits.window)

    def relay(self, body: bytes, client: str) -> dict[str, Any]:
        _limited(self._per_ip.hit(f"ip:{client}"), "rate_limited_ip")
        registration, signature = parse_registration(body)
        now = int(self.clock())
        if registration.deadline < now + self.limits.deadline_margin:
            raise RelayRefused(400, "expired", field="deadline")
        if registration.deadline > now + MAX_SIGNATURE_LIFETIME:
            raise RelayRefused(400, "deadline_too_far", field="deadline")
        proofs_address = str(to_checksum_address(str(self.proofs.address)))
        signable = encode_typed_data(
            full_message=typed_data(registration, self.chain_id, proofs_address)
        )
        try:
            signer = Account.recover_message(signable, signature=signature)
        except Exception as exc:  # eth_keys' BadSignature and friends
            raise RelayRefused(400, "bad_signature", field="signature") from exc
        if signer != registration.member:
            raise RelayRefused(400, "bad_signature", field="signature")
        _limited(self._per_member.hit(f"member:{registration.member}"), "rate_limited_member")
        with self._lock:
            if not bool(self.registry.isActive(registration.member)):
                raise RelayRefused(403, "not_member")
            if int(self.proofs.nonces(registration.member)) != registration.nonce:
                raise RelayRefused(409, "used_nonce", field="nonce")
            method = self.proofs.registerIdentityBySig
            arguments = (registration.as_struct(), signature)
            try:
                method.call(*arguments, sender=self.sender)
            except Exception as exc:
                log.info("identity registration refused by the chain: %s", revert_reason(exc))
                raise RelayRefused(409, "refused_by_chain") from exc
            receipt = method(*arguments, sender=self.sender)
        return {"txHash": tx_hex(receipt.txn_hash), "blockNumber": int(receipt.block_number)}


def _limited(retry_after: float | None, code: str) -> None:
    if retry_after is not None:
        raise RelayRefused(429, code, retry_after=max(1, int(retry_after + 0.999)))
