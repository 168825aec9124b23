"""Who signs an operator's transactions.

On a local development chain the first funded test account signs, so `make demo` needs no
setup; anywhere else the operator must name an Ape account (`--account ALIAS`, or
`MEMBERLEDGER_ACCOUNT`), so nothing real is ever signed by a well-known test key.
"""

from __future__ import annotations

from typing import Any

from memberledger.errors import ConfigError
from memberledger.settings import settings

#: Chain ids of local development nodes (Anvil/Hardhat 31337, the in-process chain 1337).
DEVELOPMENT_CHAIN_IDS = frozenset({31337, 1337})


def is_development_chain(chain_id: int) -> bool:
    return chain_id in DEVELOPMENT_CHAIN_IDS


def operator_account(accounts: Any, chain_id: int, alias: str | None) -> Any:
    """The account that signs: the named Ape account (`--account`, else `MEMBERLEDGER_ACCOUNT`
    from the environment or `.env`), or the first test account locally."""
    alias = alias or settings().account or None
    if alias:
        try:
            account = accounts.load(alias)
        except Exception as exc:  # ape's AccountsError and friends
            raise ConfigError(f"no Ape account named {alias!r}: {exc}") from exc
        passphrase = settings().account_passphrase
        if passphrase:  # unattended runs: unlock once, sign without prompts
            account.set_autosign(True, passphrase=passphrase)
        return account
    if is_development_chain(chain_id):
        return accounts.test_accounts[0]
    raise ConfigError(
        f"chain {chain_id} is not a local development chain: "
        "name the signing account with --account ALIAS"
    )
