"""The page's history from the operator's chain index (`historyUrl` in config.json), in
headless Chromium against a real chain: read from the operator even when the RPC provider
refuses every `eth_getLogs`, the blocks the index has not read yet taken from the chain, and
the chain alone when the operator's endpoint is down."""

from __future__ import annotations

import json
from typing import Any

from member_stack import MemberStack
from page_kit import OpenPage, WalletSettings, screenshot
from playwright.sync_api import Page, Route, expect


def connect(page: Page) -> None:
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("#card")).to_be_visible()


def refuse_every_log_query(page: Page, rpc_url: str, asked: list[dict[str, Any]]) -> None:
    """The page's RPC provider refuses eth_getLogs over any range (as a provider that caps
    ranges hard does, in its own words); everything else goes to the node."""

    def handle(route: Route) -> None:
        payload = json.loads(route.request.post_data or "null")
        calls = payload if isinstance(payload, list) else [payload]
        logs = [c for c in calls if isinstance(c, dict) and c.get("method") == "eth_getLogs"]
        if not logs:
            route.continue_()
            return
        asked.extend(call["params"][0] for call in logs)
        forwarded: dict[Any, Any] = {}
        others = [c for c in calls if c not in logs]
        if others:
            answer = route.fetch(post_data=json.dumps(others)).json()
            forwarded = {a["id"]: a for a in (answer if isinstance(answer, list) else [answer])}
        refusal = {"code": -32005, "message": "query exceeds max block range 0"}
        answers = [
            {"jsonrpc": "2.0", "id": c["id"], "error": refusal} if c in logs else forwarded[c["id"]]
            for c in calls
        ]
        body = answers if isinstance(payload, list) else answers[0]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(rpc_url, handle)


def history_requests(page: Page) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda sent: asked.append(sent.url) if "/history/" in sent.url else None)
    return asked


def lived(stack: MemberStack) -> str:
    """A member who joined, earned points and changed their consent: four history lines."""
    member = stack.enroll(consent=0b001, tier=1)
    stack.credit(member.address, 200)
    stack.as_member(member.address, stack.registry.functions.setConsent(0b011, 1))
    return member.address


FOUR_LINES = (
    "Your privacy choices changed: you agree to marketing e-mails and usage analytics",
    "You earned 250 points.",
    "recorded from your enrollment form",
    "You joined as a Silver member.",
)


def expect_four_lines(page: Page) -> None:
    items = page.locator("#history li")
    expect(items).to_have_count(len(FOUR_LINES))
    for index, text in enumerate(FOUR_LINES):
        expect(items.nth(index)).to_contain_text(text)


def test_history_read_from_operator_when_provider_refuses_log_queries(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = lived(stack)
    page = open_page(WalletSettings(member))
    log_queries: list[dict[str, Any]] = []
    refuse_every_log_query(page, stack.anvil_url, log_queries)
    asked = history_requests(page)

    connect(page)

    expect_four_lines(page)
    assert asked == [f"{stack.site.url if stack.site else ''}/history/{member}"]
    assert log_queries == []  # the operator's index had read the chain to its head
    expect(page.locator("#notice")).to_be_hidden()
    screenshot(page, "history-from-operator", "#history-panel")


def test_history_reads_blocks_the_index_has_not_read_from_the_chain(
    open_page: OpenPage, stack: MemberStack
) -> None:
    """The operator answers as far as its index reached (its catch-up ran out of time): the
    page reads the blocks after that from the chain, and shows the whole history once."""
    member = lived(stack)
    page = open_page(WalletSettings(member))
    cut: dict[str, int] = {}

    def behind(route: Route) -> None:
        answer = route.fetch().json()
        last = answer["events"][-1]
        cut["block"] = int(last["blockNumber"])
        answer["events"] = [e for e in answer["events"] if int(e["blockNumber"]) < cut["block"]]
        answer.update(indexedBlock=str(cut["block"] - 1), complete=False)
        route.fulfill(json=answer)

    page.route("**/history/**", behind)
    log_queries: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda sent: log_queries.extend(
            call["params"][0]
            for call in _calls(sent.post_data)
            if call.get("method") == "eth_getLogs"
        ),
    )

    connect(page)

    expect_four_lines(page)
    assert log_queries, "the chain was never asked for the blocks after the index"
    assert {int(query["fromBlock"], 16) for query in log_queries} == {cut["block"]}


def test_history_falls_back_to_chain_when_operator_is_down(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = lived(stack)
    page = open_page(WalletSettings(member))
    page.route("**/history/**", lambda route: route.abort("connectionrefused"))
    log_queries: list[str] = []
    page.on(
        "request",
        lambda sent: log_queries.extend(
            call["method"] for call in _calls(sent.post_data) if call.get("method") == "eth_getLogs"
        ),
    )

    connect(page)

    expect_four_lines(page)
    assert log_queries  # read from the chain
    expect(page.locator("#notice")).to_be_hidden()


def test_history_falls_back_when_operator_answers_an_error(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = lived(stack)
    page = open_page(WalletSettings(member))
    page.route(
        "**/history/**",
        lambda route: route.fulfill(status=502, json={"error": "unavailable", "message": "x"}),
    )
    connect(page)
    expect_four_lines(page)


def _calls(post_data: str | None) -> list[dict[str, Any]]:
    try:
        payload = json.loads(post_data or "null")
    except ValueError:
        return []
    calls = payload if isinstance(payload, list) else [payload]
    return [call for call in calls if isinstance(call, dict)]
