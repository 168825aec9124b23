"""ape run relay: serve the member page and the gas-free consent relay on one local port."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.member_site import WEB_ROOT, open_member_site
from memberledger.relay import RelayLimits


@click.command(cls=OperatorCommand, short_help="Serve the member page and relay")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--account",
    "alias",
    help="Ape account that pays for relayed consent changes (default locally: test account 0).",
)
@click.option(
    "--rpc-url",
    envvar="MEMBERLEDGER_BROWSER_RPC_URL",
    help="RPC URL the page and members' wallets use (default locally: this node's URL).",
)
@click.option("--chain-name", help="Network name shown when the page asks a wallet to add it.")
@click.option(
    "--web-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=WEB_ROOT,
    show_default=True,
    help="The built page (node web/build.mjs).",
)
@click.option("--per-ip", default=30, show_default=True, help="Requests per client IP per window.")
@click.option(
    "--per-member", default=5, show_default=True, help="Signed requests per member per window."
)
@click.option("--window", default=60.0, show_default=True, help="Rate-limit window in seconds.")
@click.option("--no-relay", is_flag=True, help="Serve the page only; consent costs members gas.")
@click.option(
    "--deploy", is_flag=True, help="Deploy first if this local chain has no deployment yet."
)
@reports_errors
def cli(
    host: str,
    port: int,
    alias: str | None,
    rpc_url: str | None,
    chain_name: str | None,
    web_root: Path,
    per_ip: int,
    per_member: int,
    window: float,
    no_relay: bool,
    deploy: bool,
) -> None:
    """Serve the member page (web/dist), its config.json and, unless --no-relay, the relay
    that submits members' signed consent changes (POST /relay/consent) with the operator's
    account. Runs until Ctrl-C."""
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)]
    )
    site = open_member_site(
        project,
        chain,
        accounts,
        host=host,
        port=port,
        account_alias=alias,
        rpc_url=rpc_url,
        chain_name=chain_name,
        web_root=web_root,
        limits=RelayLimits(per_ip=per_ip, per_member=per_member, window=window),
        relay_enabled=not no_relay,
        deploy_if_missing=deploy,
    )
    table = Table(title="Member page")
    table.add_column("what")
    table.add_column("value")
    table.add_row("page", site.url)
    table.add_row("chain", str(chain.chain_id))
    table.add_row("relay", f"{site.url}/relay/consent" if site.relay else "off")
    if site.relay:
        table.add_row("relayer", site.relay.relayer)
    Console().print(table)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.server_close()
