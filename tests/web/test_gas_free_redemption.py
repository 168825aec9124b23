"""Redeeming a reward without a fee, in headless Chromium against a real chain: the member
signs the reward at the price shown (EIP-712, the points token's domain), the relay sends it
and pays the gas, the card and the history show the redemption; a refusal is a sentence in
the member's language and costs nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from member_stack import MemberStack
from page_kit import OpenPage, WalletSettings, quirky_wallet, screenshot, wallet_calls
from playwright.sync_api import Page, Route, expect

from memberledger.chain.deployment import DEFAULT_REWARDS

COFFEE_COST = DEFAULT_REWARDS[1][0]
UPGRADE_COST = DEFAULT_REWARDS[3][0]
#: The Chinese page's "Redeem without a fee" button of the coffee voucher.
ZH_FREE_COFFEE = f"免手续费兑换：用 {COFFEE_COST} 积分兑换咖啡券"  # noqa: RUF001
REJECTED = "You cancelled the request in your wallet. Nothing was changed."


def free_button(reward: str, cost: int) -> str:
    return f"Redeem without a fee: {reward} for {cost} points"


def open_card(open_page: OpenPage, wallet: WalletSettings, **options: Any) -> Page:
    page = open_page(wallet, **options)
    page.locator("#wallet-list button").first.click()
    expect(page.locator("#card")).to_be_visible()
    return page


@pytest.fixture
def upgrade_repriced(stack: MemberStack) -> Iterator[int]:
    """The weekend upgrade's price raised by the admin for the test (then set back): the
    catalogue changing between what a member saw and what the chain charges."""
    raised = UPGRADE_COST + 500
    yield raised
    stack.set_reward(3, UPGRADE_COST)


def test_reward_redeemed_without_a_fee(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 250)
    member_sent = stack.tx_count(member.address)
    relayed_before = stack.tx_count(stack.relayer)
    page = open_card(open_page, WalletSettings(member.address))

    page.get_by_role("button", name=free_button("coffee voucher", COFFEE_COST)).click()

    left = balance - COFFEE_COST
    expect(page.locator("#rewards-message")).to_have_text(
        f"You redeemed the coffee voucher for {COFFEE_COST} points without a fee. "
        f"You have {left} points left."
    )
    expect(page.locator("#card-points")).to_have_text(f"{left} points")
    expect(page.locator("#history li").first).to_contain_text(
        f"You redeemed the coffee voucher for {COFFEE_COST} points."
    )
    assert stack.balance(member.address) == left
    assert stack.tx_count(member.address) == member_sent  # the member paid no gas
    assert stack.tx_count(stack.relayer) == relayed_before + 1
    (redeemed,) = stack.points.events.Redeemed().get_logs(
        from_block=0, argument_filters={"member": member.address}
    )
    assert (redeemed["args"]["rewardId"], redeemed["args"]["cost"]) == (1, COFFEE_COST)
    receipt = stack.web3.eth.get_transaction_receipt(redeemed["transactionHash"])
    assert receipt["from"] == stack.relayer
    (signed,) = wallet_calls(page, "eth_signTypedData_v4")
    typed = json.loads(signed[1])
    assert signed[0] == member.address
    assert typed["primaryType"] == "RedeemRequest"
    assert typed["domain"]["name"] == "MemberLedger LoyaltyPoints"
    assert typed["domain"]["verifyingContract"].lower() == stack.manifest["points"].lower()
    assert (typed["message"]["rewardId"], typed["message"]["cost"]) == ("1", str(COFFEE_COST))
    screenshot(page, "redeemed-gas-free", "#rewards-panel")


def test_reward_redeemed_without_a_fee_in_chinese(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 150)
    page = open_card(open_page, WalletSettings(member.address), locale="zh-CN")

    page.get_by_role("button", name=ZH_FREE_COFFEE).click()

    expect(page.locator("#rewards-message")).to_have_text(
        f"您已免手续费用 {COFFEE_COST} 积分兑换了咖啡券。您还剩 {balance - COFFEE_COST} 积分。"
    )
    expect(page.locator("#history li").first).to_contain_text(
        f"您用 {COFFEE_COST} 积分兑换了咖啡券。"
    )
    assert stack.balance(member.address) == balance - COFFEE_COST
    screenshot(page, "redeemed-gas-free-zh", "#rewards-panel")


def test_quirky_wallet_redeems_without_a_fee(open_page: OpenPage, stack: MemberStack) -> None:
    """A compact (EIP-2098) signature from a wallet that announces itself late."""
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 100)
    page = open_card(open_page, quirky_wallet(member.address, signature_form="compact"))
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda sent: (
            bodies.append(json.loads(sent.post_data or "{}"))
            if sent.url.endswith("/relay/redeem")
            else None
        ),
    )

    page.get_by_role("button", name=free_button("coffee voucher", COFFEE_COST)).click()

    expect(page.locator("#rewards-message")).to_contain_text("without a fee")
    assert stack.balance(member.address) == balance - COFFEE_COST
    (body,) = bodies
    assert len(body["signature"]) == 2 + 130  # sent as r ‖ s ‖ v


def test_changed_price_is_refused_and_nothing_charged(
    open_page: OpenPage, stack: MemberStack, upgrade_repriced: int
) -> None:
    """The member saw the old price and signed it; the admin raised it meanwhile."""
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 3000)
    relayed_before = stack.tx_count(stack.relayer)
    page = open_card(open_page, WalletSettings(member.address))
    stack.set_reward(3, upgrade_repriced)

    page.get_by_role("button", name=free_button("weekend upgrade", UPGRADE_COST)).click()

    expect(page.locator("#rewards-message")).to_have_text(
        "The price of this reward changed after you signed. Nothing was charged. Reload the page "
        "to see the current price, then redeem again."
    )
    assert stack.balance(member.address) == balance
    assert stack.tx_count(stack.relayer) == relayed_before
    page.get_by_label("Language").select_option("zh-CN")
    expect(page.locator("#rewards-message")).to_have_text(
        "您签署后此奖励的价格发生了变化。未扣除任何积分。请重新加载页面查看当前价格，然后再兑换。"  # noqa: RUF001
    )
    screenshot(page, "redeem-cost-changed", "#rewards-panel")


def test_paused_programme_is_explained_in_chinese(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 150)
    page = open_card(open_page, WalletSettings(member.address), locale="zh-CN")

    with stack.paused():
        page.get_by_role("button", name=ZH_FREE_COFFEE).click()
        expect(page.locator("#rewards-message")).to_have_text(
            "本计划正在维护。未扣除任何积分；请稍后再试。"  # noqa: RUF001
        )
    assert stack.balance(member.address) == balance
    page.get_by_label("语言").select_option("en")
    expect(page.locator("#rewards-message")).to_have_text(
        "The programme is paused for maintenance. Nothing was charged; please try again later."
    )


def test_signature_refused_in_wallet_charges_nothing(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 150)
    page = open_card(open_page, WalletSettings(member.address, reject=["eth_signTypedData_v4"]))
    page.get_by_role("button", name=free_button("coffee voucher", COFFEE_COST)).click()
    expect(page.locator("#rewards-message")).to_have_text(REJECTED)
    assert stack.balance(member.address) == balance


def test_relay_unavailable_offers_own_wallet(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 150)
    page = open_card(open_page, WalletSettings(member.address))
    page.route("**/relay/redeem", lambda route: route.abort("connectionrefused"))

    page.get_by_role("button", name=free_button("coffee voucher", COFFEE_COST)).click()

    expect(page.locator("#rewards-message")).to_have_text(
        "The gas-free service cannot be reached right now. Try again in a few minutes, or redeem "
        "with your own wallet (you pay a small network fee)."
    )
    assert stack.balance(member.address) == balance


def test_without_a_relay_only_own_transaction_is_offered(
    open_page: OpenPage, stack: MemberStack
) -> None:
    """A site run with --no-relay says so in config.json: no gas-free buttons."""
    member = stack.enroll(tier=0)
    stack.credit(member.address, 150)
    page = open_page(WalletSettings(member.address))

    def without_relay(route: Route) -> None:
        config = route.fetch().json()
        config.update(consentRelayUrl=None, redeemRelayUrl=None)
        route.fulfill(json=config)

    page.route("**/config.json", without_relay)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("#card")).to_be_visible()

    expect(page.locator("#rewards button")).to_have_count(len(DEFAULT_REWARDS))
    expect(page.locator("#rewards")).not_to_contain_text("without a fee")
    expect(page.locator("#save-relay")).to_be_hidden()
