"""The relay's account must hold no role in either contract: it signs for strangers."""

from __future__ import annotations

from typing import Any

import pytest

from memberledger.errors import ConfigError
from memberledger.site.server import check_relayer_has_no_role


def test_check_relayer_accepts_account_without_role(
    registry: Any, points: Any, outsider: Any
) -> None:
    check_relayer_has_no_role(registry, points, outsider.address)


@pytest.mark.parametrize(
    ("contract", "role"),
    [
        ("registry", "DEFAULT_ADMIN_ROLE"),
        ("registry", "REGISTRAR_ROLE"),
        ("registry", "PAUSER_ROLE"),
        ("points", "ISSUER_ROLE"),
    ],
)
def test_check_relayer_refuses_account_with_role(
    registry: Any, points: Any, admin: Any, outsider: Any, contract: str, role: str
) -> None:
    target = registry if contract == "registry" else points
    if role != "DEFAULT_ADMIN_ROLE":
        target.grantRole(getattr(target, role)(), outsider, sender=admin)
        relayer = outsider.address
    else:
        relayer = admin.address
    with pytest.raises(ConfigError, match=f"holds .*{contract} {role}"):
        check_relayer_has_no_role(registry, points, relayer)
