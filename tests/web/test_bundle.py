"""The page stays small: what a member's browser loads to show the card is under 150 KB
gzipped; the phone-number rules of "Check my data" load only when a member uses it."""

from __future__ import annotations

import gzip
from pathlib import Path

from member_stack import MemberStack
from page_kit import OpenPage, WalletSettings
from playwright.sync_api import expect

#: The budget for what the page loads before the member checks their data, gzipped.
BUDGET_BYTES = 150_000


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_page_loads_under_budget(open_page: OpenPage, stack: MemberStack, built_page: Path) -> None:
    member = stack.enroll()
    loaded: list[str] = []
    page = open_page(WalletSettings(member.address))
    page.on("response", lambda answer: loaded.append(answer.url))
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("#card")).to_be_visible()

    names = {url.rsplit("/", 1)[-1] for url in loaded if url.endswith((".js", ".css", ".html"))}
    names |= {"index.html"}
    size = sum(gzipped_size(built_page / name) for name in names if (built_page / name).is_file())
    assert "commitment.js" not in names
    assert size < BUDGET_BYTES, f"{size} bytes gzipped: {sorted(names)}"

    page.get_by_label("Full name").fill(member.details.full_name)
    page.get_by_label("E-mail address").fill(member.details.email)
    page.get_by_label("Your salt").fill("00")
    page.get_by_role("button", name="Check my data").click()
    expect(page.locator("#check-message")).to_have_text(
        "Please check the salt: must be 64 hexadecimal characters (0-9, a-f)."
    )
