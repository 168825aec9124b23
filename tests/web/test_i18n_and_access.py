"""The page speaks the member's language and anyone can use it: both catalogues hold the same
keys, the browser's language picks and a switch changes it, no text escapes the catalogue,
keyboard-only use works, and axe-core (from npm, run in Chromium) finds nothing serious."""

from __future__ import annotations

import re
from typing import Any

import pytest
from member_stack import ROOT, MemberStack
from page_kit import DOCS_IMAGES, OpenPage, WalletSettings, screenshot, update_docs_image
from playwright.sync_api import Browser, Page, expect

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

#: Visible text that may stay in Latin letters in Chinese: addresses, numbers and names the
#: programme gives itself (marked translate="no" in the page) are excluded before this.
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def catalogue_page(browser: Browser, stack: MemberStack) -> Any:
    context = browser.new_context()
    page = context.new_page()
    assert stack.site is not None
    page.goto(f"{stack.site.url}/config.json")
    yield page
    context.close()


def _shape(page: Page) -> dict[str, Any]:
    """Each catalogue's keys (nested ones too) and, for sentences with blanks, their arity."""
    shape: dict[str, Any] = page.evaluate(
        """async () => {
            const { catalogues } = await import('/i18n.js');
            const shape = (value) => typeof value === 'function' ? `fn/${value.length}`
                : Array.isArray(value) ? `list/${value.length}`
                : typeof value === 'object' ? Object.fromEntries(
                    Object.keys(value).sort().map((k) => [k, shape(value[k])]))
                : typeof value;
            return Object.fromEntries(Object.entries(catalogues).map(([l, c]) => [l, shape(c)]));
        }"""
    )
    return shape


def test_catalogues_have_the_same_keys(catalogue_page: Page) -> None:
    shapes = _shape(catalogue_page)
    assert set(shapes) == {"en", "zh-CN"}
    english = shapes["en"]
    for lang, shape in shapes.items():
        missing = sorted(set(english) - set(shape))
        extra = sorted(set(shape) - set(english))
        assert not missing and not extra, (lang, missing, extra)
        for key, value in english.items():
            if isinstance(value, dict):
                assert set(shape[key]) == set(value), (lang, key)
            elif value.startswith("list/"):
                assert shape[key] == value, (lang, key)


def test_catalogue_shape_check_catches_a_missing_key(catalogue_page: Page) -> None:
    """The check above can fail: drop one key from a copy and it is reported."""
    shapes = _shape(catalogue_page)
    broken = dict(shapes["zh-CN"])
    broken.pop("saveRelay")
    assert sorted(set(shapes["en"]) - set(broken)) == ["saveRelay"]


def _latin_text(page: Page) -> list[str]:
    """Visible text outside translate="no" elements that has Latin words in it."""
    texts: list[str] = page.evaluate(
        """() => {
            const found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const parent = node.parentElement;
                if (!parent || parent.closest('[translate=no], script, style, [hidden]')) continue;
                if (parent.offsetParent === null && parent.tagName !== 'BODY') continue;
                const text = node.textContent.trim();
                if (text) found.push(text);
            }
            for (const el of document.querySelectorAll('[aria-label], [placeholder], img[alt]')) {
                if (el.closest('[translate=no], [hidden]')) continue;
                for (const name of ['aria-label', 'placeholder', 'alt']) {
                    const value = el.getAttribute(name);
                    if (value) found.push(value);
                }
            }
            return found;
        }"""
    )
    return [
        text
        for text in texts
        if LATIN_WORD.search(
            re.sub(r"0x[0-9a-fA-F]+|YYYY|MM|DD|MetaMask|Safe|Ethereum|\+\d[\d ]*", "", text)
        )
    ]


def _open_card(open_page: OpenPage, member: str, locale: str = "en-US", **options: Any) -> Page:
    page = open_page(WalletSettings(member), locale=locale, **options)
    page.locator("#wallet-list button").first.click()
    expect(page.locator("#card")).to_be_visible()
    return page


def test_chinese_browser_gets_chinese_page(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b011, tier=2)
    stack.credit(member.address, 120)
    page = open_page(WalletSettings(member.address), locale="zh-CN")
    expect(page.get_by_role("button", name="连接钱包")).to_be_visible()
    expect(page.locator("#programme-name")).to_have_text("街角咖啡之友")
    page.get_by_role("button", name="连接钱包").click()
    expect(page.locator("#card-status")).to_have_text("有效")
    expect(page.locator("#card-tier")).to_have_text("黄金")
    expect(page.locator("#card-consent")).to_have_text("营销电子邮件和使用情况分析")
    expect(page.locator("#history li").first).to_contain_text("您获得了")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert _latin_text(page) == []
    screenshot(page, "page-zh")
    update_docs_image(page, DOCS_IMAGES / "member-page-zh.png")


def test_english_page_has_no_untranslated_gaps(open_page: OpenPage, stack: MemberStack) -> None:
    """Every data-i18n element got its text (a key missing from the catalogue leaves it
    empty)."""
    member = stack.enroll(consent=0b011)
    stack.credit(member.address, 120)
    page = _open_card(open_page, member.address)
    # Joined, the enrollment form's consent, the credit.
    expect(page.locator("#history li")).to_have_count(3)
    empty = page.evaluate(
        """() => [...document.querySelectorAll('[data-i18n]')]
            .filter((el) => !el.textContent.trim()).map((el) => el.dataset.i18n)"""
    )
    assert empty == []
    update_docs_image(page, DOCS_IMAGES / "member-page-en.png")


def test_language_switch_changes_and_remembers(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = _open_card(open_page, member.address)
    page.get_by_label("Usage analytics").check()  # an unsaved choice survives the switch

    page.get_by_label("Language").select_option("zh-CN")

    expect(page.get_by_role("heading", name="会员卡")).to_be_visible()
    expect(page.get_by_label("使用情况分析")).to_be_checked()
    expect(page.locator("#card-consent")).to_have_text("营销电子邮件")
    assert _latin_text(page) == []
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("button", name="连接钱包")).to_be_visible()
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("button", name="Connect wallet")).to_be_visible()


def test_messages_are_said_again_in_the_new_language(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = stack.enroll(consent=0b001)
    page = _open_card(open_page, member.address)
    page.get_by_role("button", name="Save with my wallet (I pay the fee)").click()
    expect(page.locator("#consent-message")).to_have_text(
        "Nothing to save: these choices are already on record."
    )
    page.get_by_label("Language").select_option("zh-CN")
    expect(page.locator("#consent-message")).to_have_text("无需保存：这些选择已经记录在案。")  # noqa: RUF001


def test_footer_names_operator_contact_and_policy(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = _open_card(open_page, member.address)
    footer = page.locator("footer")
    expect(footer).to_contain_text("This programme is run by Corner Café Ltd, 1 Example Street")
    expect(footer.get_by_role("link", name="privacy@example.org")).to_have_attribute(
        "href", "mailto:privacy@example.org"
    )
    expect(page).to_have_title("Corner Café Friends – your membership")  # noqa: RUF001
    expect(page.locator("#programme-logo")).to_have_attribute("alt", "Corner Café Friends logo")
    footer.get_by_role("link", name="Privacy policy").click()
    expect(page.locator("pre.policy")).to_contain_text("privacy policy (version 1)")


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, { resultTypes: ['violations'] })"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_axe_finds_no_serious_violation(
    open_page: OpenPage, stack: MemberStack, locale: str
) -> None:
    member = stack.enroll(consent=0b101, tier=1)
    stack.credit(member.address, 120)  # one reward affordable, others disabled
    page = open_page(WalletSettings(member.address), locale=locale, bypass_csp=True)
    assert _axe(page) == []  # the connect screen
    page.locator("#wallet-list button").first.click()
    expect(page.locator("#card")).to_be_visible()
    expect(page.locator("#history li").first).to_be_visible()
    assert _axe(page) == []


def test_axe_check_can_fail(open_page: OpenPage, stack: MemberStack) -> None:
    """The check above is live: an unlabelled input added to the page is reported."""
    page = open_page(bypass_csp=True)
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert [v["id"] for v in _axe(page)] == ["label"]


def test_keyboard_only_member_saves_consent(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = open_page(WalletSettings(member.address))

    def tab_to(name: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const el = document.activeElement;"
                " return (el.getAttribute('aria-label') || el.labels?.[0]?.textContent"
                " || el.textContent || '').trim(); }"
            )
            if focused == name:
                return
        raise AssertionError(f"{name!r} cannot be reached with Tab")

    tab_to("Connect wallet")
    page.keyboard.press("Enter")
    expect(page.locator("#card")).to_be_visible()
    tab_to("Usage analytics")
    page.keyboard.press("Space")
    tab_to("Save with my wallet (I pay the fee)")
    page.keyboard.press("Enter")
    expect(page.locator("#consent-message")).to_have_text(
        "Saved. You now agree to marketing e-mails and usage analytics."
    )
    assert stack.record(member.address)[1] == 0b011
