"""The one web application members' browsers talk to (ASGI, Starlette): the built member page
(`web/dist/`), its `config.json`, the programme's stylesheet, logo and privacy policy, and the
gas-free relay at `POST /relay/consent` (consent changes), `POST /relay/redeem`
(redemptions) and `POST /relay/identity` (private proofs' identities), members' histories from
the operator's chain index at `GET /history/<wallet>`, and the published proof groups.

Everything is served from one origin, so the page needs no cross-origin calls except to the
chain's RPC node, which the Content-Security-Policy names explicitly. Every answer the
application itself makes is a fixed text: a refusal is `{"error": code, "message": sentence}`
from `refusals.SENTENCES`, never anything a client sent or an upstream node said.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memberledger.programme_file import ProgrammeFile
from memberledger.site.admin_app import Dashboard, admin_routes
from memberledger.site.history import IndexedHistory
from memberledger.site.identity_relay import IDENTITY_RELAY_PATH
from memberledger.site.proofs import GROUPS_PATH, ProofsSite
from memberledger.site.refusals import RelayRefused
from memberledger.site.relay import MemberRelay, Relayed, Sent
from memberledger.site.signed_requests import MAX_BODY_BYTES

#: Where `node web/build.mjs` puts the page.
WEB_ROOT = Path("web/dist")
CONSENT_RELAY_PATH = "/relay/consent"
REDEEM_RELAY_PATH = "/relay/redeem"
RELAY_PATHS = (CONSENT_RELAY_PATH, REDEEM_RELAY_PATH, IDENTITY_RELAY_PATH)
HISTORY_PATH = "/history"
CONFIG_PATH = "/config.json"
#: Seconds a client may take to send a request's body.
BODY_TIMEOUT = 10.0
#: How often the relay looks for a sent transaction's receipt, in seconds.
RECEIPT_POLL = 0.1
#: Worker threads that check and send relay requests at once; more wait their turn.
RELAY_WORKERS = 32

log = logging.getLogger("memberledger.site")

_ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
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


def content_security_policy(rpc_url: str) -> str:
    """Scripts, styles and images from this origin only; RPC calls to the chain's node.
    WebAssembly may be compiled ('wasm-unsafe-eval', no JavaScript eval) for the private-proof
    prover, whose worker starts helper workers from blob: URLs (snarkjs does)."""
    parts = urlsplit(rpc_url)
    rpc_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
        "style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {rpc_origin}; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    ).replace("  ", " ")


@dataclass
class SiteContent:
    """What the application serves: the built page, its config, the programme's own files,
    the relay and the members' histories (None: not served here)."""

    web_root: Path
    config: dict[str, Any]
    programme: ProgrammeFile
    relay: MemberRelay | None
    history: IndexedHistory | None = None
    #: Private proofs (issue 19): the published groups and the identity relay, if deployed.
    proofs: ProofsSite | None = None
    #: The staff dashboard under /admin (issue 18), if served here.
    dashboard: Dashboard | None = None


class SecurityHeaders:
    """Adds the page's security headers to every answer (pure ASGI, so streaming and
    disconnects pass through untouched)."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "no-store")
                headers["Content-Security-Policy"] = self.csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Server"] = "MemberLedger"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _refusal(refused: RelayRefused) -> JSONResponse:
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)


def create_app(content: SiteContent) -> Starlette:
    """The ASGI application for `content`."""
    web_root = content.web_root.resolve()
    config_body = json.dumps(content.config, indent=2, ensure_ascii=False).encode()
    csp = content_security_policy(str(content.config["rpcUrl"]))
    stylesheet = content.programme.stylesheet().encode()
    limiter = anyio.CapacityLimiter(RELAY_WORKERS)

    async def config(request: Request) -> Response:
        return Response(config_body, media_type="application/json")

    async def programme_css(request: Request) -> Response:
        return Response(stylesheet, media_type="text/css; charset=utf-8")

    async def logo(request: Request) -> Response:
        programme = content.programme
        if programme.logo is None or programme.logo_type is None:
            raise HTTPException(404)
        return Response(programme.logo.read_bytes(), media_type=programme.logo_type)

    async def privacy_policy(request: Request) -> Response:
        text = content.programme.privacy_policy.read_text(encoding="utf-8")
        title = html.escape(content.programme.name)
        page = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Privacy policy: {title}</title>"
            '<link rel="stylesheet" href="style.css"><link rel="stylesheet" href="programme.css">'
            f'</head><body><main id="main"><section><h1>{title}</h1>'
            f'<pre class="policy">{html.escape(text)}</pre>'
            '<p><a href="./">Back to your membership</a></p></section></main></body></html>\n'
        )
        return Response(page, media_type="text/html; charset=utf-8")

    async def relay(request: Request, kind: str) -> Response:
        relay = content.relay
        if relay is None:
            return _refusal(RelayRefused(503, "no_relay"))
        client = request.client.host if request.client else "unknown"
        check = relay.relay_consent if kind == "consent" else relay.relay_redemption
        try:
            relay.admit(client)
            if request.headers.get("content-type", "").split(";")[0].strip() != (
                "application/json"
            ):
                raise RelayRefused(415, "media_type")
            body = await _read_body(request)
            sent = await anyio.to_thread.run_sync(check, body, limiter=limiter)
        except RelayRefused as refused:
            log.info("refused %s %s (%s) from %s", kind, refused.code, refused.field or "-", client)
            return _refusal(refused)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            relayed = await _await_receipt(relay, sent)
        finally:
            relay.release(sent)
        log.info("relayed %s of %s in %s", kind, sent.member, sent.tx_hash)
        return JSONResponse(relayed.as_json(), status_code=200 if relayed.block_number else 202)

    async def relay_consent(request: Request) -> Response:
        return await relay(request, "consent")

    async def relay_redeem(request: Request) -> Response:
        return await relay(request, "redeem")

    async def history(request: Request) -> Response:
        source = content.history
        if source is None:
            raise HTTPException(404)
        client = request.client.host if request.client else "unknown"
        try:
            source.admit(client)
            document = await source.answer(request.path_params["wallet"])
        except RelayRefused as refused:
            log.info("refused history %s (%s) from %s", refused.code, refused.field or "-", client)
            return _refusal(refused)
        return JSONResponse(document)

    async def proof_group(request: Request) -> Response:
        body = None
        if content.proofs is not None:
            body = await anyio.to_thread.run_sync(
                content.proofs.group_body, int(request.path_params["group"]), limiter=limiter
            )
        if body is None:
            raise HTTPException(404)
        return Response(body, media_type="application/json")

    async def relay_identity(request: Request) -> Response:
        relay = content.proofs.relay if content.proofs else None
        if relay is None:
            return _refusal(RelayRefused(503, "no_relay"))
        client = request.client.host if request.client else "unknown"
        try:
            if request.headers.get("content-type", "").split(";")[0].strip() != (
                "application/json"
            ):
                raise RelayRefused(415, "media_type")
            body = await _read_body(request)
            relayed = await anyio.to_thread.run_sync(relay.relay, body, client, limiter=limiter)
        except RelayRefused as refused:
            log.info("refused identity %s (%s) from %s", refused.code, refused.field or "-", client)
            return _refusal(refused)
        except ClientDisconnect:
            return Response(status_code=400)
        log.info("relayed an identity registration in %s", relayed["txHash"])
        return JSONResponse(relayed)

    async def static(request: Request) -> Response:
        path = request.url.path
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        target = (web_root / relative).resolve()
        found = target.is_relative_to(web_root) and target.is_file()
        if request.method not in ("GET", "HEAD"):
            served = path in RELAY_PATHS or path.startswith(HISTORY_PATH + "/")
            raise HTTPException(405 if found or served else 404)
        if path in RELAY_PATHS:
            raise HTTPException(405)
        if not found:
            if not (web_root / "index.html").is_file():
                message = "The member page is not built: run `node web/build.mjs` (make serve).\n"
                return Response(message, status_code=503, media_type="text/plain; charset=utf-8")
            raise HTTPException(404)
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        cache = "max-age=60" if target.name != "index.html" else "no-store"
        return Response(
            target.read_bytes(),
            media_type=kind or "application/octet-stream",
            headers={"Cache-Control": cache},
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return _refusal(RelayRefused(404, "not_found"))

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _refusal(RelayRefused(405, "method"))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not_found", 405: "method"}.get(status, "bad_request")
        return _refusal(RelayRefused(status if code != "bad_request" else 400, code))

    async def failure(request: Request, exc: Exception) -> Response:
        log.error("unexpected failure on %s: %s", request.url.path, type(exc).__name__)
        return _refusal(RelayRefused(502, "unavailable"))

    app = Starlette(
        middleware=[Middleware(SecurityHeaders, csp=csp)],
        routes=[
            Route(CONFIG_PATH, config, methods=["GET", "HEAD"]),
            Route("/programme.css", programme_css, methods=["GET", "HEAD"]),
            Route("/programme/logo", logo, methods=["GET", "HEAD"]),
            Route("/privacy-policy", privacy_policy, methods=["GET", "HEAD"]),
            Route(CONSENT_RELAY_PATH, relay_consent, methods=["POST"]),
            Route(REDEEM_RELAY_PATH, relay_redeem, methods=["POST"]),
            Route(HISTORY_PATH + "/{wallet}", history, methods=["GET", "HEAD"]),
            Route(GROUPS_PATH + "{group:int}.json", proof_group, methods=["GET", "HEAD"]),
            Route(IDENTITY_RELAY_PATH, relay_identity, methods=["POST"]),
            *(
                admin_routes(content.dashboard, web_root, _read_body)
                if content.dashboard is not None
                else []
            ),
            Route("/{path:path}", static, methods=list(_ANY_METHOD)),
        ],
        exception_handlers={
            404: not_found,
            405: not_allowed,
            HTTPException: http_error,
            Exception: failure,
        },
    )

    return app


async def _read_body(request: Request) -> bytes:
    """The request's body, refused when larger than `MAX_BODY_BYTES` (by its declared length
    or as it arrives) or slower than `BODY_TIMEOUT` seconds."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise RelayRefused(413, "too_large")
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(BODY_TIMEOUT):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise RelayRefused(413, "too_large")
                chunks.append(chunk)
    except TimeoutError as exc:
        raise RelayRefused(408, "timeout") from exc
    return b"".join(chunks)


async def _await_receipt(relay: MemberRelay, sent: Sent) -> Relayed:
    """Wait, holding no lock and no thread, until the transaction is mined or the relay's
    receipt timeout passes (then the page waits for it itself)."""
    with anyio.move_on_after(relay.settings.receipt_timeout):
        while True:
            found = await anyio.to_thread.run_sync(relay.receipt, sent.tx_hash)
            if found is not None:
                block, succeeded = found
                if not succeeded:
                    log.warning("relayed transaction %s reverted on chain", sent.tx_hash)
                return Relayed(sent, block, succeeded)
            await anyio.sleep(RECEIPT_POLL)
    return Relayed(sent, None, None)
