"""Role administration: who holds which role, and the changes an organisation makes to them.

AccessControl keeps no list of holders, so holders are rebuilt from the `RoleGranted` /
`RoleRevoked` events since deployment: the chain index keeps them (`ape run index verify`
confirms each holder with `hasRole`). The admin role moves only
in two steps (OpenZeppelin's AccessControlDefaultAdminRules): the current admin begins a
transfer, the new admin (e.g. the organisation's multisig) accepts it after the delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from memberledger.errors import ConfigError
from memberledger.hashing import keccak256
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


def plan(
    action: str, contracts: dict[str, Any], role: str | None, account: str | None
) -> list[PlannedCall]:
    """The transactions an action needs, described for the confirmation prompt."""
    registry = contracts["registry"]
    if action in ("grant", "revoke"):
        if role not in GRANTABLE_ROLES:
            raise ConfigError(
                f"{action} takes a role of {', '.join(GRANTABLE_ROLES)} "
                "(the admin role moves with transfer-admin / accept-admin)"
            )
        if not account:
            raise ConfigError(f"{action} needs the ADDRESS that gets or loses the role")
        calls = []
        for name in ROLE_CONTRACTS[role]:
            contract, wanted = contracts[name], role_id(contracts, role, name)
            method = contract.grantRole if action == "grant" else contract.revokeRole
            calls.append(
                PlannedCall(
                    f"{action} {role} {'to' if action == 'grant' else 'from'} {account} on {name}",
                    method,
                    (wanted, account),
                )
            )
        return calls
    if action == "transfer-admin":
        if not account:
            raise ConfigError("transfer-admin needs the ADDRESS of the new admin")
        return [
            PlannedCall(
                f"begin admin transfer of {name} to {account} (it accepts after the delay)",
                contract.beginDefaultAdminTransfer,
                (account,),
            )
            for name, contract in contracts.items()
        ]
    if action == "accept-admin":
        return [
            PlannedCall(
                f"accept the admin role of {name}",
                contract.acceptDefaultAdminTransfer,
            )
            for name, contract in contracts.items()
        ]
    if action in ("pause", "unpause"):
        method = registry.pause if action == "pause" else registry.unpause
        what = "stop" if action == "pause" else "resume"
        return [PlannedCall(f"{action}: {what} every state change of both contracts", method)]
    raise ConfigError(f"unknown action {action!r}")
