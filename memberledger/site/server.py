"""Starting and stopping the member site: uvicorn serving `app.create_app`, kept safe for a
service that anonymous clients reach.

- Read timeouts: a connection must deliver a request's head within `ServerSettings.
  read_timeout` seconds of opening (or of its previous answer), else it is closed; a body
  has `app.BODY_TIMEOUT`; an idle keep-alive connection is closed after `keep_alive`.
- A connection cap: past `max_connections`, the longest-idle connection (one with no
  request in progress) is closed to make room, so idle sockets cannot lock members out.
- A body-size cap (`relay.MAX_BODY_BYTES`, checked by declared length and as it arrives) and
  a head-size cap (`MAX_HEAD_BYTES`).
- Graceful shutdown: Ctrl-C (SIGINT) or SIGTERM stops accepting, lets requests in progress
  finish for up to `graceful_shutdown` seconds, then stops.

`open_member_site` prepares everything from the connected chain and the programme file and
refuses to start a relay whose account holds any role in either contract: the relay signs
for strangers, and must never be able to do more than pay for what members signed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from memberledger.chain.accounts import is_development_chain, operator_account
from memberledger.chain.deployment import (
    DEFAULT_REWARDS,
    Deployment,
    attach,
    deploy,
    save_manifest,
)
from memberledger.chain.rpc import node_url
from memberledger.chain.signer import signer_for
from memberledger.consent import PURPOSE_WORDS
from memberledger.errors import ConfigError
from memberledger.index.chain_index import abis_of
from memberledger.programme import open_programme
from memberledger.programme_file import ProgrammeFile, load_programme_file
from memberledger.settings import settings as programme_settings
from memberledger.site.admin_app import Dashboard
from memberledger.site.admin_desk import AdminDesk
from memberledger.site.app import (
    CONSENT_RELAY_PATH,
    HISTORY_PATH,
    REDEEM_RELAY_PATH,
    WEB_ROOT,
    SiteContent,
    create_app,
)
from memberledger.site.history import HistorySettings, IndexedHistory
from memberledger.site.proofs import open_proofs_site
from memberledger.site.relay import MemberRelay, RelaySettings
from memberledger.site.siwe_login import SignInSettings, StaffSignIn
from memberledger.tiers import TIERS

log = logging.getLogger("memberledger.site")

#: Largest request head (request line and headers), in bytes.
MAX_HEAD_BYTES = 16 * 1024
#: The test account that relays on a local development chain when no account is named: one
#: that `ape run deploy` gives no role (account 0 deploys and holds every role).
LOCAL_RELAYER_INDEX = 9
#: The roles of each contract, by the name of their getter (`DEFAULT_ADMIN_ROLE` is 0).
ROLE_GETTERS = {
    "registry": ("DEFAULT_ADMIN_ROLE", "REGISTRAR_ROLE", "PAUSER_ROLE"),
    "points": ("DEFAULT_ADMIN_ROLE", "ISSUER_ROLE"),
}


@dataclass(frozen=True)
class ServerSettings:
    """How the server treats connections (seconds and counts)."""

    host: str = "127.0.0.1"
    port: int = 8000
    read_timeout: float = 10.0
    keep_alive: float = 5.0
    max_connections: int = 2048
    graceful_shutdown: float = 10.0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's head and a connection
    cap that sheds the longest-idle connection instead of refusing newcomers."""

    read_timeout: float = 10.0
    max_connections: int = 2048

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()
        if len(self.connections) > self.max_connections:
            idle = [
                c
                for c in self.connections
                if isinstance(c, GuardedH11Protocol) and c is not self and c._is_idle()
            ]
            if idle:
                min(idle, key=lambda c: c._idle_since).transport.close()

    def _is_idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        cycle = self.cycle
        self._head_timer = self.loop.call_later(self.read_timeout, self._head_timed_out, cycle)

    def _head_timed_out(self, cycle: Any) -> None:
        """No new request head arrived since the timer was armed: close the connection."""
        if self.cycle is cycle and self._is_idle() and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        self._idle_since = self.loop.time()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)


def server_config(app: Any, settings: ServerSettings) -> uvicorn.Config:
    """uvicorn's configuration for `app` under `settings`."""
    protocol = type(
        "SiteProtocol",
        (GuardedH11Protocol,),
        {"read_timeout": settings.read_timeout, "max_connections": settings.max_connections},
    )
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        ws="none",
        lifespan="off",
        interface="asgi3",
        timeout_keep_alive=int(max(1, settings.keep_alive)),
        timeout_graceful_shutdown=int(max(1, settings.graceful_shutdown)),
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        backlog=1024,
        server_header=False,
        date_header=True,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )


@dataclass(frozen=True)
class DashboardSettings:
    """The staff dashboard: the origin staff's browsers use (None: this server's own
    http://host:port), seconds a session may sit idle, the seconds a read may spend
    bringing the chain index up to date, and the challenges and sign-ins allowed per client
    IP per `window` seconds."""

    origin: str | None = None
    idle: float = 900.0
    budget: float = 3.0
    per_ip: int = 30
    window: float = 60.0


@dataclass
class MemberSite:
    """A prepared site: what it serves and how; `serve()` runs it until Ctrl-C or SIGTERM."""

    content: SiteContent
    settings: ServerSettings

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def relay(self) -> MemberRelay | None:
        return self.content.relay

    def serve(self) -> None:
        try:
            uvicorn.Server(server_config(create_app(self.content), self.settings)).run()
        finally:
            if self.content.history is not None:
                self.content.history.close()
            if self.content.dashboard is not None:
                self.content.dashboard.desk.close()


def page_config(
    deployment: Deployment,
    programme: ProgrammeFile,
    *,
    rpc_url: str,
    chain_name: str,
    relay_enabled: bool,
    history_enabled: bool = False,
) -> dict[str, Any]:
    """The page's `config.json`: chain, contracts, relay, history and the programme's words."""
    return {
        "chainId": deployment.chain_id,
        "chainName": chain_name,
        "rpcUrl": rpc_url,
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        "registry": deployment.registry,
        "points": deployment.points,
        "deployBlock": deployment.deploy_block,
        "consentRelayUrl": CONSENT_RELAY_PATH if relay_enabled else None,
        "redeemRelayUrl": REDEEM_RELAY_PATH if relay_enabled else None,
        "historyUrl": HISTORY_PATH if history_enabled else None,
        "phoneRegion": programme_settings().phone_region,
        "programme": programme.page_settings(),
        "tiers": {str(number): name for number, name in TIERS.items()},
        "consentPurposes": [
            {"flag": int(flag), "words": words} for flag, words in PURPOSE_WORDS.items()
        ],
        "rewards": [
            {
                "id": reward_id,
                "description": description,
                "names": programme.reward_names_of(reward_id),
            }
            for reward_id, description in _catalogue(programme)
        ],
    }


def _catalogue(programme: ProgrammeFile) -> list[tuple[int, str]]:
    """The rewards the page offers (id, name): the programme file's catalogue, else the
    default one the contracts are deployed with."""
    if programme.rewards:
        return [(reward.reward_id, reward.name) for reward in programme.offered()]
    return [(reward_id, description) for reward_id, (_, description) in DEFAULT_REWARDS.items()]


def relayer_account(accounts: Any, chain_id: int, alias: str | None) -> Any:
    """The relay's own account: the named Ape account (`--account`, else
    `MEMBERLEDGER_RELAYER`), unlocked with `MEMBERLEDGER_RELAYER_PASSPHRASE` when set, or
    locally the test account no deployment gives a role. Never the operator's
    `MEMBERLEDGER_ACCOUNT`."""
    alias = alias or programme_settings().relayer or None
    if not alias:
        if is_development_chain(chain_id):
            return accounts.test_accounts[LOCAL_RELAYER_INDEX]
        raise ConfigError(
            f"chain {chain_id} is not a local development chain: name the relay's own "
            "account with --account ALIAS (one that holds no role; see the README)"
        )
    try:
        account = accounts.load(alias)
    except Exception as exc:  # ape's AccountsError and friends
        raise ConfigError(f"no Ape account named {alias!r}: {exc}") from exc
    passphrase = programme_settings().relayer_passphrase
    if passphrase:  # a service signs without prompts
        account.set_autosign(True, passphrase=passphrase)
    return account


def check_relayer_has_no_role(registry: Any, points: Any, relayer: str) -> None:
    """Refuse a relayer that holds any role in either contract."""
    held = [
        f"{name} {getter}"
        for name, contract in (("registry", registry), ("points", points))
        for getter in ROLE_GETTERS[name]
        if contract.hasRole(getattr(contract, getter)(), relayer)
    ]
    if held:
        raise ConfigError(
            f"the relay's account {relayer} holds {', '.join(held)}: a relay signs for "
            "strangers and must hold no role. Create a separate account for it "
            "(ape accounts generate relayer), fund it, and pass --account relayer"
        )


def open_member_site(
    project: Any,
    chain: Any,
    accounts: Any,
    *,
    settings: ServerSettings,
    programme_path: Path,
    account_alias: str | None = None,
    rpc_url: str | None = None,
    chain_name: str | None = None,
    web_root: Path = WEB_ROOT,
    relay_settings: RelaySettings | None = None,
    relay_enabled: bool = True,
    history_settings: HistorySettings | None = None,
    dashboard_settings: DashboardSettings | None = None,
    deploy_if_missing: bool = False,
) -> MemberSite:
    """The member site for the connected chain's deployment, ready to serve.

    `rpc_url` is the node members' wallets and pages read from; on a local development chain
    it defaults to the node the relay uses. Elsewhere it must be given: the relay's own node
    URL may carry an API key and is never published. With `history_settings`, members'
    histories are served from the chain index in that file (`GET /history/<wallet>`). With
    `deploy_if_missing` (development chains only) the contracts are deployed first when the
    chain has none. With `dashboard_settings`, the staff dashboard is served under /admin,
    reading the programme's vault (`MEMBERLEDGER_VAULT`) and its chain index.
    """
    programme = load_programme_file(programme_path)
    chain_id = int(chain.chain_id)
    development = is_development_chain(chain_id)
    if deploy_if_missing:
        if not development:
            raise ConfigError("--deploy is for local development chains only")
        try:
            attach(project, chain)
        except ConfigError:
            save_manifest(deploy(project, chain, operator_account(accounts, chain_id, None)))
    deployment, registry, points = attach(project, chain)
    if deployment.policy_document:  # the text `deploy` / `programme policy publish` kept
        kept = deployment.path.parent / deployment.policy_document
        if kept.is_file():
            programme = replace(programme, privacy_policy=kept)
    _check_policy(registry, programme)
    own_node = node_url(chain.provider)
    if rpc_url is None:
        if not development:
            raise ConfigError(
                f"chain {chain_id} is not a local development chain: name the RPC URL members' "
                "wallets should use with --rpc-url (the relay's own node URL is never published)"
            )
        rpc_url = own_node
    relay = None
    sender = None
    if relay_enabled:
        sender = relayer_account(accounts, chain_id, account_alias)
        check_relayer_has_no_role(registry, points, str(sender.address))
        relay = MemberRelay(
            node_url=own_node,
            chain_id=chain_id,
            registry=deployment.registry,
            points=deployment.points,
            signer=signer_for(sender, chain.provider.network.ecosystem),
            settings=relay_settings or RelaySettings(),
        )
        relay.check_domain()
    history = None
    if history_settings is not None:
        abis = abis_of(registry, points)
        history = IndexedHistory(own_node, deployment, abis, history_settings)
    config = page_config(
        deployment,
        programme,
        rpc_url=rpc_url,
        chain_name=chain_name
        or (f"MemberLedger local chain {chain_id}" if development else f"Chain {chain_id}"),
        relay_enabled=relay_enabled,
        history_enabled=history is not None,
    )
    proofs = open_proofs_site(
        project,
        chain,
        registry,
        sender if relay_enabled else None,
        relay_settings or RelaySettings(),
    )
    config["proofs"] = proofs.page_config() if proofs else None
    dashboard = None
    if dashboard_settings is not None:
        origin = dashboard_settings.origin or f"http://{settings.host}:{settings.port}"
        desk = AdminDesk(
            lambda: open_programme(project, chain, accounts),
            relayer=str(sender.address) if sender is not None else None,
            budget=dashboard_settings.budget,
        )
        sign_in = StaffSignIn(
            SignInSettings(
                origin=origin,
                chain_id=chain_id,
                idle=dashboard_settings.idle,
                per_ip=dashboard_settings.per_ip,
                window=dashboard_settings.window,
            )
        )
        dashboard = Dashboard(desk, sign_in)
    return MemberSite(
        SiteContent(
            web_root,
            config,
            programme,
            relay,
            history=history,
            proofs=proofs,
            dashboard=dashboard,
        ),
        settings,
    )


def _check_policy(registry: Any, programme: ProgrammeFile) -> None:
    """The policy the page links must be the one members agree to on chain."""
    version = int(registry.policyVersion())
    published = bytes(registry.policyHash(version))
    local = hashlib.sha256(programme.privacy_policy.read_bytes()).digest()
    if published != local:
        raise ConfigError(
            f"{programme.privacy_policy} is not privacy policy version {version} as published "
            "on chain (its SHA-256 differs): link the text members actually agree to"
        )
