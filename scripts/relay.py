"""ape run relay: serve the member page and the gas-free relay (consent changes and
redemptions) on one local port."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.index.schema import index_path
from memberledger.settings import settings
from memberledger.site.app import CONSENT_RELAY_PATH, HISTORY_PATH, REDEEM_RELAY_PATH, WEB_ROOT
from memberledger.site.history import DEFAULT_BUDGET, HistorySettings
from memberledger.site.relay import DEFAULT_DEADLINE_MARGIN, RelaySettings
from memberledger.site.server import DashboardSettings, ServerSettings, open_member_site


@click.command(cls=OperatorCommand, short_help="Serve the member page and relay")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--account",
    "alias",
    help="Ape account that pays for relayed requests; it must hold no role in either contract "
    "(default: MEMBERLEDGER_RELAYER; locally test account 9, which deploy gives no role).",
)
@click.option(
    "--programme",
    "programme_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The programme file: name, operator, contact, logo, colours, privacy policy, reward "
    "names (default: MEMBERLEDGER_PROGRAMME, else programme.toml).",
)
@click.option(
    "--rpc-url",
    help="RPC URL the page and members' wallets use (default: MEMBERLEDGER_BROWSER_RPC_URL; "
    "locally this node's URL).",
)
@click.option("--chain-name", help="Network name shown when the page asks a wallet to add it.")
@click.option(
    "--web-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=WEB_ROOT,
    show_default=True,
    help="The built page (node web/build.mjs).",
)
@click.option(
    "--per-ip",
    default=30,
    show_default=True,
    help="Requests per client IP per window, to the relay, to the history and to the staff "
    "sign-in (challenges and sign-ins) each.",
)
@click.option(
    "--per-member",
    default=5,
    show_default=True,
    help="Fresh signed requests per member per window.",
)
@click.option("--window", default=60.0, show_default=True, help="Rate-limit window in seconds.")
@click.option(
    "--deadline-margin",
    default=DEFAULT_DEADLINE_MARGIN / 60,
    show_default=True,
    help="Minutes a signed request must still be valid after the latest block to be sent.",
)
@click.option(
    "--max-connections", default=2048, show_default=True, help="Open connections at most."
)
@click.option(
    "--read-timeout", default=10.0, show_default=True, help="Seconds to send a request head."
)
@click.option(
    "--no-relay", is_flag=True, help="Serve the page only; consent and redemptions cost gas."
)
@click.option(
    "--history-index",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The chain index members' histories are read from (GET /history/<wallet>); "
    "default: the vault's, <MEMBERLEDGER_VAULT>.index.db, shared with ape run index.",
)
@click.option(
    "--history-budget",
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Seconds a history request may spend bringing the index up to date.",
)
@click.option("--no-history", is_flag=True, help="No history here: pages read it from the chain.")
@click.option(
    "--admin",
    is_flag=True,
    help="Serve the staff dashboard under /admin too (sign-in with Ethereum; reads the vault "
    "MEMBERLEDGER_VAULT and its chain index).",
)
@click.option(
    "--admin-origin",
    help="The origin staff's browsers use, e.g. https://members.example.org (sign-in messages "
    "are bound to it; default: http://HOST:PORT).",
)
@click.option(
    "--admin-idle",
    default=900.0,
    show_default=True,
    help="Seconds a staff session may sit idle before it ends.",
)
@click.option(
    "--deploy", is_flag=True, help="Deploy first if this local chain has no deployment yet."
)
@reports_errors
def cli(
    host: str,
    port: int,
    alias: str | None,
    programme_path: Path | None,
    rpc_url: str | None,
    chain_name: str | None,
    web_root: Path,
    per_ip: int,
    per_member: int,
    window: float,
    deadline_margin: float,
    max_connections: int,
    read_timeout: float,
    no_relay: bool,
    history_index: Path | None,
    history_budget: float,
    no_history: bool,
    admin: bool,
    admin_origin: str | None,
    admin_idle: float,
    deploy: bool,
) -> None:
    """Serve the member page (web/dist), its config.json and, unless --no-relay, the relay
    that sends members' signed consent changes (POST /relay/consent) and redemptions (POST
    /relay/redeem) with its own account, and, unless --no-history, members' histories from the
    chain index (GET /history/<wallet>), brought up to date as they are asked for.
    Runs until Ctrl-C or SIGTERM (requests in progress finish first)."""
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)]
    )
    site = open_member_site(
        project,
        chain,
        accounts,
        settings=ServerSettings(
            host=host, port=port, max_connections=max_connections, read_timeout=read_timeout
        ),
        programme_path=programme_path or settings().programme_file,
        account_alias=alias,
        rpc_url=rpc_url or settings().browser_rpc_url or None,
        chain_name=chain_name,
        web_root=web_root,
        relay_settings=RelaySettings(
            per_ip=per_ip,
            per_member=per_member,
            window=window,
            deadline_margin=int(deadline_margin * 60),
        ),
        relay_enabled=not no_relay,
        history_settings=None
        if no_history
        else HistorySettings(
            index_path=history_index or index_path(settings().vault_path),
            budget=history_budget,
            per_ip=per_ip,
            window=window,
        ),
        dashboard_settings=DashboardSettings(
            origin=admin_origin, idle=admin_idle, per_ip=per_ip, window=window
        )
        if admin
        else None,
        deploy_if_missing=deploy,
    )
    table = Table(title="Member page")
    table.add_column("what")
    table.add_column("value")
    table.add_row("page", site.url)
    table.add_row("chain", str(chain.chain_id))
    for path in (CONSENT_RELAY_PATH, REDEEM_RELAY_PATH):
        table.add_row("relay", f"{site.url}{path}" if site.relay else "off")
    if site.relay:
        table.add_row("relayer", site.relay.relayer)
    history = site.content.history
    table.add_row("history", f"{site.url}{HISTORY_PATH}/<wallet>" if history else "off")
    if history:
        table.add_row("history index", str(history.settings.index_path))
    table.add_row("dashboard", f"{site.url}/admin" if site.content.dashboard else "off")
    Console().print(table)
    site.serve()
