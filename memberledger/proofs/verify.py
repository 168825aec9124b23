"""`ape run proofs verify proof.json --campaign ID`: a partner checks a proof, for free.

The check is the contract's own `verifyProof`, run by `eth_call` (no transaction, no gas
paid): the same code that `validateProof` runs on chain, so the two never disagree. What the
partner learns: that the proof is valid (or why not), the group, the campaign, and the
nullifier, which is the same for every proof this member makes in this campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from memberledger.chain.rpc import NodeClient
from memberledger.errors import RpcError
from memberledger.proofs.groups import group_name
from memberledger.proofs.proof_file import MembershipProof, ProofFile
from memberledger.proofs.zk import ProofError

#: The contract's refusals, as sentences for a partner.
REFUSALS: dict[str, str] = {
    "ScopeMismatch": "the proof was made for another campaign",
    "GroupMismatch": "the proof was made for another group than it claims",
    "UnknownGroup": "there is no such group",
    "UnknownRoot": "the proof is for a group that was never published here",
    "RootExpired": "the proof is for an old version of the group, no longer accepted: ask "
    "the member for a new proof",
    "UnsupportedTreeDepth": "the proof's tree depth is not supported",
}


_VERIFY = keccak(
    text="verifyProof(uint256,(uint256,uint256,uint256,uint256,uint256,uint256[8]),uint256)"
)[:4]


def error_names(contract: Any) -> dict[bytes, str]:
    """Selector -> name of each custom error in `contract`'s ABI."""
    names: dict[bytes, str] = {}
    for item in contract.contract_type.abi:
        if getattr(item, "type", None) == "error":
            signature = f"{item.name}({','.join(i.canonical_type for i in item.inputs)})"
            names[keccak(text=signature)[:4]] = str(item.name)
    return names


def call_verify_proof(
    node: NodeClient, proofs: Any, group: int, proof: MembershipProof, scope: int
) -> bool | str:
    """`verifyProof` by a plain `eth_call`: its answer, or the name of the custom error it
    reverted with (decoded here from the selector: Ape cannot decode some of these)."""
    data = _VERIFY + encode(
        ["uint256", "(uint256,uint256,uint256,uint256,uint256,uint256[8])", "uint256"],
        [group, proof.as_struct(), scope],
    )
    try:
        answer = node.eth_call(str(proofs.address), data)
    except RpcError as exc:
        revert = exc.revert_data
        if revert is None or len(revert) < 4:
            raise ProofError(f"the chain could not check the proof: {exc.message}") from exc
        name = error_names(proofs).get(revert[:4])
        if name is None:
            raise ProofError(f"the chain refused the check with 0x{revert.hex()}") from exc
        return name
    return bool(int.from_bytes(answer[:32], "big"))


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    group: int
    campaign: str
    nullifier: int
    used_by_partner: bool | None = None

    @property
    def group_words(self) -> str:
        return group_name(self.group)


def verify_proof_file(
    node: NodeClient,
    proofs: Any,
    chain_id: int,
    proof_file: ProofFile,
    campaign: str,
    *,
    partner: str | None = None,
    at_least: int | None = None,
) -> Verdict:
    """Check `proof_file` for `campaign` against the chain; `at_least` is the group the
    partner requires (a proof for a lower group is not valid for them); `partner` an address
    whose used nullifiers are looked up."""
    proof = proof_file.proof

    def verdict(valid: bool, reason: str) -> Verdict:
        used = bool(proofs.nullifierUsed(partner, proof.nullifier)) if partner else None
        if valid and used:
            valid, reason = False, "this member already used this campaign with this partner"
        return Verdict(valid, reason, proof_file.group, proof_file.campaign, proof.nullifier, used)

    if proof_file.chain_id != chain_id or proof_file.proofs.lower() != str(proofs.address).lower():
        return verdict(
            False,
            f"the proof is for another programme (chain {proof_file.chain_id}, "
            f"contract {proof_file.proofs})",
        )
    if proof_file.campaign != campaign:
        return verdict(False, f"the proof was made for campaign {proof_file.campaign!r}")
    if at_least is not None and proof_file.group < at_least:
        return verdict(
            False, f"the proof shows {group_name(proof_file.group)}, not {group_name(at_least)}"
        )
    scope = int(proofs.campaignScope(campaign))
    ok = call_verify_proof(node, proofs, proof_file.group, proof, scope)
    if isinstance(ok, str):
        reason = REFUSALS.get(ok)
        if reason is None:
            raise ProofError(f"the chain could not check the proof: {ok}")
        return verdict(False, reason)
    if not ok:
        return verdict(
            False, "the proof does not verify (it was altered, or made for another group)"
        )
    return verdict(True, f"a member of the group '{group_name(proof_file.group)}'")
