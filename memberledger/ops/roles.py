"""Role administration: who holds which role, and the changes an organisation makes to them.

AccessControl keeps no list of holders, so holders are rebuilt from the `RoleGranted` /
`RoleRevoked` events since deployment: the chain index keeps them (`ape run index verify`
confirms each holder with `hasRole`). The admin role moves only
in two steps (OpenZeppelin's AccessControlDefaultAdminRules): the current admin begins a
transfer, the new admin (e.g. the organisation's multisig) accepts it after the delay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from memberledger.errors import ChainRejected, ConfigError
from memberledger.hashing import keccak256
from memberledger.identifiers import parse_address
from memberledger.index.chain_index import ChainIndex

#: Role name -> which contract holds it. "admin" is DEFAULT_ADMIN_ROLE on both contracts.
ROLE_CONTRACTS: dict[str, tuple[str, ...]] = {
    "admin": ("registry", "points"),
    "registrar": ("registry",),
    "pauser": ("registry",),
    "issuer": ("points",),
}
#: Roles `grant` and `revoke` handle; the admin role moves only by `transfer-admin`.
GRANTABLE_ROLES = ("registrar", "pauser", "issuer")
ZERO_ROLE = b"\x00" * 32
#: Role name -> its id as both contracts define it (`keccak256("REGISTRAR_ROLE")`, ...).
ROLE_IDS = {
    "admin": "0x" + ZERO_ROLE.hex(),
    **{role: "0x" + keccak256(f"{role.upper()}_ROLE".encode()).hex() for role in GRANTABLE_ROLES},
}


@dataclass(frozen=True)
class RoleHolder:
    role: str
    contract: str
    account: str


@dataclass(frozen=True)
class PlannedCall:
    """One transaction the operator is asked to confirm before it is sent."""

    description: str
    method: Any
    args: tuple[Any, ...] = ()

    def send(self, sender: Any) -> Any:
        return self.method(*self.args, sender=sender)


def role_id(contracts: dict[str, Any], role: str, contract: str) -> bytes:
    if role == "admin":
        return ZERO_ROLE
    getter = {"registrar": "REGISTRAR_ROLE", "pauser": "PAUSER_ROLE", "issuer": "ISSUER_ROLE"}[role]
    return bytes(getattr(contracts[contract], getter)())


def list_holders(index: ChainIndex) -> list[RoleHolder]:
    """Every current holder of every role, as the index has the grants and revocations."""
    names = {ROLE_IDS[role]: role for role in ROLE_CONTRACTS}
    order = list(ROLE_CONTRACTS)
    holders = [
        RoleHolder(
            names.get(holding.role, holding.role),
            holding.contract,
            to_checksum_address(holding.account),
        )
        for holding in index.role_holders()
    ]
    return sorted(
        holders,
        key=lambda h: (
            order.index(h.role) if h.role in order else len(order),
            h.contract,
            h.account,
        ),
    )


def pending_admin(contracts: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Per contract, the pending new admin and when it may accept (0: none pending)."""
    pending: dict[str, tuple[str, int]] = {}
    for name, contract in contracts.items():
        new_admin, schedule = contract.pendingDefaultAdmin()
        pending[name] = (str(new_admin), int(schedule))
    return pending


@dataclass(frozen=True)
class RolePlan:
    """What an action will send (`calls`) and what it found already true (`unchanged`,
    sentences for the operator: nothing is sent for those)."""

    calls: list[PlannedCall] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def plan(
    action: str,
    contracts: dict[str, Any],
    role: str | None,
    account: str | None,
    sender: str,
    now: int,
) -> RolePlan:
    """The transactions an action needs, described for the confirmation prompt; `sender`
    signs them at chain time `now`. An action the chain would refuse is refused here, with
    what is true and what to do; one that would change nothing sends nothing."""
    registry = contracts["registry"]
    if action in ("grant", "revoke"):
        if role not in GRANTABLE_ROLES:
            raise ConfigError(
                f"{action} takes a role of {', '.join(GRANTABLE_ROLES)} "
                "(the admin role moves with transfer-admin / accept-admin)"
            )
        if not account:
            raise ConfigError(f"{action} needs the ADDRESS that gets or loses the role")
        address = parse_address(account, "ADDRESS")
        result = RolePlan()
        for name in ROLE_CONTRACTS[role]:
            contract, wanted = contracts[name], role_id(contracts, role, name)
            holds = bool(contract.hasRole(wanted, address))
            if holds == (action == "grant"):
                state = "already holds" if holds else "does not hold"
                result.unchanged.append(
                    f"{address} {state} the {role} role on {name}: nothing to {action}"
                )
                continue
            _require_admin(contract, name, sender, f"{action} roles")
            method = contract.grantRole if action == "grant" else contract.revokeRole
            result.calls.append(
                PlannedCall(
                    f"{action} {role} {'to' if action == 'grant' else 'from'} {address} on {name}",
                    method,
                    (wanted, address),
                )
            )
        return result
    if action == "transfer-admin":
        if not account:
            raise ConfigError("transfer-admin needs the ADDRESS of the new admin")
        address = parse_address(account, "ADDRESS")
        result = RolePlan()
        for name, contract in contracts.items():
            if str(contract.defaultAdmin()).lower() == address.lower():
                result.unchanged.append(f"{address} is already the admin of {name}")
                continue
            _require_admin(contract, name, sender, "begin an admin transfer")
            delay = int(contract.defaultAdminDelay())
            result.calls.append(
                PlannedCall(
                    f"begin admin transfer of {name} to {address} (it accepts after "
                    f"{delay:,} s, with `ape run roles accept-admin --account ...`)",
                    contract.beginDefaultAdminTransfer,
                    (address,),
                )
            )
        return result
    if action == "accept-admin":
        result = RolePlan()
        for name, contract in contracts.items():
            new_admin, schedule = contract.pendingDefaultAdmin()
            if str(contract.defaultAdmin()).lower() == sender.lower():
                result.unchanged.append(f"{sender} is already the admin of {name}")
                continue
            if int(schedule) == 0 or str(new_admin).lower() != sender.lower():
                raise ChainRejected(
                    f"no admin transfer of {name} to {sender} is pending"
                    + (f" (the pending one is to {new_admin})" if int(schedule) else "")
                    + ": the current admin starts one with `ape run roles transfer-admin "
                    f"{sender}`, or sign with the account it names (--account)"
                )
            if now < int(schedule):
                raise ChainRejected(
                    f"the admin transfer of {name} to {sender} can be accepted from "
                    f"{_utc(int(schedule))}; the chain's time is {_utc(now)}: "
                    f"wait {int(schedule) - now:,} s and run accept-admin again"
                )
            result.calls.append(
                PlannedCall(f"accept the admin role of {name}", contract.acceptDefaultAdminTransfer)
            )
        return result
    if action in ("pause", "unpause"):
        paused = bool(registry.paused())
        if paused == (action == "pause"):
            return RolePlan(unchanged=[f"the contracts are already {action}d: nothing to do"])
        pauser = role_id(contracts, "pauser", "registry")
        if not registry.hasRole(pauser, sender):
            raise ChainRejected(
                f"{sender} does not hold the pauser role, so the chain would refuse to "
                f"{action}: sign with a pauser's account (--account); `ape run roles list` "
                "shows who holds it"
            )
        method = registry.pause if action == "pause" else registry.unpause
        what = "stop" if action == "pause" else "resume"
        return RolePlan(
            calls=[PlannedCall(f"{action}: {what} every state change of both contracts", method)]
        )
    raise ConfigError(f"unknown action {action!r}")


def concentration_warning(holders: list[RoleHolder]) -> str | None:
    """A warning when one account holds every role (admin, registrar, issuer, pauser): one
    stolen key would then be the whole programme."""
    by_account: dict[str, set[str]] = {}
    for holder in holders:
        by_account.setdefault(holder.account, set()).add(holder.role)
    for account, roles in by_account.items():
        if roles >= set(ROLE_CONTRACTS):
            return (
                f"{account} holds every role (admin, registrar, issuer, pauser): one stolen key "
                "runs the whole programme. Hand the everyday roles to other accounts (`ape run "
                "roles grant registrar|issuer|pauser ADDRESS`, then revoke them from this one) "
                "and the admin role to a multisig (`roles transfer-admin`)"
            )
    return None


def _require_admin(contract: Any, name: str, sender: str, what: str) -> None:
    if not contract.hasRole(ZERO_ROLE, sender):
        raise ChainRejected(
            f"{sender} is not the admin of {name} (the admin is {contract.defaultAdmin()}), so "
            f"the chain would refuse to {what}: sign with the admin's account (--account)"
        )


def _utc(timestamp: int) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
