"""What the browser tests share besides fixtures: the injected wallet's settings, and the
pictures a test keeps of what a member sees."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from member_stack import ROOT, MemberStack
from playwright.sync_api import Page

ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMAGES = ROOT / "docs" / "images"
DOCS_CARD = DOCS_IMAGES / "member-card.png"
WALLET_SCRIPT = (Path(__file__).parent / "web" / "injected_wallet.js").read_text()

#: open_page(*wallets, width=..., height=...): the member page with those wallets injected.
OpenPage = Callable[..., Page]


@dataclass(frozen=True)
class WalletSettings:
    """How the injected wallet behaves (see injected_wallet.js)."""

    account: str
    chain_id: int = 31337
    known_chains: Sequence[int] = (31337,)
    reject: Sequence[str] = ()
    name: str = "Test Wallet"
    uuid: str = "6f0d6d6e-0000-4000-8000-000000000001"
    announce: bool = True
    legacy: bool = True
    announce_delay_ms: int = 0
    mobile_errors: bool = False
    signature_form: str = ""
    unsupported: Sequence[str] = ()

    def script(self, stack: MemberStack) -> str:
        settings = {
            "account": self.account,
            "rpcUrl": stack.anvil_url,
            "rpcChainId": hex(stack.chain_id),
            "chainId": hex(self.chain_id),
            "knownChains": [hex(chain) for chain in self.known_chains],
            "reject": list(self.reject),
            "name": self.name,
            "uuid": self.uuid,
            "announce": self.announce,
            "legacy": self.legacy,
            "announceDelayMs": self.announce_delay_ms,
            "mobileErrors": self.mobile_errors,
            "signatureForm": self.signature_form,
            "unsupported": list(self.unsupported),
        }
        return f"window.__walletSettings = {json.dumps(settings)};\n{WALLET_SCRIPT}"


def screenshot(page: Page, name: str, selector: str | None = None) -> Path:
    """Keep a picture of the page (or one element) in tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


def update_docs_card(page: Page) -> None:
    """The README's picture of the card: written when missing, or when
    MEMBERLEDGER_UPDATE_DOCS=1, so a test run leaves tracked files alone."""
    if DOCS_CARD.exists() and os.environ.get("MEMBERLEDGER_UPDATE_DOCS") != "1":
        return
    DOCS_CARD.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#card").screenshot(path=str(DOCS_CARD))


def update_docs_image(page: Page, path: Path) -> None:
    """A README picture of the whole page: written when missing, or when
    MEMBERLEDGER_UPDATE_DOCS=1."""
    if path.exists() and os.environ.get("MEMBERLEDGER_UPDATE_DOCS") != "1":
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def wallet_calls(page: Page, method: str) -> list[Any]:
    """The params of every call the page made to the injected wallet with `method`."""
    calls: list[dict[str, Any]] = page.evaluate("window.__wallet.calls")
    return [call["params"] for call in calls if call["method"] == method]


def quirky_wallet(account: str, **options: Any) -> WalletSettings:
    """The second injected wallet: behaves like the wallets members really have (MetaMask
    Mobile's nested error codes, an EIP-6963 announcement 800 ms after load and no
    window.ethereum, v = 0/1 signatures as Ledger through MetaMask gives)."""
    settings: dict[str, Any] = {
        "name": "Mobile Wallet",
        "uuid": "6f0d6d6e-0000-4000-8000-00000000000a",
        "legacy": False,
        "announce_delay_ms": 800,
        "mobile_errors": True,
        "signature_form": "low-v",
    }
    settings.update(options)
    return WalletSettings(account, **settings)
