"""Every `MEMBERLEDGER_*` setting, read once: from the environment, else from the project's
`.env`.

`.env` is read from the project folder only (the working directory `ape run` and `make` use),
never searched for in parent folders: a stray `.env` higher up must not point a programme at
another vault or sign with another account. The environment wins over `.env`, so one command
can override a setting (`MEMBERLEDGER_VERBOSE=1 ape run ...`). `.env.example` documents each
setting.

Nothing here checks that a setting makes sense beyond its form: the module that uses a setting
says what is wrong with it (a missing vault key matters to the vault, not to `roles list`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dotenv import dotenv_values

#: The prefix of every setting; nothing else is read from the environment.
PREFIX = "MEMBERLEDGER_"
DEFAULT_VAULT_PATH = Path("data/vault.db")
DEFAULT_DEPLOYMENTS = Path("deployments")
#: Where `make node` listens and `ethereum:local:foundry` looks for a running node.
DEFAULT_NODE_HOST = "http://127.0.0.1:8545"
DEFAULT_PROGRAMME_FILE = Path("programme.toml")


@dataclass(frozen=True)
class Settings:
    """The programme's settings; secrets are kept as text and never printed (`__repr__`)."""

    #: MEMBERLEDGER_VAULT: the vault's SQLite file.
    vault_path: Path = DEFAULT_VAULT_PATH
    #: MEMBERLEDGER_VAULT_KEY: 64 hex digits, checked by the vault when it opens.
    vault_key: str = ""
    #: MEMBERLEDGER_ACCOUNT: the Ape account alias that signs when no --account is given.
    account: str = ""
    #: MEMBERLEDGER_ACCOUNT_PASSPHRASE: unlocks that account for unattended runs.
    account_passphrase: str = ""
    #: MEMBERLEDGER_VERBOSE: any non-empty value shows tracebacks.
    verbose: bool = False
    #: MEMBERLEDGER_PHONE_REGION: region for phone numbers without a country code ("DE").
    phone_region: str | None = None
    #: MEMBERLEDGER_DEPLOYMENTS: the folder of deployment manifests.
    deployments: Path = DEFAULT_DEPLOYMENTS
    #: MEMBERLEDGER_BROWSER_RPC_URL: the public RPC URL the member page uses.
    browser_rpc_url: str = ""
    #: MEMBERLEDGER_RPC_URL: the operator's node, for `--network "$MEMBERLEDGER_RPC_URL"`.
    rpc_url: str = ""
    #: MEMBERLEDGER_NODE_HOST: the local node's address, "http://HOST:PORT" (`make node`
    #: listens there; `ethereum:local:foundry` uses a node running there, else starts one
    #: there), or "auto" for a throw-away node on a free port (tests).
    node_host: str = DEFAULT_NODE_HOST
    #: MEMBERLEDGER_PROGRAMME: the programme file (name, page, reward catalogue, multipliers).
    programme_file: Path = DEFAULT_PROGRAMME_FILE
    #: MEMBERLEDGER_RELAYER: the Ape account the consent relay pays with (no role held).
    relayer: str = ""
    #: MEMBERLEDGER_RELAYER_PASSPHRASE: unlocks the relayer's account for a service.
    relayer_passphrase: str = ""
    #: MEMBERLEDGER_PROOF_ROOT_VALIDITY: seconds a replaced group root stays accepted
    #: (checked by `memberledger.proofs.settings`).
    proof_root_validity: str = ""
    #: MEMBERLEDGER_PROOF_MIN_GROUP: below this many members the page warns (checked there).
    proof_min_group: str = ""
    #: MEMBERLEDGER_DATABASE_URL: "postgresql://USER:PASSWORD@HOST:PORT/DB" puts the vault,
    #: the journal and the chain index in PostgreSQL (several operator machines, one
    #: programme); empty: the vault's SQLite file (`vault_path`), the default. A secret: it
    #: may hold a password.
    database_url: str = ""

    def __repr__(self) -> str:
        shown = {
            name: ("***" if name in _SECRETS and value else value)
            for name, value in vars(self).items()
        }
        return f"Settings({shown})"


_SECRETS = frozenset({"vault_key", "account_passphrase", "relayer_passphrase", "database_url"})


def read_settings(
    environment: Mapping[str, str] | None = None, project: Path | None = None
) -> Settings:
    """The settings from `environment` (default: the process's) over `project/.env`
    (default: the working directory's)."""
    env = os.environ if environment is None else environment
    dotenv_file = (project or Path.cwd()) / ".env"
    from_file = dotenv_values(dotenv_file) if dotenv_file.is_file() else {}
    values = {
        name: value
        for name, value in {**from_file, **env}.items()
        if name.startswith(PREFIX) and value is not None
    }

    def text(name: str) -> str:
        return values.get(PREFIX + name, "").strip()

    return Settings(
        vault_path=Path(text("VAULT") or DEFAULT_VAULT_PATH),
        vault_key=text("VAULT_KEY"),
        account=text("ACCOUNT"),
        account_passphrase=values.get(PREFIX + "ACCOUNT_PASSPHRASE", ""),
        verbose=bool(text("VERBOSE")),
        phone_region=text("PHONE_REGION").upper() or None,
        deployments=Path(text("DEPLOYMENTS") or DEFAULT_DEPLOYMENTS),
        browser_rpc_url=text("BROWSER_RPC_URL"),
        rpc_url=text("RPC_URL"),
        node_host=text("NODE_HOST") or DEFAULT_NODE_HOST,
        programme_file=Path(text("PROGRAMME") or DEFAULT_PROGRAMME_FILE),
        relayer=text("RELAYER"),
        relayer_passphrase=values.get(PREFIX + "RELAYER_PASSPHRASE", ""),
        proof_root_validity=text("PROOF_ROOT_VALIDITY"),
        proof_min_group=text("PROOF_MIN_GROUP"),
        database_url=text("DATABASE_URL"),
    )


@cache
def settings() -> Settings:
    """The settings of this process, read on first use (`reload_settings` reads them again)."""
    return read_settings()


def reload_settings() -> Settings:
    """Forget the settings read so far and read them again (tests and benchmarks that set
    variables in-process)."""
    settings.cache_clear()
    return settings()
