"""The gas-free consent relay: a member signs a consent change (EIP-712) in their wallet, and
the relay submits it with the operator's account, which pays the gas.

The relay signs nothing of its own choosing: the only transaction it ever sends is
`setConsentBySig` carrying a member's signature, and only after every check that could make
that transaction fail has passed, cheapest first, so a bad request costs the operator nothing:

1. the client's address is under its rate limit (every request counts);
2. the request is well formed: a small JSON object with exactly the fields of
   `IMembershipRegistry.ConsentChange`, a 65-byte signature and, if given, the chain id and
   registry it was signed for, which must be this relay's;
3. the deadline is neither past (nor too close to pass before the transaction is mined) nor
   further ahead than `MAX_SIGNATURE_LIFETIME`;
4. the signature recovers to the member over the typed data of this chain and registry
   (`check_domain` proves at start-up that the registry hashes it the same way);
5. the member is under their own rate limit (only requests they really signed count, so no
   one can use up a member's allowance for them);
6. on the chain: the registry is not paused, the member is enrolled (active or suspended),
   the policy version is the current one, the nonce is the member's current nonce, and the
   change changes something;
7. a dry run of the transaction (`eth_call`) succeeds.

Refusals are `RelayRefused` with an HTTP status, a short code and a sentence the member page
shows as it is.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from memberledger.chain.reads import ChainStatus, read_member, revert_reason, tx_hex
from memberledger.consent import KNOWN_CONSENT_FLAGS
from memberledger.errors import ConfigError, MemberLedgerError

#: EIP-712 domain of the registry (`EIP712("MemberLedger MembershipRegistry", "1")`).
EIP712_NAME = "MemberLedger MembershipRegistry"
EIP712_VERSION = "1"
#: `IMembershipRegistry.ConsentChange`, field by field, as the registry's type hash spells it.
CONSENT_CHANGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("member", "address"),
    ("flags", "uint16"),
    ("policyVersion", "uint16"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
#: Largest request body accepted, in bytes.
MAX_BODY_BYTES = 2048
#: A deadline closer than this is refused: the transaction could be mined after it.
MIN_DEADLINE_MARGIN = 10
#: A deadline further ahead than this is refused: signatures should not live for weeks.
MAX_SIGNATURE_LIFETIME = 24 * 3600
#: Statuses whose consent the relay pays for: enrolled members.
ENROLLED = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)

_SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_BAD_SIGNATURE = "The signature is not valid. Save again to sign anew."
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_DECIMAL = re.compile(r"[0-9]{1,78}")
_REQUIRED = frozenset(name for name, _ in CONSENT_CHANGE_FIELDS) | {"signature"}
_OPTIONAL = frozenset({"chainId", "verifyingContract"})


class RelayRefused(MemberLedgerError):
    """A request the relay will not submit: `status` is the HTTP status, `code` a stable
    word for programs, `message` a sentence for the member."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass(frozen=True)
class ConsentChange:
    """`IMembershipRegistry.ConsentChange`: what the member signs."""

    member: str
    flags: int
    policy_version: int
    nonce: int
    deadline: int

    def as_struct(self) -> tuple[str, int, int, int, int]:
        return (self.member, self.flags, self.policy_version, self.nonce, self.deadline)


@dataclass(frozen=True)
class SignedConsentChange:
    """A relay request: the change, the member's signature, and where they say it goes."""

    change: ConsentChange
    signature: bytes
    chain_id: int | None = None
    verifying_contract: str | None = None


@dataclass(frozen=True)
class Relayed:
    """A consent change the relay submitted and the chain accepted."""

    tx_hash: str
    block_number: int
    member: str
    flags: int

    def as_json(self) -> dict[str, Any]:
        return {
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "member": self.member,
            "flags": self.flags,
        }


@dataclass(frozen=True)
class RelayLimits:
    """Requests allowed per `window` seconds: per client IP (all requests) and per member
    (requests carrying the member's valid signature)."""

    per_ip: int = 30
    per_member: int = 5
    window: float = 60.0


def typed_data(change: ConsentChange, chain_id: int, registry: str) -> dict[str, Any]:
    """The EIP-712 message a wallet shows and signs (`eth_signTypedData_v4`)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "ConsentChange": [{"name": name, "type": kind} for name, kind in CONSENT_CHANGE_FIELDS],
        },
        "primaryType": "ConsentChange",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": registry,
        },
        "message": {
            "member": change.member,
            "flags": change.flags,
            "policyVersion": change.policy_version,
            "nonce": change.nonce,
            "deadline": change.deadline,
        },
    }


def consent_change_digest(change: ConsentChange, chain_id: int, registry: str) -> bytes:
    """The EIP-712 digest of `change` (what `registry.consentChangeDigest` returns)."""
    signable = encode_typed_data(full_message=typed_data(change, chain_id, registry))
    digest: bytes = keccak(b"\x19" + signable.version + signable.header + signable.body)
    return digest


def recover_signer(change: ConsentChange, signature: bytes, chain_id: int, registry: str) -> str:
    """The address whose key made `signature` over `change`, or `RelayRefused` when the
    signature is not one the registry would accept (OpenZeppelin's ECDSA: v 27 or 28, low s)."""
    if len(signature) != 65:
        raise RelayRefused(400, "bad_request", "The signature must be 65 bytes.")
    s = int.from_bytes(signature[32:64], "big")
    if signature[64] not in (27, 28) or not 0 < s <= _SECP256K1_HALF_ORDER:
        raise RelayRefused(
            400, "bad_signature", "The signature is not valid. Save again to sign anew."
        )
    signable = encode_typed_data(full_message=typed_data(change, chain_id, registry))
    try:
        signer: str = Account.recover_message(signable, signature=signature)
    except Exception as exc:  # eth_keys' BadSignature and friends
        raise RelayRefused(400, "bad_signature", _BAD_SIGNATURE) from exc
    return signer


def parse_request(body: bytes) -> SignedConsentChange:
    """A relay request from its JSON body, or `RelayRefused` (400) saying what is wrong.

    Numbers may be JSON integers or decimal strings (a browser cannot hold a uint256 in a
    JSON number); nothing but the known fields is accepted.
    """
    if len(body) > MAX_BODY_BYTES:
        raise RelayRefused(413, "too_large", f"The request is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RelayRefused(400, "bad_request", "The request is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise RelayRefused(400, "bad_request", "The request must be a JSON object.")
    missing = sorted(_REQUIRED - data.keys())
    unknown = sorted(data.keys() - _REQUIRED - _OPTIONAL)
    if missing:
        raise RelayRefused(400, "bad_request", f"The request lacks {', '.join(missing)}.")
    if unknown:
        raise RelayRefused(400, "bad_request", f"Unknown fields: {', '.join(unknown)}.")
    flags = _uint(data, "flags", 16)
    if flags & ~int(KNOWN_CONSENT_FLAGS):
        raise RelayRefused(400, "bad_request", f"The flags {flags:#x} name unknown purposes.")
    change = ConsentChange(
        member=_address(data, "member"),
        flags=flags,
        policy_version=_uint(data, "policyVersion", 16),
        nonce=_uint(data, "nonce", 256),
        deadline=_uint(data, "deadline", 256),
    )
    signature = data["signature"]
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise RelayRefused(400, "bad_request", "The signature must be 0x and 130 hex digits.")
    return SignedConsentChange(
        change=change,
        signature=bytes.fromhex(signature[2:]),
        chain_id=_uint(data, "chainId", 256) if "chainId" in data else None,
        verifying_contract=(
            _address(data, "verifyingContract") if "verifyingContract" in data else None
        ),
    )


def _uint(data: dict[str, Any], name: str, bits: int) -> int:
    value = data[name]
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**bits:
        raise RelayRefused(400, "bad_request", f"{name} must be a whole number below 2^{bits}.")
    return value


def _address(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise RelayRefused(400, "bad_request", f"{name} must be an address (0x and 40 hex digits).")
    return str(to_checksum_address(value))


class RateLimiter:
    """At most `limit` hits per key in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit; None when allowed, else the seconds until the next one would be."""
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys, keep memory bounded
                self._hits = {
                    k: v for k, v in self._hits.items() if v and v[-1] > now - self.window
                }
            return None


@dataclass
class ConsentRelay:
    """Checks members' signed consent changes and submits the good ones as `sender`.

    `registry` is the Ape contract, `chain` Ape's chain manager. Chain access is serialised
    by one lock, so concurrent requests cannot race for the sender's nonce.
    """

    registry: Any
    sender: Any
    chain: Any
    limits: RelayLimits = field(default_factory=RelayLimits)
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _per_ip: RateLimiter = field(init=False, repr=False)
    _per_member: RateLimiter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._per_ip = RateLimiter(self.limits.per_ip, self.limits.window)
        self._per_member = RateLimiter(self.limits.per_member, self.limits.window)

    @property
    def chain_id(self) -> int:
        return int(self.chain.chain_id)

    @property
    def registry_address(self) -> str:
        return str(to_checksum_address(str(self.registry.address)))

    @property
    def relayer(self) -> str:
        return str(self.sender.address)

    def check_domain(self) -> None:
        """Prove that this relay and the registry hash consent changes alike, so every
        signature the relay accepts is one the registry accepts too."""
        sample = ConsentChange(self.relayer, 1, 1, 0, 2**40)
        local = consent_change_digest(sample, self.chain_id, self.registry_address)
        onchain = bytes(self.registry.consentChangeDigest(sample.as_struct()))
        if local != onchain:
            raise ConfigError(
                f"the registry at {self.registry_address} hashes consent changes differently "
                "from this relay (another EIP-712 name, version or type): refusing to relay"
            )

    def relay(self, body: bytes, client: str) -> Relayed:
        """Check one request from `client` (an IP address) and submit it; see the module
        docstring for the checks, in order."""
        _limited(self._per_ip.hit(f"ip:{client}"), "from your network")
        request = parse_request(body)
        change = request.change
        if request.chain_id is not None and request.chain_id != self.chain_id:
            raise RelayRefused(
                400,
                "wrong_chain",
                f"This was signed for chain {request.chain_id}, but the programme runs on chain "
                f"{self.chain_id}. Switch your wallet's network and save again.",
            )
        if request.verifying_contract not in (None, self.registry_address):
            raise RelayRefused(
                400,
                "wrong_contract",
                "This was signed for another contract than the programme's registry. "
                "Reload the page and save again.",
            )
        self._check_deadline(change.deadline)
        signer = recover_signer(change, request.signature, self.chain_id, self.registry_address)
        if signer != change.member:
            raise RelayRefused(
                400,
                "bad_signature",
                "The signature does not belong to this member on this programme's chain and "
                "registry. Reload the page and save again.",
            )
        _limited(self._per_member.hit(f"member:{change.member}"), "for this membership")
        with self._lock:
            self._check_chain(change)
            return self._submit(request)

    def _check_deadline(self, deadline: int) -> None:
        now = int(self.clock())
        if deadline < now + MIN_DEADLINE_MARGIN:
            raise RelayRefused(
                400, "expired", "This signed change has expired. Save again to sign a new one."
            )
        if deadline > now + MAX_SIGNATURE_LIFETIME:
            raise RelayRefused(
                400,
                "deadline_too_far",
                f"A signed change may be valid for at most {MAX_SIGNATURE_LIFETIME // 3600} hours.",
            )

    def _check_chain(self, change: ConsentChange) -> None:
        registry = self.registry
        if bool(registry.paused()):
            raise RelayRefused(
                503,
                "paused",
                "The programme is paused for maintenance. Please try again later.",
            )
        member = read_member(registry, change.member)
        if member.status not in ENROLLED:
            raise RelayRefused(
                403,
                "not_member",
                "This wallet is not an enrolled member, so the programme cannot save its "
                "choices without a fee.",
            )
        current_policy = int(registry.policyVersion())
        if change.policy_version != current_policy:
            raise RelayRefused(
                409,
                "stale_policy",
                f"This was agreed to privacy policy version {change.policy_version}, but the "
                f"current one is {current_policy}. Reload the page and save again.",
            )
        current_nonce = int(registry.nonces(change.member))
        if change.nonce != current_nonce:
            raise RelayRefused(
                409,
                "used_nonce",
                "This signed change was already used or cancelled. Reload the page and save again.",
            )
        if member.consent == change.flags and member.policy_version == change.policy_version:
            raise RelayRefused(
                409, "nothing_to_change", "Nothing to save: these choices are already on record."
            )

    def _submit(self, request: SignedConsentChange) -> Relayed:
        change = request.change
        method = self.registry.setConsentBySig
        arguments = (change.as_struct(), request.signature)
        try:
            method.call(*arguments, sender=self.sender)
        except Exception as exc:  # the dry run reverted: nothing was sent
            raise RelayRefused(
                409,
                "refused_by_chain",
                f"The programme's registry would refuse this change ({revert_reason(exc)}). "
                "Reload the page and save again.",
            ) from exc
        receipt = method(*arguments, sender=self.sender)
        return Relayed(
            tx_hash=tx_hex(receipt.txn_hash),
            block_number=int(receipt.block_number),
            member=change.member,
            flags=change.flags,
        )


def _limited(retry_after: float | None, scope: str) -> None:
    if retry_after is not None:
        seconds = max(1, int(retry_after + 0.999))
        raise RelayRefused(
            429,
            "rate_limited",
            f"Too many requests {scope} in a short time. "
            f"Please wait {seconds} seconds and try again.",
            retry_after=seconds,
        )
