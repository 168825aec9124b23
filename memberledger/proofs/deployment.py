"""Deploying `ProofVerifier` and `MembershipProofs` next to a programme, and remembering them.

The programme's own manifest (`deployments/<chain id>.json`) belongs to `memberledger.
deployment`; private proofs keep theirs beside it, `deployments/<chain id>.proofs.json`, so
the two can be deployed (and upgraded) apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from memberledger.chain.deployment import attach, deployments_dir
from memberledger.errors import ConfigError


@dataclass(frozen=True)
class ProofsDeployment:
    chain_id: int
    proofs: str
    verifier: str
    registry: str
    deploy_block: int
    #: The registry's deploy block: where the groups' history starts.
    registry_block: int


def proofs_manifest_path(chain_id: int, root: Path | None = None) -> Path:
    return (root or deployments_dir()) / f"{chain_id}.proofs.json"


def save_proofs_manifest(deployment: ProofsDeployment, root: Path | None = None) -> Path:
    path = proofs_manifest_path(deployment.chain_id, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(deployment), indent=2) + "\n")
    tmp.replace(path)
    return path


def load_proofs_manifest(chain_id: int, root: Path | None = None) -> ProofsDeployment:
    path = proofs_manifest_path(chain_id, root)
    if not path.exists():
        raise ConfigError(
            f"private proofs are not deployed on chain {chain_id} ({path} is missing): "
            "run `ape run proofs deploy` first"
        )
    try:
        return ProofsDeployment(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a private-proofs manifest: {exc}") from exc


def deploy_proofs(
    project: Any,
    chain: Any,
    sender: Any,
    *,
    root_validity: int,
    publisher: str | None = None,
    admin_transfer_delay: int = 0,
) -> ProofsDeployment:
    """Deploy the verifier and `MembershipProofs` for the connected chain's programme; the
    deployer holds the admin and publisher roles, and `publisher` gets the latter too."""
    programme, registry, _ = attach(project, chain)
    verifier = project.ProofVerifier.deploy(sender=sender)
    proofs = project.MembershipProofs.deploy(
        registry, verifier, sender, admin_transfer_delay, root_validity, sender=sender
    )
    if publisher:
        proofs.grantRole(proofs.PROOF_PUBLISHER_ROLE(), publisher, sender=sender)
    return ProofsDeployment(
        chain_id=int(chain.chain_id),
        proofs=str(proofs.address),
        verifier=str(verifier.address),
        registry=str(registry.address),
        deploy_block=int(chain.get_receipt(proofs.txn_hash).block_number),
        registry_block=programme.deploy_block,
    )


def attach_proofs(
    project: Any, chain: Any, root: Path | None = None
) -> tuple[ProofsDeployment, Any]:
    """The private-proofs manifest and contract of the connected chain, checked for code."""
    deployment = load_proofs_manifest(int(chain.chain_id), root)
    if not chain.provider.get_code(deployment.proofs):
        raise ConfigError(
            f"MembershipProofs at {deployment.proofs} has no code on chain {deployment.chain_id} "
            "(was the local node restarted?): run `ape run proofs deploy` again"
        )
    return deployment, project.MembershipProofs.at(deployment.proofs)
