"""What a staff member may see and do on the dashboard: the roles their wallet holds on chain,
read through `hasRole` on both contracts. No other account list exists: granting or revoking
a role on chain (`ape run roles`) is the only way to let someone in or out, and it takes
effect at the next sign-in, and for anything that changes state, at the next request.

    admin      DEFAULT_ADMIN_ROLE on the registry or the points token
    registrar  REGISTRAR_ROLE on the registry
    issuer     ISSUER_ROLE on the points token
    pauser     PAUSER_ROLE on the registry
"""

from __future__ import annotations

from typing import Any

#: The dashboard's sections and the roles that open each (any one of them is enough).
SECTIONS: dict[str, frozenset[str]] = {
    "overview": frozenset({"admin", "registrar", "issuer", "pauser"}),
    "health": frozenset({"admin", "registrar", "issuer", "pauser"}),
    "series": frozenset({"admin", "registrar", "issuer", "pauser"}),
    # Personal data is shown to registrars only.
    "members": frozenset({"registrar"}),
    "redemptions": frozenset({"registrar", "issuer"}),
    "access_log": frozenset({"admin"}),
}


def sections_of(roles: frozenset[str]) -> list[str]:
    """The sections `roles` open, in the page's order."""
    return [name for name, allowed in SECTIONS.items() if roles & allowed]


class StaffRoles:
    """Reads roles from the registry and the points token (Ape contracts)."""

    def __init__(self, registry: Any, points: Any) -> None:
        self._checks: list[tuple[str, Any, bytes]] = [
            ("admin", registry, registry.DEFAULT_ADMIN_ROLE()),
            ("admin", points, points.DEFAULT_ADMIN_ROLE()),
            ("registrar", registry, registry.REGISTRAR_ROLE()),
            ("issuer", points, points.ISSUER_ROLE()),
            ("pauser", registry, registry.PAUSER_ROLE()),
        ]

    def of(self, address: str) -> frozenset[str]:
        """The roles `address` holds now, as the chain says."""
        return frozenset(
            name for name, contract, role in self._checks if contract.hasRole(role, address)
        )
