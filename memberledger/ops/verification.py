"""Checking the vault against the chain: every commitment recomputed from the sealed data.

For each member the vault holds, the sealed personal data and salt are opened and hashed
again; the result must equal the vault's commitment column and the registry's record, and
the member's state must agree (enrolled here and active/suspended/revoked there, erased in
both). A row altered in the database (its sealed value no longer opens, or its commitment
column was edited) and a commitment rotated on-chain behind the vault's back both show up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memberledger.chain.reads import ChainStatus, read_member
from memberledger.errors import VaultKeyError
from memberledger.pii.canonical import canonical_bytes
from memberledger.pii.commitment import commit
from memberledger.programme import Programme
from memberledger.store.vault import MemberStatus, StoredMember


@dataclass(frozen=True)
class Mismatch:
    member_id: str
    wallet: str
    problem: str


@dataclass
class VerificationResult:
    checked: int = 0
    pending: int = 0
    erased: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify_commitments(programme: Programme) -> VerificationResult:
    result = VerificationResult()
    for member in programme.vault.iter_members():
        problem = _problem(programme, member, result)
        if problem is not None:
            result.mismatches.append(Mismatch(member.member_id, member.wallet, problem))
    return result


def _problem(programme: Programme, member: StoredMember, result: VerificationResult) -> str | None:
    chain = read_member(programme.registry, member.wallet)
    if member.status is MemberStatus.ERASED:
        result.erased += 1
        if chain.status in (ChainStatus.ERASED, ChainStatus.NONE):
            return None
        return f"erased in the vault, but {chain.status.word} on chain"
    if member.status is MemberStatus.PENDING:
        result.pending += 1
        if chain.status is ChainStatus.NONE or chain.commitment == member.commitment:
            return None
        return f"pending in the vault, but {chain.status.word} on chain with another commitment"

    result.checked += 1
    try:
        personal, salt = programme.vault.personal_data(member.member_id)
        recomputed = commit(canonical_bytes(personal), salt)
    except (VaultKeyError, ValueError):
        return "the sealed personal data does not open: the vault row was altered"
    if recomputed != member.commitment:
        return "the vault row was altered: its commitment is not that of its sealed data"
    if chain.status is ChainStatus.MOVED:
        return (
            f"moved on chain to {programme.registry.movedTo(member.wallet)}, but the vault still "
            f"holds the old wallet: run `ape run members move {member.member_id} --complete`"
        )
    if chain.status in (ChainStatus.NONE, ChainStatus.ERASED):
        return f"enrolled in the vault, but {chain.status.word} on chain"
    if chain.commitment != recomputed:
        if member.pending_commitment is not None and chain.commitment == member.pending_commitment:
            return (
                "the chain holds the commitment of an update that was interrupted: run "
                f"`ape run members update {member.member_id}` to finish it"
            )
        shown = chain.commitment.hex if chain.commitment else "none"
        return f"the chain holds {shown}, the vault's data commits to {recomputed.hex}"
    return None
