"""The member page with a wallet that behaves like the ones members really use (the second
injected wallet, `quirky_wallet`): MetaMask Mobile's nested error codes, a late EIP-6963
announcement, account switches, v = 0/1 and compact signatures, disconnects, unsupported
methods, and an RPC provider that caps eth_getLogs' block range."""

from __future__ import annotations

import json
from typing import Any

from member_stack import MemberStack
from page_kit import OpenPage, WalletSettings, quirky_wallet, screenshot, wallet_calls
from playwright.sync_api import Page, Route, expect

#: The range-capped provider's limit, in blocks.
LOG_RANGE_CAP = 16


def connect(page: Page) -> None:
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("#card")).to_be_visible()


def test_late_announcement_is_not_missed(open_page: OpenPage, stack: MemberStack) -> None:
    """The wallet announces itself 800 ms after load (and sets no window.ethereum)."""
    member = stack.enroll(tier=1)
    page = open_page(quirky_wallet(member.address))
    button = page.get_by_role("button", name="Connect wallet")
    expect(button).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()
    connect(page)
    expect(page.locator("#card-tier")).to_have_text("Silver")


def test_mobile_unknown_chain_offers_to_add_it(open_page: OpenPage, stack: MemberStack) -> None:
    """MetaMask Mobile: -32603 outside, 4902 in data.originalError: the chain is added."""
    member = stack.enroll()
    page = open_page(quirky_wallet(member.address, chain_id=1, known_chains=(1,)))
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_role("button", name="Switch network").click()
    expect(page.locator("#card-status")).to_have_text("Active")
    (added,) = wallet_calls(page, "wallet_addEthereumChain")
    assert added[0]["chainId"] == hex(stack.chain_id)


def test_account_switch_updates_header_and_card(open_page: OpenPage, stack: MemberStack) -> None:
    first, second = stack.enroll(tier=1), stack.enroll(tier=3)
    page = open_page(quirky_wallet(first.address))
    connect(page)
    expect(page.locator("#account")).to_have_attribute("title", first.address)

    page.evaluate("address => window.__wallet.switchAccount(address)", second.address)

    expect(page.locator("#card-tier")).to_have_text("Platinum")
    expect(page.locator("#account")).to_have_attribute("title", second.address)
    expect(page.locator("#account")).to_contain_text(second.address[:6])


def _relay_bodies(page: Page) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda sent: (
            bodies.append(json.loads(sent.post_data or "{}"))
            if sent.url.endswith("/relay/consent")
            else None
        ),
    )
    return bodies


def _save_gas_free(page: Page) -> None:
    page.get_by_label("Usage analytics").check()
    page.get_by_role("button", name="Save without a fee").click()
    expect(page.locator("#consent-message")).to_have_text(
        "Saved without a fee. You now agree to marketing e-mails and usage analytics."
    )


def test_low_v_signature_saves_gas_free(open_page: OpenPage, stack: MemberStack) -> None:
    """Ledger through MetaMask signs with v = 0/1: the page sends v = 27/28."""
    member = stack.enroll(consent=0b001)
    page = open_page(quirky_wallet(member.address))
    connect(page)
    bodies = _relay_bodies(page)
    _save_gas_free(page)
    assert stack.record(member.address)[1] == 0b011
    (body,) = bodies
    assert body["signature"][-2:] in ("1b", "1c")


def test_compact_signature_saves_gas_free(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = open_page(quirky_wallet(member.address, signature_form="compact"))
    connect(page)
    bodies = _relay_bodies(page)
    _save_gas_free(page)
    assert stack.record(member.address)[1] == 0b011
    assert len(bodies[0]["signature"]) == 2 + 130


def test_disconnect_is_explained(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_page(quirky_wallet(member.address))
    connect(page)
    page.evaluate("window.__wallet.disconnect()")
    expect(page.locator("#notice")).to_have_text(
        "Your wallet lost its connection to the network. Check your wallet, then connect again."
    )


def test_unsupported_method_is_explained(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_page(quirky_wallet(member.address, unsupported=["wallet_watchAsset"]))
    connect(page)
    page.get_by_role("button", name="Show my points in my wallet").click()
    expect(page.locator("#card-message")).to_have_text(
        "Your wallet cannot do this. Try another wallet, or save with your own transaction if "
        "that is offered."
    )


def _cap_log_ranges(page: Page, rpc_url: str, refused: list[int], served: list[int]) -> None:
    """Make the page's RPC node refuse eth_getLogs over more than LOG_RANGE_CAP blocks, in
    the words a public provider uses."""

    def handle(route: Route) -> None:
        payload = json.loads(route.request.post_data or "null")
        calls = payload if isinstance(payload, list) else [payload]
        over: dict[Any, int] = {}
        for call in calls:
            if isinstance(call, dict) and call.get("method") == "eth_getLogs":
                query = call["params"][0]
                span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
                if span > LOG_RANGE_CAP:
                    over[call["id"]] = span
                else:
                    served.append(span)
        if not over:
            route.continue_()
            return
        refused.extend(over.values())
        answers = []
        for call in calls:
            answers.append(
                {
                    "jsonrpc": "2.0",
                    "id": call["id"],
                    "error": {
                        "code": -32005,
                        "message": f"query exceeds max block range {LOG_RANGE_CAP}",
                    },
                }
                if call["id"] in over
                else None
            )
        if any(answer is None for answer in answers):
            real = route.fetch()
            forwarded = real.json()
            by_id = {
                a["id"]: a for a in (forwarded if isinstance(forwarded, list) else [forwarded])
            }
            answers = [a or by_id[c["id"]] for a, c in zip(answers, calls, strict=True)]
        body = answers if isinstance(payload, list) else answers[0]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(rpc_url, handle)


def test_history_pages_through_range_capped_provider(
    open_page: OpenPage, stack: MemberStack
) -> None:
    """Without the operator's history (its endpoint down), the page reads the chain itself,
    in ranges the provider accepts."""
    member = stack.enroll(consent=0b001, tier=1)
    stack.credit(member.address, 200)
    stack.as_member(member.address, stack.registry.functions.setConsent(0b011, 1))
    refused: list[int] = []
    served: list[int] = []
    page = open_page(quirky_wallet(member.address))
    page.route("**/history/**", lambda route: route.abort("connectionrefused"))
    _cap_log_ranges(page, stack.anvil_url, refused, served)
    connect(page)

    items = page.locator("#history li")
    expect(items).to_have_count(4)
    expect(items.nth(3)).to_contain_text("You joined as a Silver member")
    expect(items.nth(1)).to_contain_text("You earned 250 points.")
    assert refused, "the provider's cap was never hit: the test proves nothing"
    assert served and max(served) <= LOG_RANGE_CAP
    screenshot(page, "history-range-capped", "#history-panel")


def test_ordinary_wallet_still_works_beside_quirky_one(
    open_page: OpenPage, stack: MemberStack
) -> None:
    first, second = stack.enroll(tier=1), stack.enroll(tier=2)
    page = open_page(WalletSettings(first.address), quirky_wallet(second.address))
    expect(page.get_by_role("button", name="Connect with Mobile Wallet")).to_be_visible()
    page.get_by_role("button", name="Connect with Test Wallet").click()
    expect(page.locator("#card-tier")).to_have_text("Silver")
