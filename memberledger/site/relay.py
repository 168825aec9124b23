"""The gas-free relay: a member signs a request in their wallet (EIP-712) and the relay sends it
with its own account, which pays the gas. Two requests exist (`signed_requests`): a consent
change (`MembershipRegistry.setConsentBySig`, `POST /relay/consent`) and a redemption
(`LoyaltyPoints.redeemBySig`, `POST /relay/redeem`).

The relay pays for strangers, so every check that could make the transaction fail runs
first, cheapest first, and a request that would revert costs the relayer nothing. Both
requests go through the same pipeline:

1. the client's address is under its rate limit (every request counts);
2. the request is well formed: a small JSON object with exactly the signed struct's fields,
   a signature, and, if given, the chain id and contract it was signed for, which must be
   this relay's (the registry for consent, the points token for a redemption). Signatures
   are normalised where that is safe: v = 0/1 (Ledger through MetaMask) becomes 27/28 and an
   EIP-2098 64-byte compact signature is expanded; the contracts stay strict and are only
   ever sent the 65-byte form;
3. the deadline is at least `RelaySettings.deadline_margin` seconds (minutes, not seconds)
   after the latest block, so it cannot pass before the transaction is mined, and not further
   ahead than `MAX_SIGNATURE_LIFETIME`;
4. the signature is the member's over this chain's and this contract's typed data (a
   signature made for the other contract's domain, or for the other struct, never recovers
   to the member): recovered for an ordinary wallet, or, for a contract wallet (a Safe),
   confirmed by the wallet itself through ERC-1271 `isValidSignature`, exactly as the
   contracts' `SignatureChecker` will;
5. on the chain (read in one batch with the latest block): not paused, the member enrolled
   (consent) or active (a redemption), and the nonce the member's current one on that
   contract; else the signature is not *fresh* (a replay of a used, public signature) and is
   refused before it touches the member's quota;
6. the member is under their own rate limit, one allowance for both requests: only fresh
   signatures count, so nobody can use up a member's allowance by replaying what the member
   once signed;
7. what the request asks is possible: for consent, the policy is the current one and the
   change changes something; for a redemption, the reward is in the catalogue at exactly the
   signed cost and the member's balance covers it;
8. no other request of this member and this kind is in flight (one of the two would revert:
   they share the member's nonce on that contract);
9. a dry run (`eth_estimateGas` on the pending state) succeeds.

Sending holds a lock only while a nonce is taken, the transaction signed and handed to the
node (milliseconds); several transactions are in flight at once and receipts are awaited
without any lock.

Refusals are `RelayRefused` (`refusals`): an HTTP status, a stable code, and a fixed sentence
per code. Nothing a client sent and nothing an upstream node said is echoed back; upstream
detail goes to the log only, through `redact`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from memberledger.chain.reads import ChainStatus
from memberledger.chain.rpc import NodeClient
from memberledger.chain.signer import Signer, UnsignedTx
from memberledger.errors import ConfigError, MemberLedgerError, RpcError
from memberledger.site.refusals import RelayRefused, redact
from memberledger.site.signed_requests import (
    CONSENT_CHANGE,
    REDEEM_REQUEST,
    ConsentChange,
    Eip712Type,
    RedeemRequest,
    SignedRequest,
    digest,
    normalise_signature,
    parse_consent_request,
    parse_redeem_request,
    recover,
)

log = logging.getLogger("memberledger.relay")

#: A deadline further ahead than this is refused: signatures should not live for weeks.
MAX_SIGNATURE_LIFETIME = 24 * 3600
#: Default margin between the latest block and a request's deadline, in seconds.
DEFAULT_DEADLINE_MARGIN = 120
#: Statuses whose consent changes the relay pays for: enrolled members.
ENROLLED = (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)
#: Times a transaction is signed anew when its nonce was taken by someone else.
SEND_ATTEMPTS = 3
#: ERC-1271's answer for a valid signature: `isValidSignature.selector`.
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


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


def limited(retry_after: float | None, code: str) -> None:
    """Refuse with `code` (429) when a limiter said how long to wait."""
    if retry_after is not None:
        raise RelayRefused(429, code, retry_after=max(1, int(retry_after + 0.999)))


# ---------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Sent:
    """A transaction the relay handed to the node for `member`: `kind` is "consent" or
    "redeem", `facts` what the answer tells the page about it (flags; reward and cost)."""

    tx_hash: str
    kind: str
    member: str
    facts: dict[str, Any]

    @property
    def slot(self) -> str:
        """The in-flight slot the request holds until its receipt (one per member and kind)."""
        return f"{self.kind}:{self.member}"


@dataclass(frozen=True)
class Relayed:
    """A relayed request and what became of it: `block_number` None while not yet mined."""

    sent: Sent
    block_number: int | None
    succeeded: bool | None

    def as_json(self) -> dict[str, Any]:
        return {
            "txHash": self.sent.tx_hash,
            "blockNumber": self.block_number,
            "member": self.sent.member,
            **self.sent.facts,
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
_REWARD_COST = _selector("rewardCost(uint256)")
_BALANCE_OF = _selector("balanceOf(address)")
_SET_CONSENT_BY_SIG = _selector(f"setConsentBySig({CONSENT_CHANGE.struct_abi},bytes)")
_REDEEM_BY_SIG = _selector(f"redeemBySig({REDEEM_REQUEST.struct_abi},bytes)")
_CONSENT_CHANGE_DIGEST = _selector(f"consentChangeDigest({CONSENT_CHANGE.struct_abi})")
_REDEEM_REQUEST_DIGEST = _selector(f"redeemRequestDigest({REDEEM_REQUEST.struct_abi})")
_IS_VALID_SIGNATURE = _selector("isValidSignature(bytes32,bytes)")
#: `IMembershipRegistry.Member` as `memberOf` returns it.
_MEMBER_RECORD = ["bytes20", "uint16", "uint8", "uint8", "uint16", "uint40"]


@dataclass(frozen=True)
class _MemberReads:
    """What one batch read from the chain says about a member (see `MemberRelay._read`)."""

    latest_time: int
    paused: bool
    status: ChainStatus
    consent: int
    member_policy: int
    nonce: int
    code: bytes
    extra: tuple[int, ...]


@dataclass
class MemberRelay:
    """Checks members' signed consent changes and redemptions and sends the good ones with
    `signer`, which pays the gas.

    `node_url` is the relay's own node (never shown to anyone); each worker thread gets its
    own `NodeClient` for it.
    """

    node_url: str
    chain_id: int
    registry: str
    points: str
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
        self.points = str(to_checksum_address(self.points))
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
        """Prove that this relay and each contract hash their signed struct alike, so every
        signature the relay accepts is one the contract accepts too."""
        samples: list[tuple[str, bytes, ConsentChange | RedeemRequest, Eip712Type]] = [
            (
                self.registry,
                _CONSENT_CHANGE_DIGEST,
                ConsentChange(self.relayer, 1, 1, 0, 2**40),
                CONSENT_CHANGE,
            ),
            (
                self.points,
                _REDEEM_REQUEST_DIGEST,
                RedeemRequest(self.relayer, 7, 250, 3, 2**40),
                REDEEM_REQUEST,
            ),
        ]
        for contract, selector, sample, kind in samples:
            data = selector + abi_encode([kind.struct_abi], [sample.as_struct()])
            try:
                theirs = self.node.eth_call(contract, data)
            except RpcError:
                theirs = b""
            if theirs != digest(sample, self.chain_id, contract):
                raise ConfigError(
                    f"the contract at {contract} hashes a {kind.primary_type} differently from "
                    "this relay (another EIP-712 name, version or type, or no such view): "
                    "refusing to relay"
                )

    # ------------------------------------------------------------ the checks

    def admit(self, client: str) -> None:
        """Count one request from `client` (an IP address) against its limit."""
        limited(self._per_ip.hit(f"ip:{client}"), "rate_limited_ip")

    def relay_consent(self, body: bytes) -> Sent:
        """Check one consent change (see the module docstring for the checks, in order) and
        hand its transaction to the node; blocking, so run it in a worker thread."""
        request = parse_consent_request(body)
        self._check_binding(request, self.registry)
        change = request.message
        reads = self._read(change.member, self.registry, _call(self.registry, _POLICY_VERSION))
        (policy,) = reads.extra
        signature = self._fresh_signature(request, self.registry, reads)
        if reads.status not in ENROLLED:
            raise RelayRefused(403, "not_member", field="member")
        self._count_fresh(request, reads)
        if change.policy_version != policy:
            raise RelayRefused(409, "stale_policy", field="policyVersion")
        if reads.consent == change.flags and reads.member_policy == change.policy_version:
            raise RelayRefused(409, "nothing_to_change", field="flags")
        data = _SET_CONSENT_BY_SIG + abi_encode(
            [CONSENT_CHANGE.struct_abi, "bytes"], [change.as_struct(), signature]
        )
        sent = Sent("", "consent", change.member, {"flags": change.flags})
        return self._send_once(sent, self.registry, data)

    def relay_redemption(self, body: bytes) -> Sent:
        """Check one redemption (see the module docstring for the checks, in order) and hand
        its transaction to the node; blocking, so run it in a worker thread."""
        request = parse_redeem_request(body)
        self._check_binding(request, self.points)
        redemption = request.message
        reads = self._read(
            redemption.member,
            self.points,
            _call(self.points, _REWARD_COST, ("uint256", redemption.reward_id)),
            _call(self.points, _BALANCE_OF, ("address", redemption.member)),
        )
        cost, balance = reads.extra
        signature = self._fresh_signature(request, self.points, reads)
        if reads.status in (ChainStatus.NONE, ChainStatus.ERASED):
            raise RelayRefused(403, "not_member", field="member")
        if reads.status is not ChainStatus.ACTIVE:
            raise RelayRefused(403, "not_active", field="member")
        self._count_fresh(request, reads)
        if cost == 0:
            raise RelayRefused(409, "unknown_reward", field="rewardId")
        if cost != redemption.cost:
            raise RelayRefused(409, "cost_changed", field="cost")
        if balance < cost:
            raise RelayRefused(409, "not_enough_points", field="cost")
        data = _REDEEM_BY_SIG + abi_encode(
            [REDEEM_REQUEST.struct_abi, "bytes"], [redemption.as_struct(), signature]
        )
        facts = {"rewardId": str(redemption.reward_id), "cost": str(redemption.cost)}
        return self._send_once(Sent("", "redeem", redemption.member, facts), self.points, data)

    def _check_binding(self, request: SignedRequest[Any], contract: str) -> None:
        """The chain and contract the client says it signed for, if it says, are ours."""
        if request.chain_id is not None and request.chain_id != self.chain_id:
            raise RelayRefused(400, "wrong_chain", field="chainId")
        if request.verifying_contract not in (None, contract):
            raise RelayRefused(400, "wrong_contract", field="verifyingContract")

    def _fresh_signature(
        self, request: SignedRequest[Any], contract: str, reads: _MemberReads
    ) -> bytes:
        """The signature to send, once the deadline and the signature are good and the
        programme is not paused."""
        message = request.message
        self._check_deadline(message.deadline, reads.latest_time)
        signed = digest(message, self.chain_id, contract)
        signature = self._verified_signature(signed, request.signature, message.member, reads.code)
        if reads.paused:
            raise RelayRefused(503, "paused")
        return signature

    def _count_fresh(self, request: SignedRequest[Any], reads: _MemberReads) -> None:
        """Refuse a used (or future) nonce; else the signature is fresh, the member's own over
        their current nonce, and only now may it count against their allowance."""
        if request.message.nonce != reads.nonce:
            raise RelayRefused(409, "used_nonce", field="nonce")
        limited(self._per_member.hit(f"member:{request.message.member}"), "rate_limited_member")

    def _read(self, member: str, contract: str, *extra: tuple[str, list[Any]]) -> _MemberReads:
        """In one batch: the latest block's time, paused, the member's record, their nonce on
        `contract`, their code (contract wallets) and the `extra` calls (uint256 answers)."""
        answers = self._node_batch(
            [
                ("eth_getBlockByNumber", ["latest", False]),
                _call(self.registry, _PAUSED),
                _call(self.registry, _MEMBER_OF, ("address", member)),
                _call(contract, _NONCES, ("address", member)),
                ("eth_getCode", [member, "latest"]),
                *extra,
            ]
        )
        block, paused, record, nonce, code, *rest = answers
        (_, consent, _, status, member_policy, _) = abi_decode(_MEMBER_RECORD, _bytes(record))
        return _MemberReads(
            latest_time=int(block["timestamp"], 16),
            paused=bool(_uint(paused)),
            status=ChainStatus(status),
            consent=int(consent),
            member_policy=int(member_policy),
            nonce=_uint(nonce),
            code=_bytes(code),
            extra=tuple(_uint(answer) for answer in rest),
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
        self, signed: bytes, signature: bytes, member: str, code: bytes
    ) -> bytes:
        """The signature to send: an ordinary wallet's, normalised, when it recovers to
        `member`; a contract wallet's, as sent, when the wallet says it is valid (ERC-1271)."""
        if code:
            data = _IS_VALID_SIGNATURE + abi_encode(["bytes32", "bytes"], [signed, signature])
            try:
                answer = self.node.eth_call(member, data)
            except RpcError:
                answer = b""
            if answer[:4] == ERC1271_MAGIC and len(answer) == 32:
                return signature
            raise RelayRefused(400, "bad_signature", field="signature")
        normalised = normalise_signature(signature)
        if recover(signed, normalised) != member:
            raise RelayRefused(400, "bad_signature", field="signature")
        return normalised

    # ------------------------------------------------------------ sending

    def _send_once(self, sent: Sent, to: str, data: bytes) -> Sent:
        """Send `data` to `to` while holding the member's in-flight slot for this kind:
        refused when another request of theirs is being sent (it would revert)."""
        with self._in_flight_lock:
            if sent.slot in self._in_flight:
                raise RelayRefused(409, "in_flight", field="member")
            self._in_flight.add(sent.slot)
        try:
            tx_hash = self._send(self.node, to, data)
        except BaseException:
            self.release(sent)
            raise
        return Sent(tx_hash, sent.kind, sent.member, sent.facts)

    def release(self, sent: Sent) -> None:
        """The transaction is mined (or given up on): the member's next request may go."""
        with self._in_flight_lock:
            self._in_flight.discard(sent.slot)

    def _send(self, node: NodeClient, to: str, data: bytes) -> str:
        """Dry-run, sign and hand over the transaction; the dry run's failure costs nothing."""
        try:
            estimate = node.call(
                "eth_estimateGas",
                {"from": self.relayer, "to": to, "data": "0x" + data.hex()},
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
                            to=to,
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


def _call(to: str, selector: bytes, *arguments: tuple[str, Any]) -> tuple[str, list[Any]]:
    """An `eth_call` on the latest block, ready for a batch."""
    data = selector + abi_encode([a[0] for a in arguments], [a[1] for a in arguments])
    return ("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])


def _bytes(answer: Any) -> bytes:
    return bytes.fromhex(str(answer)[2:])


def _uint(answer: Any) -> int:
    return int.from_bytes(_bytes(answer), "big")
