"""The one local web service members' browsers talk to: the built member page (`web/dist/`),
its `config.json`, and the gas-free consent relay at `POST /relay/consent`.

Everything is served from one origin, so the page needs no cross-origin calls except to the
chain's RPC node, which the Content-Security-Policy names explicitly.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from memberledger.consent import PURPOSE_WORDS
from memberledger.deployment import DEFAULT_REWARDS, Deployment, attach, deploy, save_manifest
from memberledger.errors import ConfigError
from memberledger.operator import is_development_chain, operator_account
from memberledger.programme import phone_region
from memberledger.proofs.relay import IDENTITY_RELAY_PATH, IdentityRelay
from memberledger.proofs.site import GROUPS_PATH, ProofsSite, open_proofs_site
from memberledger.relay import MAX_BODY_BYTES, ConsentRelay, RelayLimits, RelayRefused
from memberledger.tiers import TIERS

#: Where `node web/build.mjs` puts the page.
WEB_ROOT = Path("web/dist")
RELAY_PATH = "/relay/consent"
CONFIG_PATH = "/config.json"

log = logging.getLogger("memberledger.site")

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".zkey": "application/octet-stream",
}


@dataclass(frozen=True)
class PageSettings:
    """What `config.json` tells the page besides the deployment."""

    rpc_url: str
    chain_name: str
    phone_region: str | None = None
    relay_enabled: bool = True


def page_config(deployment: Deployment, settings: PageSettings) -> dict[str, Any]:
    """The page's `config.json`: chain, contracts, relay and the programme's words."""
    return {
        "chainId": deployment.chain_id,
        "chainName": settings.chain_name,
        "rpcUrl": settings.rpc_url,
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        "registry": deployment.registry,
        "points": deployment.points,
        "deployBlock": deployment.deploy_block,
        "relayUrl": RELAY_PATH if settings.relay_enabled else None,
        "phoneRegion": settings.phone_region,
        "tiers": {str(number): name for number, name in TIERS.items()},
        "consentPurposes": [
            {"flag": int(flag), "words": words} for flag, words in PURPOSE_WORDS.items()
        ],
        "rewards": [
            {"id": reward_id, "description": description}
            for reward_id, (_, description) in DEFAULT_REWARDS.items()
        ],
    }


def content_security_policy(rpc_url: str) -> str:
    """Scripts, styles and images from this origin only; RPC calls to the chain's node.
    WebAssembly may be compiled ('wasm-unsafe-eval', no JavaScript eval) for the private-proof
    prover, whose worker may start helper workers from blob: URLs (snarkjs does)."""
    parts = urlsplit(rpc_url)
    rpc_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
        "style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {rpc_origin}; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    ).replace("  ", " ")


class MemberSite(ThreadingHTTPServer):
    """An HTTP server for the page, its config and the relay; `relay` None serves no relay."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        web_root: Path,
        config: dict[str, Any],
        relay: ConsentRelay | None,
        proofs: ProofsSite | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.proofs = proofs
        self.web_root = web_root.resolve()
        self.config_body = json.dumps(config, indent=2).encode()
        self.csp = content_security_policy(str(config["rpcUrl"]))
        self.relay = relay

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: MemberSite
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "MemberLedger"

    # ------------------------------------------------------------ routes

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == CONFIG_PATH:
            self._send(HTTPStatus.OK, self.server.config_body, "application/json", cache=False)
        elif path == RELAY_PATH:
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, _error("method", "Use POST."))
        elif path.startswith(GROUPS_PATH) and self.server.proofs is not None:
            name = path.removeprefix(GROUPS_PATH).removesuffix(".json")
            body = self.server.proofs.group_body(int(name)) if name.isdigit() else None
            if body is None:
                self._json(HTTPStatus.NOT_FOUND, _error("not_found", "There is no such group."))
            else:
                self._send(HTTPStatus.OK, body, "application/json")
        else:
            self._static(path)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        proofs = self.server.proofs
        if urlsplit(self.path).path == IDENTITY_RELAY_PATH and proofs and proofs.relay:
            self._relay_identity(proofs.relay)
            return
        if urlsplit(self.path).path != RELAY_PATH:
            self._json(HTTPStatus.NOT_FOUND, _error("not_found", "There is nothing here."))
            return
        relay = self.server.relay
        if relay is None:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, _error("no_relay", "No relay runs here."))
            return
        body = self._body()
        if body is None:
            return
        try:
            relayed = relay.relay(body, self.client_address[0])
        except RelayRefused as refused:
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
            log.info("refused %s: %s", refused.code, refused.message)
            self._json(refused.status, _error(refused.code, refused.message), headers)
            return
        except Exception:
            log.exception("relaying failed")
            self._json(
                HTTPStatus.BAD_GATEWAY,
                _error(
                    "unavailable",
                    "The relay could not reach the programme's chain. Please try again later.",
                ),
            )
            return
        log.info("relayed consent of %s in %s", relayed.member, relayed.tx_hash)
        self._json(HTTPStatus.OK, relayed.as_json())

    def _relay_identity(self, relay: IdentityRelay) -> None:
        body = self._body()
        if body is None:
            return
        try:
            relayed = relay.relay(body, self.client_address[0])
        except RelayRefused as refused:
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
            self._json(refused.status, _error(refused.code, refused.message), headers)
            return
        except Exception:
            log.exception("relaying an identity registration failed")
            self._json(
                HTTPStatus.BAD_GATEWAY,
                _error("unavailable", "The relay could not reach the programme's chain."),
            )
            return
        log.info("relayed an identity registration in %s", relayed["txHash"])
        self._json(HTTPStatus.OK, relayed)

    def do_PUT(self) -> None:
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, _error("method", "Use GET or POST."))

    do_DELETE = do_PATCH = do_PUT

    # ------------------------------------------------------------ helpers

    def _body(self) -> bytes | None:
        if self.headers.get_content_type() != "application/json":
            self._json(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                _error("bad_request", "Send the request as application/json."),
            )
            return None
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._json(HTTPStatus.LENGTH_REQUIRED, _error("bad_request", "Content-Length needed."))
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                _error("too_large", f"The request is larger than {MAX_BODY_BYTES} bytes."),
            )
            return None
        return self.rfile.read(length)

    def _static(self, path: str) -> None:
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        root = self.server.web_root
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            if not (root / "index.html").is_file():
                message = b"The member page is not built: run `node web/build.mjs` (make serve).\n"
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, message, "text/plain; charset=utf-8")
                return
            self._send(HTTPStatus.NOT_FOUND, b"Not found.\n", "text/plain; charset=utf-8")
            return
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        self._send(
            HTTPStatus.OK,
            target.read_bytes(),
            kind or "application/octet-stream",
            cache=target.name != "index.html",
        )

    def _json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers=headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        cache: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=60" if cache else "no-store")
        self.send_header("Content-Security-Policy", self.server.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], format % args)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def open_member_site(
    project: Any,
    chain: Any,
    accounts: Any,
    *,
    host: str,
    port: int,
    account_alias: str | None = None,
    rpc_url: str | None = None,
    chain_name: str | None = None,
    web_root: Path = WEB_ROOT,
    limits: RelayLimits | None = None,
    relay_enabled: bool = True,
    deploy_if_missing: bool = False,
) -> MemberSite:
    """The member site for the connected chain's deployment, bound and ready to serve.

    `rpc_url` is the node members' wallets and pages read from; on a local development chain
    it defaults to the node the relay uses. Elsewhere it must be given: the relay's own node
    URL may carry an API key and is never published. With `deploy_if_missing` (development
    chains only) the contracts are deployed first when the chain has none.
    """
    chain_id = int(chain.chain_id)
    development = is_development_chain(chain_id)
    if deploy_if_missing:
        if not development:
            raise ConfigError("--deploy is for local development chains only")
        try:
            attach(project, chain)
        except ConfigError:
            save_manifest(deploy(project, chain, operator_account(accounts, chain_id, None)))
    deployment, registry, _ = attach(project, chain)
    if rpc_url is None:
        if not development:
            raise ConfigError(
                f"chain {chain_id} is not a local development chain: name the RPC URL members' "
                "wallets should use with --rpc-url (the relay's own node URL is never published)"
            )
        rpc_url = str(chain.provider.uri)
    settings = PageSettings(
        rpc_url=rpc_url,
        chain_name=chain_name
        or (f"MemberLedger local chain {chain_id}" if development else f"Chain {chain_id}"),
        phone_region=phone_region(),
        relay_enabled=relay_enabled,
    )
    relay = None
    if relay_enabled:
        sender = operator_account(accounts, chain_id, account_alias)
        relay = ConsentRelay(registry, sender, chain, limits or RelayLimits())
        relay.check_domain()
    config = page_config(deployment, settings)
    proofs = open_proofs_site(
        project,
        chain,
        registry,
        relay.sender if relay else None,
        limits or RelayLimits(),
    )
    config["proofs"] = proofs.page_config() if proofs else None
    return MemberSite((host, port), web_root=web_root, config=config, relay=relay, proofs=proofs)
