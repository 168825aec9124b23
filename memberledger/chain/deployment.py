"""Deploying the contracts and remembering where they are.

Every script after `deploy` needs the two contract addresses; they live in a small manifest,
`deployments/<chain id>.json`, so that operators never copy addresses by hand and a script
run against the wrong chain fails with a sentence instead of calling a stranger's contract.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from memberledger.errors import ConfigError
from memberledger.settings import settings

POLICY_DOCUMENT = Path("docs/privacy-policy.md")
CONTRACT_NAMES = ("MembershipRegistry", "LoyaltyPoints")

#: Reward rules set at deployment: tier -> multiplier in basis points (10_000 = 1.00x).
DEFAULT_TIER_MULTIPLIERS: dict[int, int] = {0: 10_000, 1: 12_500, 2: 15_000, 3: 20_000}
#: Reward catalogue set at deployment: reward id -> (cost in points, description).
DEFAULT_REWARDS: dict[int, tuple[int, str]] = {
    1: (100, "coffee voucher"),
    2: (500, "cinema ticket"),
    3: (2_000, "weekend upgrade"),
}


@dataclass(frozen=True)
class Deployment:
    """Where the programme's contracts live on one chain."""

    chain_id: int
    registry: str
    points: str
    deploy_block: int
    deployer: str
    policy_version: int
    policy_hash: str
    #: Compiler version and settings, and the file with the standard-JSON input, so the
    #: contracts can be verified on a block explorer.
    compiler_version: str = ""
    compiler_settings: dict[str, Any] = field(default_factory=dict)
    standard_input: str = ""

    @property
    def path(self) -> Path:
        return manifest_path(self.chain_id)

    @property
    def identity(self) -> dict[str, object]:
        """What tells this deployment from any other: the vault is bound to it."""
        return {
            "chain_id": self.chain_id,
            "registry": self.registry,
            "points": self.points,
            "deploy_block": self.deploy_block,
        }


def deployments_dir() -> Path:
    """The manifests' folder: `MEMBERLEDGER_DEPLOYMENTS`, else `deployments/`."""
    return settings().deployments


def manifest_path(chain_id: int, root: Path | None = None) -> Path:
    return (root or deployments_dir()) / f"{chain_id}.json"


def save_manifest(deployment: Deployment, root: Path | None = None) -> Path:
    """Write the manifest atomically, so a crash never leaves half a file behind."""
    path = manifest_path(deployment.chain_id, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(deployment), indent=2) + "\n")
    tmp.replace(path)
    return path


def load_manifest(chain_id: int, root: Path | None = None) -> Deployment:
    path = manifest_path(chain_id, root)
    if not path.exists():
        raise ConfigError(
            f"no deployment for chain {chain_id} ({path} is missing): run `ape run deploy` first"
        )
    try:
        return Deployment(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a deployment manifest: {exc}") from exc


def policy_document_hash(path: Path = POLICY_DOCUMENT) -> bytes:
    """SHA-256 of the privacy-policy text members consent to; it goes on-chain as the
    policy version's identity, so anyone holding the text can check which version it is."""
    if not path.exists():
        raise ConfigError(f"privacy policy document {path} is missing")
    return hashlib.sha256(path.read_bytes()).digest()


def deploy(
    project: Any,
    chain: Any,
    sender: Any,
    *,
    admin_transfer_delay: int = 0,
    registrar: str | None = None,
    issuer: str | None = None,
    policy_path: Path = POLICY_DOCUMENT,
    confirmations: int = 0,
) -> Deployment:
    """Deploy both contracts, publish the privacy policy, set the default reward rules and
    hand the registrar and issuer roles to the given addresses (the deployer keeps them too
    when none is given). Each transaction waits for `confirmations` blocks on top of it
    (0: the network's default)."""
    policy_hash = policy_document_hash(policy_path)
    tx: dict[str, Any] = {"sender": sender}
    if confirmations:
        tx["required_confirmations"] = confirmations
    registry = project.MembershipRegistry.deploy(sender, admin_transfer_delay, **tx)
    deploy_block = chain.get_receipt(registry.txn_hash).block_number
    points = project.LoyaltyPoints.deploy(registry, sender, admin_transfer_delay, **tx)
    for call, args in setup_calls(registry, points, policy_hash, registrar, issuer):
        call(*args, **tx)
    return Deployment(
        chain_id=chain.chain_id,
        registry=str(registry.address),
        points=str(points.address),
        deploy_block=deploy_block,
        deployer=str(sender.address),
        policy_version=int(registry.policyVersion()),
        policy_hash="0x" + policy_hash.hex(),
    )


def setup_calls(
    registry: Any, points: Any, policy_hash: bytes, registrar: str | None, issuer: str | None
) -> list[tuple[Any, tuple[Any, ...]]]:
    """The transactions that follow the two deployments, in order."""
    calls: list[tuple[Any, tuple[Any, ...]]] = [(registry.publishPolicy, (policy_hash,))]
    calls += [(points.setTierMultiplier, item) for item in DEFAULT_TIER_MULTIPLIERS.items()]
    calls += [(points.setReward, (rid, cost)) for rid, (cost, _) in DEFAULT_REWARDS.items()]
    if registrar:
        calls.append((registry.grantRole, (registry.REGISTRAR_ROLE(), registrar)))
    if issuer:
        calls.append((points.grantRole, (points.ISSUER_ROLE(), issuer)))
    return calls


#: Upper bounds of the gas of each setup transaction (a test checks them against receipts):
#: they cannot be estimated before the contracts exist.
SETUP_GAS_UPPER_BOUND = 80_000


@dataclass(frozen=True)
class DeploymentEstimate:
    """What `deploy --dry-run` prints: gas per transaction and the cost at today's fee."""

    rows: list[tuple[str, int]]
    gas_price_wei: int

    @property
    def total_gas(self) -> int:
        return sum(gas for _, gas in self.rows)

    @property
    def total_cost_wei(self) -> int:
        return self.total_gas * self.gas_price_wei


def estimate_deployment(
    project: Any, chain: Any, sender: Any, *, registrar: str | None, issuer: str | None
) -> DeploymentEstimate:
    """Estimate every transaction of `deploy` without sending one: the two deployments by
    the node's own `eth_estimateGas`, the setup calls by their tested upper bound."""
    registry_tx = project.MembershipRegistry.constructor.serialize_transaction(
        sender, 0, sender=sender
    )
    placeholder = sender.address  # any address: the constructor only stores it
    points_tx = project.LoyaltyPoints.constructor.serialize_transaction(
        placeholder, sender, 0, sender=sender
    )
    rows = [
        ("deploy MembershipRegistry", int(chain.provider.estimate_gas_cost(registry_tx))),
        ("deploy LoyaltyPoints", int(chain.provider.estimate_gas_cost(points_tx))),
    ]
    setup = (
        1 + len(DEFAULT_TIER_MULTIPLIERS) + len(DEFAULT_REWARDS) + bool(registrar) + bool(issuer)
    )
    rows.append((f"{setup} setup transactions (upper bound)", setup * SETUP_GAS_UPPER_BOUND))
    return DeploymentEstimate(rows, int(chain.provider.gas_price))


def save_verification_input(deployment: Deployment, compilers: Any, project: Any) -> Deployment:
    """Write `<chain id>.standard-input.json` beside the manifest: the exact standard-JSON
    input the contracts were compiled from, which block explorers accept for verification."""
    paths = [project.path / "contracts" / f"{name}.sol" for name in CONTRACT_NAMES]
    ((version, standard_input),) = compilers.solidity.get_standard_input_json(
        paths, project=project
    ).items()
    path = manifest_path(deployment.chain_id).with_suffix(".standard-input.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(standard_input, indent=1) + "\n")
    settings = {k: v for k, v in standard_input["settings"].items() if k != "outputSelection"}
    return replace(
        deployment,
        compiler_version=str(version),
        compiler_settings=settings,
        standard_input=path.name,
    )


def attach(project: Any, chain: Any, root: Path | None = None) -> tuple[Deployment, Any, Any]:
    """The manifest and both contracts of the connected chain, after checking that code
    really is at those addresses (a restarted local node forgets its contracts)."""
    deployment = load_manifest(chain.chain_id, root)
    for name, address in (
        ("MembershipRegistry", deployment.registry),
        ("LoyaltyPoints", deployment.points),
    ):
        if not chain.provider.get_code(address):
            raise ConfigError(
                f"{name} at {address} has no code on chain {chain.chain_id} "
                f"(was the local node restarted?): run `ape run deploy` again"
            )
    registry = _instance(chain, project.MembershipRegistry, deployment.registry)
    points = _instance(chain, project.LoyaltyPoints, deployment.points)
    return deployment, registry, points


def _instance(chain: Any, container: Any, address: str) -> Any:
    """The contract at `address` with exactly the project's ABI. Ape caches contract types
    by address on disk for networks named by URL and merges a cached type into the one it is
    given: after a local node restarts and the contracts are deployed again at the same
    addresses, it would hand back the previous contracts' functions and events too (the
    chain index read a `membersOf` this registry does not have, and two `MemberEnrolled`)."""
    return chain.contracts.instance_at(
        address,
        contract_type=container.contract_type,
        replace=True,
        fetch_from_explorer=False,
        detect_proxy=False,
    )
