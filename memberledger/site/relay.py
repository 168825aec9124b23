"""The gas-free relay: a member signs a change in their wallet (EIP-712) and the relay sends it
with its own account, which pays the gas. Today's one change is consent
(`setConsentBySig`); gas-free redemption (`LoyaltyPoints.redeemBySig`) will join it with the
same checks once the contract has it.

The relay pays for strangers, so every check that could make the transaction fail runs
first, cheapest first, and a request that would revert costs the relayer nothing:

1. the client's address is under its rate limit (every request counts);
2. the request is well formed: a small JSON object with exactly the signed struct's fields,
   a signature, and, if given, the chain id and contract it was signed for, which must be
   this relay's. Signatures are normalised where that is safe: v = 0/1 (Ledger through
   MetaMask) becomes 27/28 and an EIP-2098 64-byte compact signature is expanded; the
   contract stays strict and is only ever sent the 65-byte form;
3. the deadline is at least `RelaySettings.deadline_margin` seconds (minutes, not seconds)
   after the latest block, so it cannot pass before the transaction is mined, and not further
   ahead than `MAX_SIGNATURE_LIFETIME`;
4. the signature is the member's over this chain's and contract's typed data: recovered for an
   ordinary wallet, or, for a contract wallet (a Safe), confirmed by the wallet itself through
   ERC-1271 `isValidSignature`, exactly as the contract's `SignatureChecker` will;
5. on the chain (read in one batch with the latest block): not paused, the member enrolled,
   and the nonce the member's current one; else the signature is not *fresh* (a replay of a
   used, public signature) and is refused before it touches the member's quota;
6. the member is under their own rate limit: only fresh signatures count, so nobody can use up
   a member's allowance by replaying what the member once signed;
7. the policy is the current one and the change changes something;
8. no other request of this member is in flight (one of the two would revert);
9. a dry run (`eth_estimateGas` on the pending state) succeeds.

Sending holds a lock only while a nonce is taken, the transaction signed and handed to the
node (milliseconds); several transactions are in flight at once and receipts are awaited
without any lock.

Refusals are `RelayRefused`: an HTTP status, a stable code, and a fixed sentence per code
(`SENTENCES`; the page shows its own translation of the code). Nothing a client sent and
nothing an upstream node said is echoed back; upstream detail goes to the log only, through
`redact`, which removes URLs (an RPC URL may carry an API key).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from memberledger.chain.reads import ChainStatus
from memberledger.chain.rpc import NodeClient
from memberledger.chain.signer import Signer, UnsignedTx
from memberledger.consent import KNOWN_CONSENT_FLAGS
from memberledger.errors import ConfigError, MemberLedgerError, RpcError

log = logging.getLogger("memberledger.relay")

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
#: Largest request body accepted, in bytes (a Safe's signature of a few owners fits).
MAX_BODY_BYTES = 4096
#: Longest signature accepted, in bytes (contract wallets' signatures are longer than 65).
MAX_SIGNATURE_BYTES = 1024
#: A deadline further ahead than this is refused: signatures should not live for weeks.
MAX_SIGNATURE_LIFETIME = 24 * 3600
#: Default margin between the latest block and a request's deadline, in seconds.
DEFAULT_DEADLINE_MARGIN = 120
#: Statuses whose changes the relay pays for: enrolled members.
ENROLLED = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)
#: Times a transaction is signed anew when its nonce was taken by someone else.
SEND_ATTEMPTS = 3
#: ERC-1271's answer for a valid signature: `isValidSignature.selector`.
ERC1271_MAGIC = bytes.fromhex("1626ba7e")

_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SECP256K1_HALF_ORDER = _SECP256K1_ORDER // 2
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(rf"0x(?:[0-9a-fA-F]{{2}}){{64,{MAX_SIGNATURE_BYTES}}}")
_DECIMAL = re.compile(r"[0-9]{1,78}")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")

#: The one sentence a client sees for each refusal code.
SENTENCES: Mapping[str, str] = {
    "bad_request": "The request is not one the relay understands. Reload the page and try again.",
    "too_large": "The request is too large.",
    "media_type": "Send the request as application/json.",
    "timeout": "The request took too long to arrive. Please try again.",
    "bad_signature": (
        "The signature does not belong to this membership on this programme's network. "
        "Reload the page and save again."
    ),
    "wrong_chain": (
        "This was signed for another network than the programme's. "
        "Switch your wallet's network and save again."
    ),
    "wrong_contract": (
        "This was signed for another contract than the programme's. Reload the page and save again."
    ),
    "expired": "This signed change expires too soon to be saved. Save again to sign a new one.",
    "deadline_too_far": "A signed change may be valid for at most 24 hours. Save again.",
    "not_member": (
        "This wallet is not an enrolled member, so the programme cannot save its choices "
        "without a fee."
    ),
    "stale_policy": (
        "The privacy policy changed since this page was loaded. Reload the page and save again."
    ),
    "used_nonce": (
        "This signed change was already used or cancelled. Reload the page and save again."
    ),
    "nothing_to_change": "Nothing to save: these choices are already on record.",
    "in_flight": (
        "Another change to this membership is being saved right now. "
        "Wait a moment, reload the page and try again."
    ),
    "paused": "The programme is paused for maintenance. Please try again later.",
    "refused_by_chain": (
        "The programme's contract would refuse this change. Reload the page and save again."
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
}


class RelayRefused(MemberLedgerError):
    """A request the relay will not send: `status` is the HTTP status, `code` a stable word
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


# ---------------------------------------------------------------------- signatures


def normalise_signature(signature: bytes) -> bytes:
    """The 65-byte r ‖ s ‖ v (v 27 or 28) form of an ECDSA signature the registry accepts, from
    what wallets really send: v 0/1 (Ledger through MetaMask) or EIP-2098's 64-byte compact
    r ‖ yParityAndS. Anything else (including a high s, which the contract refuses) raises
    `RelayRefused`; contract wallets' signatures never come here."""
    if len(signature) == 64:
        r, vs = signature[:32], int.from_bytes(signature[32:], "big")
        s = vs & ((1 << 255) - 1)
        signature = r + s.to_bytes(32, "big") + bytes([27 + (vs >> 255)])
    if len(signature) != 65:
        raise RelayRefused(400, "bad_signature", field="signature")
    v = signature[64]
    if v in (0, 1):
        signature = signature[:64] + bytes([v + 27])
    s = int.from_bytes(signature[32:64], "big")
    if signature[64] not in (27, 28) or not 0 < s <= _SECP256K1_HALF_ORDER:
        raise RelayRefused(400, "bad_signature", field="signature")
    return signature


def recover(digest: bytes, signature: bytes) -> str | None:
    """The address whose key made the 65-byte `signature` over `digest`, or None."""
    try:
        signer: str = Account._recover_hash(digest, signature=signature)
    except Exception:  # eth_keys' BadSignature and friends
        return None
    return signer


# ---------------------------------------------------------------------- consent


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


@dataclass(frozen=True)
class SignedRequest:
    """A parsed relay request: the member's change, their signature, and where they say it
    goes. `signature` is as sent (a contract wallet's may be any length)."""

    change: ConsentChange
    signature: bytes
    chain_id: int | None = None
    verifying_contract: str | None = None


def parse_request(body: bytes) -> SignedRequest:
    """A consent request from its JSON body, or `RelayRefused` (400) naming the field.

    Numbers may be JSON integers or decimal strings (a browser cannot hold a uint256 in a
    JSON number); nothing but the known fields is accepted.
    """
    if len(body) > MAX_BODY_BYTES:
        raise RelayRefused(413, "too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RelayRefused(400, "bad_request") from exc
    if not isinstance(data, dict):
        raise RelayRefused(400, "bad_request")
    required = {name for name, _ in CONSENT_CHANGE_FIELDS} | {"signature"}
    missing = sorted(required - data.keys())
    unknown = sorted(data.keys() - required - {"chainId", "verifyingContract"})
    if missing:
        raise RelayRefused(400, "bad_request", field=missing[0])
    if unknown:
        raise RelayRefused(400, "bad_request", field=_field_name(unknown[0]))
    flags = _uint(data, "flags", 16)
    if flags & ~int(KNOWN_CONSENT_FLAGS):
        raise RelayRefused(400, "bad_request", field="flags")
    change = ConsentChange(
        member=_address(data, "member"),
        flags=flags,
        policy_version=_uint(data, "policyVersion", 16),
        nonce=_uint(data, "nonce", 256),
        deadline=_uint(data, "deadline", 256),
    )
    signature = data["signature"]
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise RelayRefused(400, "bad_request", field="signature")
    return SignedRequest(
        change=change,
        signature=bytes.fromhex(signature[2:]),
        chain_id=_uint(data, "chainId", 256) if "chainId" in data else None,
        verifying_contract=(
            _address(data, "verifyingContract") if "verifyingContract" in data else None
        ),
    )


def _field_name(name: object) -> str:
    """A client-sent key, safe to echo: only a short identifier, else a placeholder."""
    text = str(name)
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", text) else "unknown field"


def _uint(data: dict[str, Any], name: str, bits: int) -> int:
    value = data[name]
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**bits:
        raise RelayRefused(400, "bad_request", field=name)
    return value


def _address(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise RelayRefused(400, "bad_request", field=name)
    return str(to_checksum_address(value))


# ---------------------------------------------------------------------- limits


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


@dataclass(frozen=True)
class RelaySettings:
    """Requests allowed per `window` seconds per client IP (all requests) and per member
    (fresh signatures only); the deadline margin in seconds after the latest block."""

    per_ip: int = 30
    per_member: int = 5
    window: float = 60.0
    deadline_margin: int = DEFAULT_DEADLINE_MARGIN
    receipt_timeout: float = 90.0


def _limited(retry_after: float | None, code: str) -> None:
    if retry_after is not None:
        raise RelayRefused(429, code, retry_after=max(1, int(retry_after + 0.999)))


# ---------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Sent:
    """A transaction the relay handed to the node for `member`."""

    tx_hash: str
    member: str
    flags: int


@dataclass(frozen=True)
class Relayed:
    """A relayed change and what became of it: `block_number` None while not yet mined."""

    tx_hash: str
    member: str
    flags: int
    block_number: int | None
    succeeded: bool | None

    def as_json(self) -> dict[str, Any]:
        return {
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "member": self.member,
            "flags": self.flags,
            "pending": self.block_number is None,
        }


class RelayerNonces:
    """Hands out the relayer's transaction nonces so several transactions are in flight at
    once. The lock is held only while one is taken, signed and handed to the node; when the
    node refuses a transaction its nonce was not used, so the count is read again."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._next: int | None = None
        self.lock = threading.Lock()

    @contextmanager
    def take(self, node: NodeClient) -> Iterator[int]:
        with self.lock:
            if self._next is None:
                self._next = node.nonce(self.address, "pending")
            nonce = self._next
            try:
                yield nonce
            except BaseException:
                self._next = None
                raise
            self._next = nonce + 1


def _selector(signature: str) -> bytes:
    return bytes(keccak(text=signature)[:4])


_PAUSED = _selector("paused()")
_MEMBER_OF = _selector("memberOf(address)")
_POLICY_VERSION = _selector("policyVersion()")
_NONCES = _selector("nonces(address)")
_SET_CONSENT_BY_SIG = _selector("setConsentBySig((address,uint16,uint16,uint256,uint256),bytes)")
_IS_VALID_SIGNATURE = _selector("isValidSignature(bytes32,bytes)")


@dataclass
class ConsentRelay:
    """Checks members' signed consent changes and sends the good ones with `signer`.

    `node_url` is the relay's own node (never shown to anyone); each worker thread gets its
    own `NodeClient` for it.
    """

    node_url: str
    chain_id: int
    registry: str
    signer: Signer
    settings: RelaySettings = field(default_factory=RelaySettings)
    _per_ip: RateLimiter = field(init=False, repr=False)
    _per_member: RateLimiter = field(init=False, repr=False)
    _nonces: RelayerNonces = field(init=False, repr=False)
    _in_flight: set[str] = field(default_factory=set, init=False, repr=False)
    _in_flight_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    def __post_init__(self) -> None:
        self.registry = str(to_checksum_address(self.registry))
        self._per_ip = RateLimiter(self.settings.per_ip, self.settings.window)
        self._per_member = RateLimiter(self.settings.per_member, self.settings.window)
        self._nonces = RelayerNonces(self.relayer)

    @property
    def relayer(self) -> str:
        return str(self.signer.address)

    @property
    def node(self) -> NodeClient:
        """This thread's client for the relay's node (a NodeClient is not thread-safe)."""
        node: NodeClient | None = getattr(self._local, "node", None)
        if node is None:
            node = self._local.node = NodeClient(self.node_url, patience=5.0, timeout=20.0)
        return node

    def check_domain(self) -> None:
        """Prove that this relay and the registry hash consent changes alike, so every
        signature the relay accepts is one the registry accepts too."""
        sample = ConsentChange(self.relayer, 1, 1, 0, 2**40)
        local = consent_change_digest(sample, self.chain_id, self.registry)
        data = _selector(
            "consentChangeDigest((address,uint16,uint16,uint256,uint256))"
        ) + abi_encode(["(address,uint16,uint16,uint256,uint256)"], [sample.as_struct()])
        if self.node.eth_call(self.registry, data) != local:
            raise ConfigError(
                f"the registry at {self.registry} hashes consent changes differently "
                "from this relay (another EIP-712 name, version or type): refusing to relay"
            )

    # ------------------------------------------------------------ the checks

    def admit(self, client: str) -> None:
        """Count one request from `client` (an IP address) against its limit."""
        _limited(self._per_ip.hit(f"ip:{client}"), "rate_limited_ip")

    def check_and_send(self, body: bytes) -> Sent:
        """Check one request (see the module docstring for the checks, in order) and hand
        its transaction to the node; blocking, so run it in a worker thread."""
        request = parse_request(body)
        change = request.change
        if request.chain_id is not None and request.chain_id != self.chain_id:
            raise RelayRefused(400, "wrong_chain", field="chainId")
        if request.verifying_contract not in (None, self.registry):
            raise RelayRefused(400, "wrong_contract", field="verifyingContract")
        node = self.node
        latest, paused, record, policy, nonce, code = self._read_chain(change.member)
        self._check_deadline(change.deadline, latest)
        digest = consent_change_digest(change, self.chain_id, self.registry)
        signature = self._verified_signature(digest, request.signature, change.member, code)
        if paused:
            raise RelayRefused(503, "paused")
        status, consent, member_policy = record
        if status not in ENROLLED:
            raise RelayRefused(403, "not_member", field="member")
        if change.nonce != nonce:
            raise RelayRefused(409, "used_nonce", field="nonce")
        # Fresh: the member's own signature over their current nonce. Only now may the
        # request count against the member's allowance.
        _limited(self._per_member.hit(f"member:{change.member}"), "rate_limited_member")
        if change.policy_version != policy:
            raise RelayRefused(409, "stale_policy", field="policyVersion")
        if consent == change.flags and member_policy == change.policy_version:
            raise RelayRefused(409, "nothing_to_change", field="flags")
        data = _SET_CONSENT_BY_SIG + abi_encode(
            ["(address,uint16,uint16,uint256,uint256)", "bytes"], [change.as_struct(), signature]
        )
        with self._only_one(change.member):
            tx_hash = self._send(node, data)
        return Sent(tx_hash, change.member, change.flags)

    def _read_chain(
        self, member: str
    ) -> tuple[int, bool, tuple[ChainStatus, int, int], int, int, bytes]:
        """In one batch: the latest block's time, paused, the member's status, consent and
        policy, the current policy, the member's nonce and their code (contract wallets)."""

        def call(selector: bytes, *arguments: tuple[str, Any]) -> tuple[str, list[Any]]:
            data = selector + abi_encode([a[0] for a in arguments], [a[1] for a in arguments])
            return ("eth_call", [{"to": self.registry, "data": "0x" + data.hex()}, "latest"])

        answers = self._node_batch(
            [
                ("eth_getBlockByNumber", ["latest", False]),
                call(_PAUSED),
                call(_MEMBER_OF, ("address", member)),
                call(_POLICY_VERSION),
                call(_NONCES, ("address", member)),
                ("eth_getCode", [member, "latest"]),
            ]
        )
        block, paused, record, policy, nonce, code = answers
        (_, consent, _, status, member_policy, _) = abi_decode(
            ["bytes20", "uint16", "uint8", "uint8", "uint16", "uint40"], _bytes(record)
        )
        return (
            int(block["timestamp"], 16),
            bool(int.from_bytes(_bytes(paused), "big")),
            (ChainStatus(status), int(consent), int(member_policy)),
            int.from_bytes(_bytes(policy), "big"),
            int.from_bytes(_bytes(nonce), "big"),
            _bytes(code),
        )

    def _node_batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        try:
            answers = self.node.batch(calls)
        except MemberLedgerError as exc:
            log.warning("node unavailable: %s", redact(str(exc), (self.node_url,)))
            raise RelayRefused(502, "unavailable") from exc
        for answer in answers:
            if isinstance(answer, RpcError) or answer is None:
                log.warning("node answered an error: %s", redact(str(answer), (self.node_url,)))
                raise RelayRefused(502, "unavailable")
        return answers

    def _check_deadline(self, deadline: int, latest: int) -> None:
        if deadline < latest + self.settings.deadline_margin:
            raise RelayRefused(400, "expired", field="deadline")
        if deadline > max(latest, int(time.time())) + MAX_SIGNATURE_LIFETIME:
            raise RelayRefused(400, "deadline_too_far", field="deadline")

    def _verified_signature(
        self, digest: bytes, signature: bytes, member: str, code: bytes
    ) -> bytes:
        """The signature to send: an ordinary wallet's, normalised, when it recovers to
        `member`; a contract wallet's, as sent, when the wallet says it is valid (ERC-1271)."""
        if code:
            data = _IS_VALID_SIGNATURE + abi_encode(["bytes32", "bytes"], [digest, signature])
            try:
                answer = self.node.eth_call(member, data)
            except RpcError:
                answer = b""
            if answer[:4] == ERC1271_MAGIC and len(answer) == 32:
                return signature
            raise RelayRefused(400, "bad_signature", field="signature")
        normalised = normalise_signature(signature)
        if recover(digest, normalised) != member:
            raise RelayRefused(400, "bad_signature", field="signature")
        return normalised

    @contextmanager
    def _only_one(self, member: str) -> Iterator[None]:
        """Refuse a second request for `member` while one is being sent (it would revert)."""
        with self._in_flight_lock:
            if member in self._in_flight:
                raise RelayRefused(409, "in_flight", field="member")
            self._in_flight.add(member)
        try:
            yield
        except BaseException:
            self.release(member)
            raise

    def release(self, member: str) -> None:
        """The member's transaction is mined (or given up on): their next one may go."""
        with self._in_flight_lock:
            self._in_flight.discard(member)

    def _send(self, node: NodeClient, data: bytes) -> str:
        """Dry-run, sign and hand over the transaction; the dry run's failure costs nothing."""
        try:
            estimate = node.call(
                "eth_estimateGas",
                {"from": self.relayer, "to": self.registry, "data": "0x" + data.hex()},
                "pending",
            )
            base_fee, tip = node.fees()
        except RpcError as exc:
            log.info("dry run refused: %s", redact(str(exc), (self.node_url,)))
            raise RelayRefused(409, "refused_by_chain") from exc
        except MemberLedgerError as exc:
            log.warning("node unavailable: %s", redact(str(exc), (self.node_url,)))
            raise RelayRefused(502, "unavailable") from exc
        gas_limit = int(estimate, 16) * 6 // 5 + 5_000
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                with self._nonces.take(node) as nonce:
                    signed = self.signer.sign(
                        UnsignedTx(
                            chain_id=self.chain_id,
                            nonce=nonce,
                            to=self.registry,
                            data=data,
                            gas_limit=gas_limit,
                            max_fee=2 * base_fee + tip,
                            priority_fee=tip,
                        )
                    )
                    node.send_raw(signed.raw)
                return signed.tx_hash
            except RpcError as exc:
                # Someone else used the account's nonce (another relay process, a manual
                # transaction): the count is read again and the transaction signed anew.
                retry = "nonce" in exc.message.lower() and attempt < SEND_ATTEMPTS
                log.warning("sending failed: %s", redact(str(exc), (self.node_url,)))
                if not retry:
                    raise RelayRefused(502, "unavailable") from exc
            except MemberLedgerError as exc:
                log.warning("sending failed: %s", redact(str(exc), (self.node_url,)))
                raise RelayRefused(502, "unavailable") from exc
        raise AssertionError("unreachable")

    def receipt(self, tx_hash: str) -> tuple[int, bool] | None:
        """(block, succeeded) once `tx_hash` is mined, else None."""
        try:
            (found,) = self.node.receipts([tx_hash])
        except MemberLedgerError as exc:
            log.warning("receipt unavailable: %s", redact(str(exc), (self.node_url,)))
            return None
        return None if found is None else (found.block, found.succeeded)


def _bytes(answer: Any) -> bytes:
    return bytes.fromhex(str(answer)[2:])
