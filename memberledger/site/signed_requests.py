"""What members sign for the gas-free relay, and how a request for it is read.

Two EIP-712 structs, each bound to its own contract's domain:

- `ConsentChange` (the registry, `EIP712("MemberLedger MembershipRegistry", "1")`), sent as
  `setConsentBySig`;
- `RedeemRequest` (the points token, `EIP712("MemberLedger LoyaltyPoints", "1")`), sent as
  `redeemBySig`. It carries the reward's `cost` as the member saw it, so a catalogue change
  between signing and sending makes the contract refuse rather than charge another price.

A request body is a small JSON object with exactly the struct's fields, a `signature`, and,
if given, the `chainId` and `verifyingContract` it was signed for. Numbers may be JSON
integers or decimal strings (a browser cannot hold a uint256 in a JSON number). Signatures
are normalised where that is safe (v = 0/1 and EIP-2098 compact forms), and a malformed
request is refused naming the field at fault, never echoing what the client sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from memberledger.consent import KNOWN_CONSENT_FLAGS
from memberledger.site.refusals import RelayRefused

#: Largest request body accepted, in bytes (a Safe's signature of a few owners fits).
MAX_BODY_BYTES = 4096
#: Longest signature accepted, in bytes (contract wallets' signatures are longer than 65).
MAX_SIGNATURE_BYTES = 1024

_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SECP256K1_HALF_ORDER = _SECP256K1_ORDER // 2
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(rf"0x(?:[0-9a-fA-F]{{2}}){{64,{MAX_SIGNATURE_BYTES}}}")
_DECIMAL = re.compile(r"[0-9]{1,78}")
_BINDING = frozenset({"chainId", "verifyingContract"})


@dataclass(frozen=True)
class Eip712Type:
    """One signed struct and the domain it is signed in: what the contract's type hash and
    `EIP712(name, version)` say, field by field."""

    domain_name: str
    domain_version: str
    primary_type: str
    fields: tuple[tuple[str, str], ...]

    @property
    def struct_abi(self) -> str:
        """The struct as an ABI tuple type, e.g. `(address,uint16,uint16,uint256,uint256)`."""
        return "(" + ",".join(kind for _, kind in self.fields) + ")"

    def typed_data(
        self, message: Mapping[str, Any], chain_id: int, contract: str
    ) -> dict[str, Any]:
        """The EIP-712 message a wallet shows and signs (`eth_signTypedData_v4`)."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                self.primary_type: [{"name": name, "type": kind} for name, kind in self.fields],
            },
            "primaryType": self.primary_type,
            "domain": {
                "name": self.domain_name,
                "version": self.domain_version,
                "chainId": chain_id,
                "verifyingContract": contract,
            },
            "message": dict(message),
        }

    def digest(self, message: Mapping[str, Any], chain_id: int, contract: str) -> bytes:
        """The EIP-712 digest the contract recomputes and checks the signature against."""
        signable = encode_typed_data(full_message=self.typed_data(message, chain_id, contract))
        digest: bytes = keccak(b"\x19" + signable.version + signable.header + signable.body)
        return digest


#: `IMembershipRegistry.ConsentChange` in the registry's domain.
CONSENT_CHANGE = Eip712Type(
    "MemberLedger MembershipRegistry",
    "1",
    "ConsentChange",
    (
        ("member", "address"),
        ("flags", "uint16"),
        ("policyVersion", "uint16"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ),
)
#: `ILoyaltyPoints.RedeemRequest` in the points token's domain.
REDEEM_REQUEST = Eip712Type(
    "MemberLedger LoyaltyPoints",
    "1",
    "RedeemRequest",
    (
        ("member", "address"),
        ("rewardId", "uint256"),
        ("cost", "uint256"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ),
)


@dataclass(frozen=True)
class ConsentChange:
    """`IMembershipRegistry.ConsentChange`: the consent flags a member chooses."""

    TYPE: ClassVar[Eip712Type] = CONSENT_CHANGE

    member: str
    flags: int
    policy_version: int
    nonce: int
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "flags": self.flags,
            "policyVersion": self.policy_version,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_struct(self) -> tuple[str, int, int, int, int]:
        return (self.member, self.flags, self.policy_version, self.nonce, self.deadline)


@dataclass(frozen=True)
class RedeemRequest:
    """`ILoyaltyPoints.RedeemRequest`: a reward at the price the member saw."""

    TYPE: ClassVar[Eip712Type] = REDEEM_REQUEST

    member: str
    reward_id: int
    cost: int
    nonce: int
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "rewardId": self.reward_id,
            "cost": self.cost,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_struct(self) -> tuple[str, int, int, int, int]:
        return (self.member, self.reward_id, self.cost, self.nonce, self.deadline)


Message = TypeVar("Message", ConsentChange, RedeemRequest)


def typed_data(
    message: ConsentChange | RedeemRequest, chain_id: int, contract: str
) -> dict[str, Any]:
    """The EIP-712 typed data of `message` for `contract` on `chain_id`."""
    return message.TYPE.typed_data(message.message(), chain_id, contract)


def digest(message: ConsentChange | RedeemRequest, chain_id: int, contract: str) -> bytes:
    """The EIP-712 digest of `message` (what the contract's `...Digest` view returns)."""
    return message.TYPE.digest(message.message(), chain_id, contract)


@dataclass(frozen=True)
class SignedRequest(Generic[Message]):
    """A parsed relay request: what the member signed, their signature (as sent: a contract
    wallet's may be any length), and where they say it goes."""

    message: Message
    signature: bytes
    chain_id: int | None = None
    verifying_contract: str | None = None


def parse_consent_request(body: bytes) -> SignedRequest[ConsentChange]:
    """A consent change request from its JSON body, or `RelayRefused` (400) naming the field."""
    data = _fields(body, CONSENT_CHANGE)
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
    return _signed(change, data)


def parse_redeem_request(body: bytes) -> SignedRequest[RedeemRequest]:
    """A redemption request from its JSON body, or `RelayRefused` (400) naming the field. A
    cost of zero is refused here: no reward in the catalogue costs nothing."""
    data = _fields(body, REDEEM_REQUEST)
    cost = _uint(data, "cost", 256)
    if cost == 0:
        raise RelayRefused(400, "bad_request", field="cost")
    redemption = RedeemRequest(
        member=_address(data, "member"),
        reward_id=_uint(data, "rewardId", 256),
        cost=cost,
        nonce=_uint(data, "nonce", 256),
        deadline=_uint(data, "deadline", 256),
    )
    return _signed(redemption, data)


def _fields(body: bytes, kind: Eip712Type) -> dict[str, Any]:
    """The body's JSON object, holding exactly `kind`'s fields, a signature and, optionally,
    the chain and contract it was signed for."""
    if len(body) > MAX_BODY_BYTES:
        raise RelayRefused(413, "too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RelayRefused(400, "bad_request") from exc
    if not isinstance(data, dict):
        raise RelayRefused(400, "bad_request")
    required = {name for name, _ in kind.fields} | {"signature"}
    missing = sorted(required - data.keys())
    unknown = sorted(data.keys() - required - _BINDING)
    if missing:
        raise RelayRefused(400, "bad_request", field=missing[0])
    if unknown:
        raise RelayRefused(400, "bad_request", field=_field_name(unknown[0]))
    return data


def _signed(message: Message, data: dict[str, Any]) -> SignedRequest[Message]:
    signature = data["signature"]
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise RelayRefused(400, "bad_request", field="signature")
    chain_id = _uint(data, "chainId", 256) if "chainId" in data else None
    contract = _address(data, "verifyingContract") if "verifyingContract" in data else None
    return SignedRequest(message, bytes.fromhex(signature[2:]), chain_id, contract)


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


# ---------------------------------------------------------------------- signatures


def normalise_signature(signature: bytes) -> bytes:
    """The 65-byte r ‖ s ‖ v (v 27 or 28) form of an ECDSA signature the contracts accept,
    from what wallets really send: v 0/1 (Ledger through MetaMask) or EIP-2098's 64-byte
    compact r ‖ yParityAndS. Anything else (including a high s, which the contracts refuse)
    raises `RelayRefused`; contract wallets' signatures never come here."""
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
