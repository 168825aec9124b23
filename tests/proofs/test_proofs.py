"""The cinema story end to end: members register identities from their own wallets, the
operator publishes the groups, a gold member proves "gold or higher for cinema-2026-12", the
cinema checks the proof for free and uses it up on chain; removals, audits and privacy."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3.exceptions import ContractCustomError
from zk_kit import ZkChain, proof_file_path

from memberledger.chain.rpc import NodeClient
from memberledger.proofs.deployment import ProofsDeployment
from memberledger.proofs.proof_file import FILE_TYPE, MembershipProof, proof_from_json
from memberledger.proofs.publish import groups_at
from memberledger.proofs.settings import PROJECT_ROOT, artifact_paths
from memberledger.proofs.zk import HELPER, ProofError, make_proof

CAMPAIGN = "cinema-2026-12"
GOLD = 2
NOT_REGISTERED = "zk-7"  # a platinum member who never registers an identity


@dataclass(frozen=True)
class Story:
    publish_output: str
    gold_member: str
    gold_file: Path
    gold_proof: MembershipProof
    platinum_proof: MembershipProof
    scope: int


def proofs_deployment(zk: ZkChain) -> ProofsDeployment:
    return ProofsDeployment(**zk.proofs_manifest)


def current_leaves(zk: ZkChain) -> list[list[int]]:
    node = NodeClient(zk.operator.url)
    through = int(zk.proofs.functions.publication().call()[0])
    return groups_at(node, proofs_deployment(zk), through).leaves


def proof_file(zk: ZkChain, group: int, campaign: str, proof: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": FILE_TYPE,
        "version": 1,
        "chainId": 31337,
        "proofs": zk.proofs.address,
        "group": group,
        "campaign": campaign,
        "proof": proof,
    }


def verify_call(zk: ZkChain, group: int, proof: MembershipProof, scope: int) -> bool:
    return bool(zk.proofs.functions.verifyProof(group, proof.as_struct(), scope).call())


def error_name(zk: ZkChain, exc: ContractCustomError) -> str:
    selector = str(exc.data)[2:10] if isinstance(exc.data, str) else ""
    for item in zk.proofs.abi:
        if item["type"] == "error":
            signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
            if keccak(text=signature)[:4].hex() == selector:
                return str(item["name"])
    return selector


@pytest.fixture(scope="module")
def story(zk: ZkChain) -> Story:
    for member_id, member in zk.members.items():
        if member_id != NOT_REGISTERED:
            zk.register(member)
    published = zk.operator.run("proofs", "publish").ok()
    leaves = current_leaves(zk)
    scope = int(zk.proofs.functions.campaignScope(CAMPAIGN).call())
    gold, platinum = zk.members["zk-2"], zk.members["zk-3"]
    gold_json = make_proof(gold.signature, leaves[GOLD], GOLD, scope)
    platinum_json = make_proof(platinum.signature, leaves[GOLD], GOLD, scope)
    path = proof_file_path(
        zk.operator.workdir, "gold.json", proof_file(zk, GOLD, CAMPAIGN, gold_json)
    )
    return Story(
        publish_output=published.output,
        gold_member="zk-2",
        gold_file=path,
        gold_proof=proof_from_json(gold_json),
        platinum_proof=proof_from_json(platinum_json),
        scope=scope,
    )


# ------------------------------------------------------------------ publish and audit


def test_publish_groups_follow_registry(zk: ZkChain, story: Story) -> None:
    _, _, sizes, validity = zk.proofs.functions.publication().call()
    # Registered: zk-0..6 (tiers 0,1,2,3,0,1,2): active 7, silver+ 5, gold+ 3, platinum+ 1.
    assert list(sizes) == [7, 5, 3, 1]
    assert validity == 600
    assert "published in 0x" in story.publish_output
    leaves = current_leaves(zk)
    assert zk.members[NOT_REGISTERED].identity not in leaves[0]
    assert zk.members["zk-2"].identity in leaves[GOLD]
    assert zk.members["zk-1"].identity not in leaves[GOLD]


def test_publish_again_sends_nothing(zk: ZkChain, story: Story) -> None:
    before = zk.proofs.functions.publication().call()
    run = zk.operator.run("proofs", "publish").ok()
    assert "up to date: nothing was sent" in run.output
    assert zk.proofs.functions.publication().call() == before


def test_audit_recomputes_every_root(zk: ZkChain, story: Story) -> None:
    run = zk.operator.run("proofs", "audit").ok()
    assert "all equal: True" in run.output


def test_audit_detects_root_not_from_chain(restored: ZkChain, story: Story) -> None:
    zk = restored
    _, roots, sizes, _ = zk.proofs.functions.publication().call()
    forged = [roots[0], roots[1], roots[2], 12345]
    height = zk.web3.eth.block_number
    zk.send(zk.proofs.functions.publishRoots(forged, list(sizes), height), zk.registrar)
    run = zk.operator.run("proofs", "audit")
    assert run.returncode == 1, run.output
    assert "DIFFERENT in groups [3]" in run.output


# ------------------------------------------------------------------ the cinema checks


def test_verify_gold_proof_valid_for_campaign(zk: ZkChain, story: Story) -> None:
    run = zk.operator.run(
        "proofs", "verify", story.gold_file, "--campaign", CAMPAIGN, "--tier", "gold"
    )
    assert run.returncode == 0, run.output
    assert "valid" in run.output and "NOT valid" not in run.output
    assert str(story.gold_proof.nullifier) in run.output


def test_verify_other_campaign_refused(zk: ZkChain, story: Story) -> None:
    run = zk.operator.run("proofs", "verify", story.gold_file, "--campaign", "cinema-2027-01")
    assert run.returncode == 1, run.output
    assert "made for campaign 'cinema-2026-12'" in run.output


def test_verify_relabelled_campaign_refused_by_contract(zk: ZkChain, story: Story) -> None:
    content = json.loads(story.gold_file.read_text())
    content["campaign"] = "cinema-2027-01"
    path = proof_file_path(zk.operator.workdir, "relabelled.json", content)
    run = zk.operator.run("proofs", "verify", path, "--campaign", "cinema-2027-01")
    assert run.returncode == 1, run.output
    assert "made for another campaign" in run.output


def test_verify_higher_tier_required_refused(zk: ZkChain, story: Story) -> None:
    run = zk.operator.run(
        "proofs", "verify", story.gold_file, "--campaign", CAMPAIGN, "--tier", "platinum"
    )
    assert run.returncode == 1, run.output
    assert "not platinum or higher" in run.output


def test_verify_broken_file_names_field(zk: ZkChain, story: Story) -> None:
    content = json.loads(story.gold_file.read_text())
    content["proof"]["points"] = content["proof"]["points"][:7]
    path = proof_file_path(zk.operator.workdir, "broken.json", content)
    run = zk.operator.run("proofs", "verify", path, "--campaign", CAMPAIGN)
    assert run.returncode == 2, run.output
    assert "field 'proof.points': must be a list of 8 numbers" in run.output
    assert "Traceback" not in run.output


def test_validateProof_second_use_in_campaign_refused(restored: ZkChain, story: Story) -> None:
    zk = restored
    cinema = list(zk.web3.eth.accounts)[5]
    call = zk.proofs.functions.validateProof(GOLD, story.gold_proof.as_struct(), story.scope)
    zk.send(call, cinema)
    with pytest.raises(ContractCustomError) as refused:
        call.call({"from": cinema})
    assert error_name(zk, refused.value) == "NullifierUsed"
    run = zk.operator.run(
        "proofs", "verify", story.gold_file, "--campaign", CAMPAIGN, "--partner", cinema
    )
    assert run.returncode == 1, run.output
    assert "already used this campaign with this partner" in run.output


def test_two_members_same_campaign_have_different_nullifiers(story: Story) -> None:
    assert story.gold_proof.nullifier != story.platinum_proof.nullifier


# ------------------------------------------------------------------ removals


def lower_tier(zk: ZkChain, wallet: str) -> None:
    zk.send(zk.registry.functions.setTier(wallet, 1), zk.registrar)


def suspend(zk: ZkChain, wallet: str) -> None:
    zk.send(zk.registry.functions.suspend(wallet), zk.registrar)


def revoke(zk: ZkChain, wallet: str) -> None:
    zk.send(zk.registry.functions.revoke(wallet), zk.registrar)


def erase(zk: ZkChain, wallet: str) -> None:
    zk.send(zk.registry.functions.erase(wallet), zk.registrar)


@pytest.mark.parametrize("change", [lower_tier, suspend, revoke, erase], ids=lambda f: f.__name__)
def test_removed_member_cannot_prove_after_publication(
    restored: ZkChain, story: Story, change: Any
) -> None:
    zk = restored
    member = zk.members[story.gold_member]
    change(zk, member.wallet)
    zk.operator.run("proofs", "publish").ok()
    leaves = current_leaves(zk)
    assert member.identity not in leaves[GOLD]
    with pytest.raises(ProofError, match="not in the group"):
        make_proof(member.signature, leaves[GOLD], GOLD, story.scope)
    # The proof made before the change: accepted within the window, refused after it.
    assert verify_call(zk, GOLD, story.gold_proof, story.scope) is True
    zk.advance(601)
    with pytest.raises(ContractCustomError) as refused:
        verify_call(zk, GOLD, story.gold_proof, story.scope)
    assert error_name(zk, refused.value) == "RootExpired"
    # The other gold members' proofs are unaffected once they use the new root.
    assert zk.members["zk-6"].identity in leaves[GOLD]


def test_unregistered_member_cannot_prove(zk: ZkChain, story: Story) -> None:
    member = zk.members[NOT_REGISTERED]
    with pytest.raises(ProofError, match="not in the group"):
        make_proof(member.signature, current_leaves(zk)[GOLD], GOLD, story.scope)


def test_reregistered_identity_replaces_old(restored: ZkChain, story: Story) -> None:
    zk = restored
    member = zk.members["zk-6"]
    old = member.identity
    zk.send(zk.proofs.functions.registerIdentity(777), member)
    zk.operator.run("proofs", "publish").ok()
    leaves = current_leaves(zk)
    assert old not in leaves[GOLD] and 777 in leaves[GOLD]


# ------------------------------------------------------------------ privacy and offline


NO_NETWORK = Path(__file__).with_name("no_network.mjs")


def test_prover_makes_no_network_request(
    zk: ZkChain, story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prover runs with every network function of Node replaced by one that records the
    attempt and throws; the proof is made from the local files and nothing is attempted."""
    attempts = tmp_path / "attempts.log"
    monkeypatch.setenv("NODE_OPTIONS", f"--import={NO_NETWORK}")
    monkeypatch.setenv("ZK_NETWORK_LOG", str(attempts))
    leaves = current_leaves(zk)
    proof = make_proof(zk.members["zk-6"].signature, leaves[GOLD], GOLD, story.scope)
    assert proof["merkleTreeDepth"] == 20
    assert not attempts.exists(), attempts.read_text()
    # The blocker itself works: a fetch through it is recorded and refused.
    probe = subprocess.run(
        ["node", "-e", "fetch('http://192.0.2.1/').catch(() => process.exit(3))"],
        env={**os.environ},
        capture_output=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert probe.returncode == 3
    assert "fetch http://192.0.2.1/" in attempts.read_text()


def test_prover_refuses_without_local_files(zk: ZkChain, story: Story) -> None:
    wasm, _ = artifact_paths()
    payload = {
        "signature": "0x" + zk.members["zk-6"].signature.hex(),
        "leaves": [str(x) for x in current_leaves(zk)[GOLD]],
        "message": "2",
        "scope": str(story.scope),
        "depth": 20,
        "wasm": str(wasm),
    }
    done = subprocess.run(
        ["node", str(HELPER), "prove"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 1
    assert "the proving file zkey is missing" in done.stdout.decode()


def encodings(zk: ZkChain, member_id: str) -> dict[str, bytes]:
    """Every form in which a member's wallet, member id, commitment or identity commitment
    could appear in bytes or text."""
    member = zk.members[member_id]
    record = zk.registry.functions.memberOf(member.wallet).call()
    commitment = bytes(record[0])
    identity = member.identity
    return {
        "wallet": bytes.fromhex(member.wallet[2:]),
        "wallet text": member.wallet[2:].lower().encode(),
        "member id": member_id.encode(),
        "commitment": commitment,
        "commitment text": commitment.hex().encode(),
        "identity": identity.to_bytes(32, "big"),
        "identity text": str(identity).encode(),
        "identity hex": f"{identity:064x}".encode(),
    }


def scan(zk: ZkChain, tx_hashes: set[Any]) -> list[tuple[str, bytes]]:
    """Calldata and logs (topics and data) of each transaction."""
    haystacks: list[tuple[str, bytes]] = []
    for tx_hash in tx_hashes:
        tx = zk.web3.eth.get_transaction(tx_hash)
        haystacks.append((f"calldata {tx_hash.hex()}", bytes(tx["input"])))
        for log in zk.web3.eth.get_transaction_receipt(tx_hash)["logs"]:
            blob = b"".join(bytes(t) for t in log["topics"]) + bytes(log["data"])
            haystacks.append((f"log of {tx_hash.hex()}", blob))
    return haystacks


def assert_absent(zk: ZkChain, member_ids: list[str], haystacks: list[tuple[str, bytes]]) -> None:
    for member_id in member_ids:
        for what, needle in encodings(zk, member_id).items():
            for where, haystack in haystacks:
                found = needle in haystack or needle in haystack.lower()
                assert not found, f"{member_id}'s {what} found in {where}"


def test_privacy_proof_and_verification_reveal_nobody(restored: ZkChain, story: Story) -> None:
    """The proof files and the transaction that uses them up on chain, with its logs, hold
    none of the provers' wallet, member id, commitment or identity commitment."""
    zk = restored
    cinema = list(zk.web3.eth.accounts)[5]
    gold = zk.send(
        zk.proofs.functions.validateProof(GOLD, story.gold_proof.as_struct(), story.scope), cinema
    )
    platinum = zk.send(
        zk.proofs.functions.validateProof(GOLD, story.platinum_proof.as_struct(), story.scope),
        cinema,
    )
    haystacks = scan(zk, {gold.transactionHash, platinum.transactionHash})
    haystacks.append(("proof file", story.gold_file.read_bytes()))
    haystacks.append(("platinum proof", json.dumps(story.platinum_proof.as_json()).encode()))
    assert_absent(zk, ["zk-2", "zk-3"], haystacks)


def test_privacy_publications_reveal_nobody_in_groups_of_two_or_more(
    zk: ZkChain, story: Story
) -> None:
    publications = zk.proofs.events.RootsPublished().get_logs(from_block=0)
    haystacks = scan(zk, {log.transactionHash for log in publications})
    assert_absent(zk, ["zk-0", "zk-2", "zk-6"], haystacks)


def test_privacy_group_of_one_publishes_its_member(zk: ZkChain, story: Story) -> None:
    """Documented in docs/threat-model.md: a LeanIMT of one leaf has that leaf as its root, so
    a group of one member publishes the member's identity commitment (the page warns below
    MEMBERLEDGER_PROOF_MIN_GROUP members)."""
    _, roots, sizes, _ = zk.proofs.functions.publication().call()
    assert sizes[3] == 1
    assert roots[3] == zk.members["zk-3"].identity


def test_set_window_changes_root_validity(restored: ZkChain, story: Story) -> None:
    zk = restored
    run = zk.operator.run("proofs", "set-window", "120").ok()
    assert "120 s" in run.output
    assert zk.proofs.functions.publication().call()[3] == 120
    status = zk.operator.run("proofs", "status").ok()
    assert "gold or higher" in status.output and "120 s" in status.output
