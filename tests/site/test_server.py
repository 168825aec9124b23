"""The member site's server, over real sockets: timeouts, the connection cap, bodies left
unread, fixed answers, the programme's own files, and graceful shutdown."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from member_stack import ROOT, MemberStack, Site, request

from memberledger.site.refusals import SENTENCES, redact

READ_TIMEOUT = 1
MAX_CONNECTIONS = 20


@pytest.fixture(scope="module")
def guarded_site(stack: MemberStack) -> Iterator[Site]:
    """A site with a one-second read timeout and room for twenty connections."""
    site = stack.start_site(
        "--read-timeout", str(READ_TIMEOUT), "--max-connections", str(MAX_CONNECTIONS)
    )
    yield site
    site.stop()


def _address(site: Site) -> tuple[str, int]:
    host, port = site.url.removeprefix("http://").split(":")
    return host, int(port)


def _read_all(connection: socket.socket, timeout: float = 5.0) -> bytes:
    connection.settimeout(timeout)
    chunks = []
    try:
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pass
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("target", "content_type", "status"),
    [
        ("/nothing-here", "application/json", 404),
        ("/index.html", "application/json", 405),
        ("/relay/consent", "text/plain", 415),
    ],
)
def test_unread_body_is_not_taken_for_the_next_request(
    guarded_site: Site, target: str, content_type: str, status: int
) -> None:
    """A body the server does not want (404, 405, 415) is still consumed as a body: what it
    holds is never answered as a request of its own on the same keep-alive connection."""
    smuggled = b"GET /config.json HTTP/1.1\r\nHost: x\r\n\r\n"
    head = (
        f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(smuggled)}\r\n\r\n"
    ).encode()
    with socket.create_connection(_address(guarded_site)) as connection:
        connection.sendall(head + smuggled)
        answer = _read_all(connection, timeout=2 * READ_TIMEOUT + 1)
    assert answer.count(b"HTTP/1.1 ") == 1, answer
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())
    assert b'"chainId"' not in answer


def test_idle_connection_is_closed_after_read_timeout(guarded_site: Site) -> None:
    with socket.create_connection(_address(guarded_site)) as connection:
        started = time.monotonic()
        connection.settimeout(READ_TIMEOUT + 5)
        assert connection.recv(1) == b""  # closed by the server, nothing sent
        assert time.monotonic() - started < READ_TIMEOUT + 3


def test_slow_request_head_is_cut_off(guarded_site: Site) -> None:
    with socket.create_connection(_address(guarded_site)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\n")
        started = time.monotonic()
        for _ in range(4 * READ_TIMEOUT):  # a header line now and then, never the end
            time.sleep(0.5)
            try:
                connection.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        answer = _read_all(connection, timeout=READ_TIMEOUT + 3)
        assert b" 200 " not in answer  # never served
        assert time.monotonic() - started < READ_TIMEOUT + 4


def test_idle_connections_cannot_lock_members_out(guarded_site: Site) -> None:
    """Twice the cap of idle connections: the longest-idle ones are shed, and a member's
    request is still answered promptly."""
    idle = [socket.create_connection(_address(guarded_site)) for _ in range(2 * MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        answer = request(f"{guarded_site.url}/config.json")
        assert answer.status == 200
        assert time.monotonic() - started < 1.0
    finally:
        for connection in idle:
            connection.close()


def test_oversized_body_is_refused(guarded_site: Site) -> None:
    head = (
        b"POST /relay/consent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    with socket.create_connection(_address(guarded_site)) as connection:
        connection.sendall(head + b"{" * 1000)
        answer = _read_all(connection, timeout=3)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_unknown_paths_and_methods_get_fixed_answers(guarded_site: Site) -> None:
    missing = request(f"{guarded_site.url}/no/such/thing")
    assert (missing.status, missing.body) == (
        404,
        {"error": "not_found", "message": SENTENCES["not_found"]},
    )
    wrong = request(f"{guarded_site.url}/index.html", "DELETE")
    assert (wrong.status, wrong.body["error"]) == (405, "method")
    assert "content-security-policy" in wrong.headers


def test_page_config_names_the_programme(stack: MemberStack) -> None:
    assert stack.site is not None
    config = request(f"{stack.site.url}/config.json").body
    programme = config["programme"]
    assert programme["name"] == "Corner Café Friends"
    assert programme["names"]["zh-CN"] == "街角咖啡之友"
    assert programme["contactEmail"] == "privacy@example.org"
    assert programme["operator"].startswith("Corner Café Ltd")
    assert stack.anvil_url not in str(programme)


def test_privacy_policy_and_programme_files_are_served(stack: MemberStack) -> None:
    assert stack.site is not None
    policy = request(f"{stack.site.url}/privacy-policy")
    assert policy.status == 200
    text = (ROOT / "docs" / "privacy-policy.md").read_text().splitlines()[0]
    assert text.replace("&", "&amp;") in policy.body["text"]
    css = request(f"{stack.site.url}/programme.css")
    assert "--accent: #1f5f8b" in css.body["text"]
    logo = request(f"{stack.site.url}/programme/logo")
    assert (logo.status, logo.headers["content-type"]) == (200, "image/svg+xml")


def test_site_stops_gracefully_on_ctrl_c(stack: MemberStack) -> None:
    site = stack.start_site()
    site.stop()
    # uvicorn finishes, then re-raises the SIGINT it caught: 130 is Ctrl-C, not a kill.
    assert site.process.returncode in (0, 130), Path(site.log).read_text()[-2000:]
    assert "Finished server process" in Path(site.log).read_text()


def test_redact_removes_urls_and_secrets() -> None:
    text = (
        "HTTPConnectionPool(host='rpc.example.org'): https://user:pw@rpc.example.org/v3/"
        "0123456789abcdef?key=SECRET failed; node http://10.0.0.5:8545/abc token s3cr3t"
    )
    shown = redact(text, ("s3cr3t",))
    assert "0123456789abcdef" not in shown and "SECRET" not in shown and "pw" not in shown
    assert "s3cr3t" not in shown and "/abc" not in shown
    assert "https://rpc.example.org/[redacted]" in shown
