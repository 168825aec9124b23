"""The proof file a member hands a partner (downloaded, copied as text, or read from a QR code).

    {"type": "memberledger-membership-proof", "version": 1, "chainId": 31337,
     "proofs": "0x...", "group": 2, "campaign": "cinema-2026-12",
     "proof": {"merkleTreeDepth": 20, "merkleTreeRoot": "...", "nullifier": "...",
               "message": "2", "scope": "...", "points": ["...", x8]}}

It holds nothing about the member: the root is the whole group's, the nullifier a hash of the
campaign and a secret, the points a Groth16 proof. Numbers are decimal strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memberledger.errors import InvalidField, MemberLedgerError

FILE_TYPE = "memberledger-membership-proof"
FILE_VERSION = 1
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_UINT = re.compile(r"[0-9]{1,78}")
#: Largest proof file read, in bytes (a proof is about 1.5 kB).
MAX_FILE_BYTES = 16_384


class ProofFileError(MemberLedgerError):
    """A proof file cannot be read; names the file and the field."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        super().__init__(path, field, reason)
        self.path = path
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}, field {self.field!r}: {self.reason}"


@dataclass(frozen=True)
class MembershipProof:
    """`IMembershipProofs.MembershipProof`."""

    depth: int
    root: int
    nullifier: int
    message: int
    scope: int
    points: tuple[int, ...]

    def as_struct(self) -> tuple[int, int, int, int, int, list[int]]:
        return (self.depth, self.root, self.nullifier, self.message, self.scope, list(self.points))

    def as_json(self) -> dict[str, Any]:
        return {
            "merkleTreeDepth": self.depth,
            "merkleTreeRoot": str(self.root),
            "nullifier": str(self.nullifier),
            "message": str(self.message),
            "scope": str(self.scope),
            "points": [str(p) for p in self.points],
        }


@dataclass(frozen=True)
class ProofFile:
    chain_id: int
    proofs: str
    group: int
    campaign: str
    proof: MembershipProof

    def as_json(self) -> dict[str, Any]:
        return {
            "type": FILE_TYPE,
            "version": FILE_VERSION,
            "chainId": self.chain_id,
            "proofs": self.proofs,
            "group": self.group,
            "campaign": self.campaign,
            "proof": self.proof.as_json(),
        }


def proof_from_json(data: Any) -> MembershipProof:
    """A Semaphore proof object (as `@semaphore-protocol/proof` returns it), checked."""
    if not isinstance(data, dict):
        raise InvalidField("proof", "must be an object")
    points = data.get("points")
    if not isinstance(points, list) or len(points) != 8:
        raise InvalidField("proof.points", "must be a list of 8 numbers")
    depth = data.get("merkleTreeDepth")
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 32:
        raise InvalidField("proof.merkleTreeDepth", "must be a whole number from 1 to 32")
    return MembershipProof(
        depth=depth,
        root=_uint(data.get("merkleTreeRoot"), "proof.merkleTreeRoot"),
        nullifier=_uint(data.get("nullifier"), "proof.nullifier"),
        message=_uint(data.get("message"), "proof.message"),
        scope=_uint(data.get("scope"), "proof.scope"),
        points=tuple(_uint(p, f"proof.points[{i}]") for i, p in enumerate(points)),
    )


def parse_proof_file(text: str, source: str = "the proof") -> ProofFile:
    """A proof file's content, or `ProofFileError` naming the field that is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProofFileError(source, "(file)", f"not JSON: {exc}") from exc
    try:
        if not isinstance(data, dict) or data.get("type") != FILE_TYPE:
            raise InvalidField("type", f"must be {FILE_TYPE!r}: this is not a membership proof")
        if data.get("version") != FILE_VERSION:
            raise InvalidField("version", f"must be {FILE_VERSION}")
        chain_id = data.get("chainId")
        if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id <= 0:
            raise InvalidField("chainId", "must be a positive whole number")
        proofs = data.get("proofs")
        if not isinstance(proofs, str) or not _ADDRESS.fullmatch(proofs):
            raise InvalidField("proofs", "must be an address (0x and 40 hex digits)")
        group = data.get("group")
        if not isinstance(group, int) or isinstance(group, bool) or not 0 <= group <= 3:
            raise InvalidField("group", "must be 0, 1, 2 or 3")
        campaign = data.get("campaign")
        if not isinstance(campaign, str) or not campaign or len(campaign) > 200:
            raise InvalidField("campaign", "must be a campaign id of 1 to 200 characters")
        proof = proof_from_json(data.get("proof"))
    except InvalidField as exc:
        raise ProofFileError(source, exc.field, exc.reason) from exc
    return ProofFile(chain_id, proofs, group, campaign, proof)


def read_proof_file(path: Path) -> ProofFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProofFileError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ProofFileError(str(path), "(file)", f"larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProofFileError(str(path), "(file)", "not UTF-8 text") from exc
    return parse_proof_file(text, str(path))


def _uint(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**256:
        return value
    if isinstance(value, str) and _UINT.fullmatch(value) and int(value) < 2**256:
        return int(value)
    raise InvalidField(field, "must be a whole number below 2^256, as a decimal string")
