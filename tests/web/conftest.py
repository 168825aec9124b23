"""Browser fixtures: the page built by `node web/build.mjs`, Debian's Chromium driven by
Playwright (no downloaded browser), and a fresh browser context per test with the test
wallets it asks for injected (see injected_wallet.js).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from member_stack import ROOT, MemberStack, built_page, member_stack  # noqa: F401 (fixtures)
from page_kit import OpenPage, WalletSettings
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = os.environ.get("MEMBERLEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright's default wait, in milliseconds; the chain answers in a few.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def stack(member_stack: MemberStack, built_page: Path) -> MemberStack:  # noqa: F811
    return member_stack


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (Debian's package)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; Playwright gives every launch a fresh temporary profile."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def open_page(browser: Browser, stack: MemberStack) -> Iterator[OpenPage]:
    """Open the member page in a fresh browser context, with the given wallets injected
    (none: a browser without any wallet), in the browser language `locale` (English unless
    told). Uncaught page errors fail the test."""
    contexts = []
    errors: list[str] = []

    def open_(
        *wallets: WalletSettings,
        width: int = 1024,
        height: int = 900,
        locale: str = "en-US",
        bypass_csp: bool = False,
    ) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, bypass_csp=bypass_csp
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        for wallet in wallets:
            assert isinstance(wallet, WalletSettings)
            context.add_init_script(script=wallet.script(stack))
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert stack.site is not None
        page.goto(stack.site.url)
        page.wait_for_selector("body[data-ready=true]")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors
