"""Checking the vault against the chain: every commitment recomputed from the sealed data.

For each member the vault holds, the sealed personal data and salt are opened and hashed
again; the result must equal the vault's commitment column and the registry's record, and
the member's state must agree (enrolled here and active/suspended/revoked there, erased in
both). A row altered in the database (its sealed value no longer opens, or its commitment
column was edited) and a commitment rotated on-chain behind the vault's back both show up.

In bulk: the vault is streamed a chunk of 4,000 members at a time, and the registry's
records of a chunk are read in one `membersOf` call (registries without that view: one
JSON-RPC request of a thousand `memberOf` calls) by a second thread while the chunk before
is being checked, so the node and the hashing work side by side. The chain is read
directly, not through the index: this is the check of the vault against the chain itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from memberledger.chain.reads import ChainMember, ChainStatus, fetch_members
from memberledger.chain.reads import has_bulk_view as chain_has_bulk_view
from memberledger.errors import VaultKeyError
from memberledger.pii.canonical import canonical_bytes
from memberledger.pii.commitment import commit
from memberledger.programme import Programme
from memberledger.store.vault import MemberStatus, StoredMember, Vault

#: Members checked per round (one `membersOf` call).
CHUNK = 4_000

#: Hears the members checked so far and the vault's total.
OnProgress = Callable[[int, int], None]


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


def has_bulk_view(programme: Programme) -> bool:
    """Whether the programme's registry reads many records per call (`membersOf`)."""
    return chain_has_bulk_view(programme.node, programme.deployment.registry)


def verify_commitments(
    programme: Programme, on_progress: OnProgress | None = None
) -> VerificationResult:
    result = VerificationResult()
    vault = programme.vault
    total = vault.count()
    registry = programme.deployment.registry
    bulk_view = has_bulk_view(programme)
    reader = programme.node.clone()  # used by the reading thread only

    def moved_to(wallet: str) -> str:
        return str(programme.registry.movedTo(wallet))

    def read(members: Sequence[tuple[StoredMember, bytes | None]]) -> list[ChainMember]:
        wallets = [member.wallet for member, _ in members]
        return fetch_members(reader, registry, wallets, bulk_view=bulk_view)

    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify-reader") as pool:
        waiting: tuple[list[tuple[StoredMember, bytes | None]], Future[list[ChainMember]]] | None
        waiting = None
        for chunk in vault.members_with_sealed(CHUNK):
            ahead = (chunk, pool.submit(read, chunk))
            if waiting is not None:
                done += _check(vault, *waiting, result, moved_to)
                if on_progress is not None:
                    on_progress(done, total)
            waiting = ahead
        if waiting is not None:
            done += _check(vault, *waiting, result, moved_to)
            if on_progress is not None:
                on_progress(done, total)
    reader.close()
    return result


def _check(
    vault: Vault,
    members: list[tuple[StoredMember, bytes | None]],
    chain: Future[list[ChainMember]],
    result: VerificationResult,
    moved_to: Callable[[str], str],
) -> int:
    for (member, sealed), record in zip(members, chain.result(), strict=True):
        problem = _problem(vault, member, sealed, record, result, moved_to)
        if problem is not None:
            result.mismatches.append(Mismatch(member.member_id, member.wallet, problem))
    return len(members)


def _problem(
    vault: Vault,
    member: StoredMember,
    sealed: bytes | None,
    chain: ChainMember,
    result: VerificationResult,
    moved_to: Callable[[str], str],
) -> str | None:
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
        if sealed is None:
            raise VaultKeyError("no sealed record")
        personal, salt = vault.open_sealed(member, sealed)
        recomputed = commit(canonical_bytes(personal), salt)
    except (VaultKeyError, ValueError):
        return "the sealed personal data does not open: the vault row was altered"
    if recomputed != member.commitment:
        return "the vault row was altered: its commitment is not that of its sealed data"
    if chain.status is ChainStatus.MOVED:
        return (
            f"moved on chain to {moved_to(member.wallet)}, but the vault still "
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
