"""Deploying the contracts and remembering where they are.

Every script after `deploy` needs the two contract addresses; they live in a small manifest,
`deployments/<chain id>.json`, so that operators never copy addresses by hand and a script
run against the wrong chain fails with a sentence instead of calling a stranger's contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from memberledger.chain.accounts import is_development_chain
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
#: The admin-transfer delay off local development chains unless `deploy --admin-delay` says
#: otherwise: a day in which the organisation can notice and cancel a transfer it did not
#: intend (OpenZeppelin's AccessControlDefaultAdminRules). Local chains default to 0.
PUBLIC_CHAIN_ADMIN_DELAY = 86_400


def default_admin_delay(chain_id: int) -> int:
    """Seconds an admin transfer waits by default on this chain."""
    return 0 if is_development_chain(chain_id) else PUBLIC_CHAIN_ADMIN_DELAY


@dataclass(frozen=True)
class RoleHandover:
    """Accounts that take the everyday roles from the deployer at deployment. The deployer
    renounces each role it hands over, so that it keeps only what it was not asked to give
    away (with all three given: the admin role alone)."""

    registrar: str | None = None
    issuer: str | None = None
    pauser: str | None = None

    @property
    def count(self) -> int:
        return sum(1 for holder in (self.registrar, self.issuer, self.pauser) if holder)


@dataclass(frozen=True)
class RewardRules:
    """What the points token is set up with: reward id -> cost, tier -> multiplier (bps)."""

    reward_costs: Mapping[int, int]
    multipliers: Mapping[int, int]


DEFAULT_RULES = RewardRules(
    reward_costs={reward_id: cost for reward_id, (cost, _) in DEFAULT_REWARDS.items()},
    multipliers=DEFAULT_TIER_MULTIPLIERS,
)


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
    #: The current privacy policy's text as published, kept beside the manifest (a path
    #: relative to the manifest's folder), for the member page to serve.
    policy_document: str = ""

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


def require_no_manifest(chain_id: int, root: Path | None = None) -> None:
    """Refuse to deploy over a programme: its manifest is how every command finds it."""
    path = manifest_path(chain_id, root)
    if path.exists():
        raise ConfigError(
            f"{path} already holds a deployment on chain {chain_id}: deploying again would "
            "leave its members and points behind. Pass --force to deploy anyway (the old "
            "manifest is archived beside it), or use another MEMBERLEDGER_DEPLOYMENTS folder"
        )


def archive_manifest(chain_id: int, root: Path | None = None) -> Path | None:
    """Move an existing manifest (and its verification input) aside, to
    `<chain id>.replaced-<UTC time>.json`: the archived path, or None if there was none."""
    path = manifest_path(chain_id, root)
    if not path.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    archived = path.with_name(f"{chain_id}.replaced-{stamp}.json")
    standard_input = path.with_suffix(".standard-input.json")
    if standard_input.exists():
        standard_input.replace(archived.with_suffix(".standard-input.json"))
    path.replace(archived)
    return archived


def load_manifest(chain_id: int, root: Path | None = None) -> Deployment:
    path = manifest_path(chain_id, root)
    if not path.exists():
        raise ConfigError(
            f"no deployment for chain {chain_id} ({path} is missing): is --network the "
            "programme's node? If it is, run `ape run deploy` first"
        )
    try:
        return Deployment(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a deployment manifest: {exc}") from exc


def keep_policy_document(
    chain_id: int, version: int, document: Path, root: Path | None = None
) -> str:
    """Copy the text of policy `version` beside the manifest (`<chain id>.policies/v<N>`),
    where it stays whatever happens to the file it came from: the path relative to the
    manifest's folder."""
    folder = manifest_path(chain_id, root).with_suffix(".policies")
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"v{version}{document.suffix or '.txt'}"
    kept.write_bytes(document.read_bytes())
    return f"{folder.name}/{kept.name}"


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
    admin_transfer_delay: int | None = None,
    roles: RoleHandover = RoleHandover(),
    rules: RewardRules = DEFAULT_RULES,
    policy_path: Path = POLICY_DOCUMENT,
    confirmations: int = 0,
) -> Deployment:
    """Deploy both contracts, publish the privacy policy, set the reward rules and hand the
    registrar, issuer and pauser roles to the given accounts (the deployer renounces each
    role it hands over; it keeps the ones no account is named for). Each transaction waits
    for `confirmations` blocks on top of it (0: the network's default). The admin-transfer
    delay defaults to `default_admin_delay` (a day off local chains)."""
    policy_hash = policy_document_hash(policy_path)
    if admin_transfer_delay is None:
        admin_transfer_delay = default_admin_delay(chain.chain_id)
    tx: dict[str, Any] = {"sender": sender}
    if confirmations:
        tx["required_confirmations"] = confirmations
    registry = project.MembershipRegistry.deploy(sender, admin_transfer_delay, **tx)
    deploy_block = chain.get_receipt(registry.txn_hash).block_number
    points = project.LoyaltyPoints.deploy(registry, sender, admin_transfer_delay, **tx)
    for call, args in setup_calls(registry, points, policy_hash, roles, rules, sender.address):
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
    registry: Any,
    points: Any,
    policy_hash: bytes,
    roles: RoleHandover,
    rules: RewardRules,
    deployer: str,
) -> list[tuple[Any, tuple[Any, ...]]]:
    """The transactions that follow the two deployments, in order: the policy, the reward
    rules, then each role handed over and renounced by the deployer (grant first, so no
    role is ever without a holder)."""
    calls: list[tuple[Any, tuple[Any, ...]]] = [(registry.publishPolicy, (policy_hash,))]
    calls += [(points.setTierMultiplier, item) for item in sorted(rules.multipliers.items())]
    calls += [(points.setReward, item) for item in sorted(rules.reward_costs.items())]
    for contract, role_getter, holder in (
        (registry, "REGISTRAR_ROLE", roles.registrar),
        (points, "ISSUER_ROLE", roles.issuer),
        (registry, "PAUSER_ROLE", roles.pauser),
    ):
        if not holder:
            continue
        role = getattr(contract, role_getter)()
        calls.append((contract.grantRole, (role, holder)))
        if holder.lower() != deployer.lower():
            calls.append((contract.renounceRole, (role, deployer)))
    return calls


def setup_call_count(roles: RoleHandover, rules: RewardRules, deployer: str) -> int:
    """How many transactions `setup_calls` makes (for the dry run, before any contract)."""
    handed = [h for h in (roles.registrar, roles.issuer, roles.pauser) if h]
    renounced = sum(1 for holder in handed if holder.lower() != deployer.lower())
    return 1 + len(rules.multipliers) + len(rules.reward_costs) + len(handed) + renounced


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
    project: Any,
    chain: Any,
    sender: Any,
    *,
    roles: RoleHandover = RoleHandover(),
    rules: RewardRules = DEFAULT_RULES,
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
    setup = setup_call_count(roles, rules, str(sender.address))
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
                f"(was the local node restarted without its state, or is --network another "
                f"node?): on the right node, run `ape run deploy --force` to start afresh"
            )
    return (
        deployment,
        contract_at(chain, project, "MembershipRegistry", deployment.registry),
        (contract_at(chain, project, "LoyaltyPoints", deployment.points)),
    )


def contract_at(chain: Any, project: Any, name: str, address: str) -> Any:
    """The project's contract `name` at `address`, with the project's own ABI. Ape caches
    the ABI of every address it meets in its data folder and merges what it finds there: on a
    local node, whose addresses repeat from one chain to the next, an older release's ABI at
    the same address would be merged in (two `MemberEnrolled` events, say). So the cache is
    neither read nor trusted here, and is overwritten with this ABI."""
    return chain.contracts.instance_at(
        address,
        contract_type=getattr(project, name).contract_type,
        fetch_from_explorer=False,
        fetch_from_disk=False,
        detect_proxy=False,
        replace=True,
    )
