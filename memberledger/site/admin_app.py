"""The staff dashboard's routes under `/admin`, on the member site's own server (same
timeouts, body limits and security headers).

    GET  /admin                       the dashboard page (web/dist/admin/index.html)
    GET  /admin/api/challenge?address the EIP-4361 message to sign (a fresh nonce)
    POST /admin/api/sign-in           {message, signature}: a session cookie, the CSRF token
    GET  /admin/api/session           who is signed in, their roles and sections
    POST /admin/api/sign-out          ends the session
    GET  /admin/api/overview          the programme now and the chain's health (any role)
    GET  /admin/api/series            per week: enrolments, points, consent (any role)
    GET  /admin/api/series.csv        the same as CSV
    POST /admin/api/member            {query, reason}: one member (registrar; access logged)
    POST /admin/api/action/prepare    {action, query, tier?, changes?, newWallet?}: the
                                      transaction to sign (registrar; an update's changes are
                                      its new data, a move's newWallet its new wallet)
    POST /admin/api/action/confirm    {action, query, tier?, newWallet?, txHash}: checked on
                                      chain, recorded
    GET  /admin/api/access-log        who viewed whose personal data (admin)
    GET  /admin/api/redemptions       the queue to hand out (registrar, issuer)
    POST /admin/api/redemptions/fulfil {ids}: mark handed out (registrar, issuer)

The challenge and the sign-in are rate-limited per client address (`SignInSettings.per_ip`).
Every POST but sign-in needs the session's CSRF token in the `X-CSRF-Token` header, and has
its roles read from the chain again: a role revoked a minute ago opens nothing. Looking a
member up is a POST because it writes the access log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from memberledger.site.admin_desk import AdminDesk, series_csv
from memberledger.site.refusals import RelayRefused
from memberledger.site.siwe_login import (
    CSRF_HEADER,
    SESSION_COOKIE,
    StaffSession,
    StaffSignIn,
)
from memberledger.site.staff_roles import SECTIONS, sections_of

log = logging.getLogger("memberledger.site")

ADMIN_PATH = "/admin"
_API = ADMIN_PATH + "/api"


@dataclass
class Dashboard:
    """What the dashboard needs: its data desk and the staff sign-in."""

    desk: AdminDesk
    sign_in: StaffSignIn


def _refusal(refused: RelayRefused) -> JSONResponse:
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)


async def _json_body(request: Request, read_body: Any) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise RelayRefused(415, "media_type")
    try:
        body = json.loads(await read_body(request))
    except ClientDisconnect as exc:
        raise RelayRefused(400, "bad_request") from exc
    except ValueError as exc:
        raise RelayRefused(400, "bad_request") from exc
    if not isinstance(body, dict):
        raise RelayRefused(400, "bad_request")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RelayRefused(400, "bad_request", field=name)
    return value


def admin_routes(dashboard: Dashboard, web_root: Path, read_body: Any) -> list[Route]:
    """The routes; `read_body` reads a request's body within the site's size and time caps."""
    desk, sign_in = dashboard.desk, dashboard.sign_in
    page = web_root.resolve() / "admin" / "index.html"

    def session_of(request: Request) -> StaffSession:
        return sign_in.session(request.cookies.get(SESSION_COOKIE))

    def require(session: StaffSession, section: str) -> None:
        if not session.roles & SECTIONS[section]:
            raise RelayRefused(403, "forbidden")

    async def changing(request: Request, section: str | None) -> StaffSession:
        """A state-changing request: a live session, its CSRF token, and its roles read
        from the chain again (the session's roles follow what the chain says now)."""
        session = session_of(request)
        sign_in.check_csrf(session, request.headers.get(CSRF_HEADER))
        session.roles = await desk.run(desk.roles_of, session.address)
        if not session.roles:
            sign_in.close(session.token)
            raise RelayRefused(403, "no_role")
        if section is not None:
            require(session, section)
        return session

    def describe(session: StaffSession) -> dict[str, Any]:
        return {
            "address": session.address,
            "roles": sorted(session.roles),
            "sections": sections_of(session.roles),
            "csrf": session.csrf,
        }

    async def dashboard_page(request: Request) -> Response:
        if not page.is_file():
            message = "The dashboard is not built: run `node web/build.mjs` (make serve).\n"
            return Response(message, status_code=503, media_type="text/plain; charset=utf-8")
        return Response(page.read_bytes(), media_type="text/html; charset=utf-8")

    def admit(request: Request) -> None:
        sign_in.admit(request.client.host if request.client else "unknown")

    async def challenge(request: Request) -> Response:
        try:
            admit(request)
            message = sign_in.challenge(request.query_params.get("address", ""))
        except RelayRefused as refused:
            return _refusal(refused)
        return JSONResponse({"message": message})

    async def sign_in_route(request: Request) -> Response:
        try:
            admit(request)
            body = await _json_body(request, read_body)
            address = sign_in.verify(_text(body, "message"), _text(body, "signature"))
            roles = await desk.run(desk.roles_of, address)
            if not roles:
                raise RelayRefused(403, "no_role")
        except RelayRefused as refused:
            log.info("staff sign-in refused: %s", refused.code)
            return _refusal(refused)
        session = sign_in.open_session(address, roles)
        log.info("staff %s signed in (%s)", address, ", ".join(sorted(roles)))
        answer = JSONResponse(describe(session))
        answer.set_cookie(
            SESSION_COOKIE,
            session.token,
            path=ADMIN_PATH,
            httponly=True,
            samesite="strict",
            secure=sign_in.settings.secure_cookie,
        )
        return answer

    async def session_route(request: Request) -> Response:
        try:
            return JSONResponse(describe(session_of(request)))
        except RelayRefused as refused:
            return _refusal(refused)

    async def sign_out(request: Request) -> Response:
        try:
            session = session_of(request)
            sign_in.check_csrf(session, request.headers.get(CSRF_HEADER))
        except RelayRefused as refused:
            return _refusal(refused)
        sign_in.close(session.token)
        answer = JSONResponse({"signedOut": True})
        answer.delete_cookie(SESSION_COOKIE, path=ADMIN_PATH)
        return answer

    async def overview(request: Request) -> Response:
        try:
            require(session_of(request), "overview")
            return JSONResponse(await desk.run(desk.overview))
        except RelayRefused as refused:
            return _refusal(refused)

    async def series(request: Request) -> Response:
        try:
            require(session_of(request), "series")
            return JSONResponse({"weeks": await desk.run(desk.series)})
        except RelayRefused as refused:
            return _refusal(refused)

    async def series_download(request: Request) -> Response:
        try:
            require(session_of(request), "series")
            weeks = await desk.run(desk.series)
        except RelayRefused as refused:
            return _refusal(refused)
        return Response(
            series_csv(weeks),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="programme-weekly.csv"'},
        )

    async def member(request: Request) -> Response:
        try:
            session = await changing(request, "members")
            body = await _json_body(request, read_body)
            query, reason = _text(body, "query"), _text(body, "reason")
            found = await desk.run(desk.member, query, session.address, reason)
        except RelayRefused as refused:
            return _refusal(refused)
        return JSONResponse(found)

    def action_fields(body: dict[str, Any]) -> tuple[str, str, int | None]:
        tier = body.get("tier")
        if tier is not None and (not isinstance(tier, int) or isinstance(tier, bool)):
            raise RelayRefused(400, "bad_request", field="tier")
        return _text(body, "action"), _text(body, "query"), tier

    def new_wallet_of(body: dict[str, Any]) -> str | None:
        wallet = body.get("newWallet")
        if wallet is not None and not isinstance(wallet, str):
            raise RelayRefused(400, "bad_request", field="newWallet")
        return wallet

    def changes_of(body: dict[str, Any]) -> dict[str, str] | None:
        changes = body.get("changes")
        if changes is None:
            return None
        if not isinstance(changes, dict) or not all(isinstance(v, str) for v in changes.values()):
            raise RelayRefused(400, "bad_request", field="changes")
        return {str(k): v for k, v in changes.items()}

    async def prepare_action(request: Request) -> Response:
        try:
            session = await changing(request, "members")
            body = await _json_body(request, read_body)
            action, query, tier = action_fields(body)
            prepared = await desk.run(
                desk.prepare_action,
                action,
                query,
                tier,
                changes_of(body),
                session.address,
                new_wallet_of(body),
            )
            return JSONResponse(prepared)
        except RelayRefused as refused:
            return _refusal(refused)

    async def confirm_action(request: Request) -> Response:
        try:
            session = await changing(request, "members")
            body = await _json_body(request, read_body)
            action, query, tier = action_fields(body)
            tx_hash = _text(body, "txHash")
            done = await desk.run(
                desk.confirm_action,
                action,
                query,
                tier,
                tx_hash,
                session.address,
                new_wallet_of(body),
            )
        except RelayRefused as refused:
            return _refusal(refused)
        log.info("staff %s: %s of %s in %s", session.address, action, done["wallet"], tx_hash)
        return JSONResponse(done)

    async def access_log(request: Request) -> Response:
        try:
            require(session_of(request), "access_log")
            return JSONResponse({"entries": await desk.run(desk.access_log)})
        except RelayRefused as refused:
            return _refusal(refused)

    async def redemptions(request: Request) -> Response:
        try:
            require(session_of(request), "redemptions")
            return JSONResponse({"waiting": await desk.run(desk.redemptions)})
        except RelayRefused as refused:
            return _refusal(refused)

    async def fulfil(request: Request) -> Response:
        try:
            session = await changing(request, "redemptions")
            body = await _json_body(request, read_body)
            ids = body.get("ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
                raise RelayRefused(400, "bad_request", field="ids")
            done = await desk.run(desk.fulfil, ids[:500])
        except RelayRefused as refused:
            return _refusal(refused)
        marked = len(done["fulfilled"])
        log.info("staff %s marked %d redemptions handed out", session.address, marked)
        return JSONResponse(done)

    return [
        Route(ADMIN_PATH, dashboard_page, methods=["GET", "HEAD"]),
        Route(ADMIN_PATH + "/", dashboard_page, methods=["GET", "HEAD"]),
        Route(_API + "/challenge", challenge, methods=["GET"]),
        Route(_API + "/sign-in", sign_in_route, methods=["POST"]),
        Route(_API + "/session", session_route, methods=["GET"]),
        Route(_API + "/sign-out", sign_out, methods=["POST"]),
        Route(_API + "/overview", overview, methods=["GET"]),
        Route(_API + "/series", series, methods=["GET"]),
        Route(_API + "/series.csv", series_download, methods=["GET"]),
        Route(_API + "/member", member, methods=["POST"]),
        Route(_API + "/action/prepare", prepare_action, methods=["POST"]),
        Route(_API + "/action/confirm", confirm_action, methods=["POST"]),
        Route(_API + "/access-log", access_log, methods=["GET"]),
        Route(_API + "/redemptions", redemptions, methods=["GET"]),
        Route(_API + "/redemptions/fulfil", fulfil, methods=["POST"]),
    ]
