"""The member page in headless Chromium against a real chain: what a member sees and does,
with a test wallet that signs with the member's Anvil key."""

from __future__ import annotations

import datetime as dt
import re

from member_stack import Member, MemberStack
from page_kit import OpenPage, WalletSettings, screenshot, update_docs_card, wallet_calls
from playwright.sync_api import Page, expect

from memberledger.chain.deployment import DEFAULT_REWARDS
from memberledger.pii.canonical import PersonalData

REJECTED = "You cancelled the request in your wallet. Nothing was changed."
COFFEE_COST = DEFAULT_REWARDS[1][0]


def own_button(reward: str, cost: int) -> str:
    """The accessible name of a reward's "Redeem with my wallet" button."""
    return f"Redeem with my wallet: {reward} for {cost} points (you pay the network fee)"


def free_button(reward: str, cost: int) -> str:
    """The accessible name of a reward's "Redeem without a fee" button."""
    return f"Redeem without a fee: {reward} for {cost} points"


def connect(page: Page) -> None:
    page.get_by_role("button", name="Connect wallet").click()


def open_card(open_page: OpenPage, member: str, **options: object) -> Page:
    page = open_page(WalletSettings(member), **options)
    connect(page)
    expect(page.locator("#card")).to_be_visible()
    return page


# ------------------------------------------------------------------ wallet and network


def test_page_without_wallet_says_so(open_page: OpenPage) -> None:
    page = open_page()
    expect(page.locator("#notice")).to_have_text(
        "No Ethereum wallet was found in this browser. Install MetaMask (or another Ethereum "
        "wallet), then reload this page."
    )
    expect(page.get_by_role("button", name="Connect wallet")).to_have_count(0)
    screenshot(page, "wallet-missing")


def test_connect_shows_membership_card(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b101, tier=2)
    balance = stack.credit(member.address, 400)

    page = open_card(open_page, member.address)

    card = page.locator("#card")
    expect(card.locator("#card-status")).to_have_text("Active")
    expect(card.locator("#card-tier")).to_have_text("Gold")
    since = dt.datetime.fromtimestamp(stack.record(member.address)[5])
    expect(card.locator("#card-since")).to_contain_text(str(since.year))
    expect(card.locator("#card-points")).to_have_text(f"{balance} points")
    expect(card.locator("#card-consent")).to_have_text(
        "marketing e-mails and sharing with partners"
    )
    expect(page.locator("#account")).to_contain_text(member.address[:6])
    screenshot(page, "card")
    update_docs_card(page)


def test_connect_refused_in_wallet(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_page(WalletSettings(member.address, reject=["eth_requestAccounts"]))
    connect(page)
    expect(page.locator("#notice")).to_have_text(REJECTED)
    expect(page.locator("#card")).to_be_hidden()


def test_several_wallets_offer_a_choice(open_page: OpenPage, stack: MemberStack) -> None:
    first, second = stack.enroll(), stack.enroll(tier=3)
    page = open_page(
        WalletSettings(first.address, name="Wallet One"),
        WalletSettings(
            second.address,
            name="Wallet Two",
            uuid="6f0d6d6e-0000-4000-8000-000000000002",
            legacy=False,
        ),
    )
    expect(page.locator("#notice")).to_have_text(
        "Several wallets are installed. Choose the one that holds your membership."
    )
    page.get_by_role("button", name="Connect with Wallet Two").click()
    expect(page.locator("#card-tier")).to_have_text("Platinum")
    expect(page.locator("#account")).to_have_attribute("title", second.address)


def test_wrong_network_adds_and_switches_chain(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_page(WalletSettings(member.address, chain_id=1, known_chains=(1,)))
    connect(page)
    expect(page.locator("#notice")).to_have_text(
        f"Your wallet is connected to another network. Switch to MemberLedger local chain "
        f"{stack.chain_id} to see your membership."
    )
    expect(page.locator("#card")).to_be_hidden()
    screenshot(page, "wrong-network")

    page.get_by_role("button", name="Switch network").click()

    expect(page.locator("#card-status")).to_have_text("Active")
    (added,) = wallet_calls(page, "wallet_addEthereumChain")
    assert added[0]["chainId"] == hex(stack.chain_id)
    assert added[0]["rpcUrls"] == [stack.anvil_url]
    assert wallet_calls(page, "wallet_switchEthereumChain")[-1] == [
        {"chainId": hex(stack.chain_id)}
    ]


def test_wrong_network_switch_refused(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_page(
        WalletSettings(
            member.address,
            chain_id=1,
            known_chains=(1, 31337),
            reject=["wallet_switchEthereumChain"],
        )
    )
    connect(page)
    page.get_by_role("button", name="Switch network").click()
    expect(page.locator("#notice")).to_have_text(REJECTED)
    expect(page.locator("#card")).to_be_hidden()


def test_not_a_member(open_page: OpenPage, stack: MemberStack) -> None:
    page = open_page(WalletSettings(stack.fresh_account()))
    connect(page)
    expect(page.locator("#notice")).to_have_text(
        "This wallet is not a member of the programme. If you joined with another wallet, "
        "connect that one instead."
    )
    expect(page.locator("#card")).to_be_hidden()
    screenshot(page, "not-a-member")


def test_suspended_member_cannot_redeem(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    stack.credit(member.address, 1000)
    stack.suspend(member.address)
    sent = stack.tx_count(member.address)
    suspended = (
        "Your membership is suspended, so you cannot redeem points right now. "
        "Please contact the programme team."
    )

    page = open_card(open_page, member.address)

    expect(page.locator("#notice")).to_have_text(suspended)
    expect(page.locator("#card-status")).to_have_text("Suspended")
    page.get_by_role("button", name=re.compile("Redeem with my wallet: coffee voucher")).click()
    expect(page.locator("#rewards-message")).to_have_text(suspended)
    assert stack.tx_count(member.address) == sent
    screenshot(page, "suspended")


def test_watch_asset_adds_points_to_wallet(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_card(open_page, member.address)
    page.get_by_role("button", name="Show my points in my wallet").click()
    expect(page.locator("#card-message")).to_have_text("Your points now show in your wallet.")
    (watched,) = wallet_calls(page, "wallet_watchAsset")
    assert watched["type"] == "ERC20"
    assert watched["options"]["address"] == stack.manifest["points"]
    assert (watched["options"]["symbol"], watched["options"]["decimals"]) == ("MLP", 0)


# ------------------------------------------------------------------ consent


def test_consent_saved_with_own_transaction(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    relayed_before = stack.tx_count(stack.relayer)
    page = open_card(open_page, member.address)

    page.get_by_label("Usage analytics").check()
    page.get_by_role("button", name="Save with my wallet (I pay the fee)").click()

    expect(page.locator("#consent-message")).to_have_text(
        "Saved. You now agree to marketing e-mails and usage analytics."
    )
    expect(page.locator("#card-consent")).to_have_text("marketing e-mails and usage analytics")
    assert stack.record(member.address)[1] == 0b011
    # The enrollment's consent (recorded by the registrar), then the member's own change.
    enrolled, event = stack.registry.events.ConsentChanged().get_logs(
        from_block=0, argument_filters={"member": member.address}
    )
    assert enrolled["args"]["by"] == stack.registrar
    assert event["args"]["by"] == member.address
    assert stack.tx_count(stack.relayer) == relayed_before
    screenshot(page, "consent-saved-own")


def test_consent_withdrawn_gas_free_via_relay(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b111)
    member_sent = stack.tx_count(member.address)
    relayed_before = stack.tx_count(stack.relayer)
    page = open_card(open_page, member.address)

    page.get_by_label("Marketing e-mails").uncheck()
    page.get_by_label("Sharing with partners").uncheck()
    page.get_by_role("button", name="Save without a fee").click()

    expect(page.locator("#consent-message")).to_have_text(
        "Saved without a fee. You now agree to usage analytics."
    )
    assert stack.record(member.address)[1] == 0b010
    _, event = stack.registry.events.ConsentChanged().get_logs(
        from_block=0, argument_filters={"member": member.address}
    )
    assert event["args"]["by"] == stack.relayer
    assert stack.tx_count(stack.relayer) == relayed_before + 1
    assert stack.tx_count(member.address) == member_sent  # the member paid nothing
    (signed,) = wallet_calls(page, "eth_signTypedData_v4")
    assert signed[0] == member.address
    screenshot(page, "consent-saved-relay")


def test_consent_relay_unavailable(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = open_card(open_page, member.address)
    page.route("**/relay/consent", lambda route: route.abort("connectionrefused"))

    page.get_by_label("Usage analytics").check()
    page.get_by_role("button", name="Save without a fee").click()

    expect(page.locator("#consent-message")).to_have_text(
        "The gas-free service cannot be reached right now. Try again in a few minutes, or save "
        "with your own wallet (you pay a small network fee)."
    )
    assert stack.record(member.address)[1] == 0b001
    screenshot(page, "relay-unavailable")


def test_consent_signature_refused_in_wallet(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = open_page(WalletSettings(member.address, reject=["eth_signTypedData_v4"]))
    connect(page)
    page.get_by_label("Marketing e-mails").uncheck()
    page.get_by_role("button", name="Save without a fee").click()
    expect(page.locator("#consent-message")).to_have_text(REJECTED)
    assert stack.record(member.address)[1] == 0b001


def test_consent_unchanged_is_not_sent(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001)
    page = open_card(open_page, member.address)
    page.get_by_role("button", name="Save with my wallet (I pay the fee)").click()
    expect(page.locator("#consent-message")).to_have_text(
        "Nothing to save: these choices are already on record."
    )
    assert wallet_calls(page, "eth_sendTransaction") == []


# ------------------------------------------------------------------ rewards and history


def test_redeem_reward_updates_balance(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 250)
    relayed_before = stack.tx_count(stack.relayer)
    page = open_card(open_page, member.address)
    rewards = page.locator("#rewards")
    expect(rewards).to_contain_text(f"Coffee voucher{COFFEE_COST} points")

    page.get_by_role("button", name=own_button("coffee voucher", COFFEE_COST)).click()

    left = balance - COFFEE_COST
    expect(page.locator("#rewards-message")).to_have_text(
        f"You redeemed the coffee voucher for {COFFEE_COST} points. You have {left} points left."
    )
    expect(page.locator("#card-points")).to_have_text(f"{left} points")
    assert stack.balance(member.address) == left
    assert stack.tx_count(stack.relayer) == relayed_before  # the member paid the fee
    screenshot(page, "redeemed")


def test_redeem_without_enough_points(open_page: OpenPage, stack: MemberStack) -> None:
    """A reward the member cannot afford cannot be redeemed: its button is disabled and
    says how many points are missing."""
    member = stack.enroll(tier=0)
    balance = stack.credit(member.address, 120)
    sent = stack.tx_count(member.address)
    cost = DEFAULT_REWARDS[2][0]
    page = open_card(open_page, member.address)

    button = page.get_by_role("button", name=own_button("cinema ticket", cost))
    free = page.get_by_role("button", name=free_button("cinema ticket", cost))
    missing = page.locator("#rewards li", has_text="Cinema ticket").locator(".reward-missing")
    expect(missing).to_have_text(f"{cost - balance} more points needed")
    for disabled in (button, free):
        expect(disabled).to_be_disabled()
        expect(disabled).to_have_attribute("aria-describedby", "reward-missing-2")
    for enabled in (own_button, free_button):
        coffee = page.get_by_role("button", name=enabled("coffee voucher", COFFEE_COST))
        expect(coffee).to_be_enabled()
    button.click(force=True)
    free.click(force=True)
    assert stack.tx_count(member.address) == sent
    assert stack.balance(member.address) == balance
    assert wallet_calls(page, "eth_signTypedData_v4") == []
    screenshot(page, "reward-unaffordable", "#rewards-panel")


def test_erased_member_is_told_plainly(open_page: OpenPage, stack: MemberStack) -> None:
    """Erased by the programme: the page says so, and not "at your request"."""
    member = stack.enroll()
    stack.erase(member.address)
    page = open_page(WalletSettings(member.address))
    connect(page)
    expect(page.locator("#notice")).to_have_text(
        "Your membership record was erased. No personal data is kept about you."
    )
    expect(page.locator("#history li").first).to_contain_text("Your record was erased")
    expect(page.locator("#card")).to_be_hidden()


def test_member_who_left_then_erased_is_told_at_their_request(
    open_page: OpenPage, stack: MemberStack
) -> None:
    member = stack.enroll()
    stack.as_member(member.address, stack.registry.functions.leave())
    stack.erase(member.address)
    page = open_page(WalletSettings(member.address))
    connect(page)
    expect(page.locator("#notice")).to_have_text(
        "Your membership record was erased at your request. No personal data is kept about you."
    )


def test_history_lists_members_events_with_times(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b001, tier=1)
    stack.credit(member.address, 200)
    stack.as_member(member.address, stack.registry.functions.setConsent(0b011, 1))
    receipt = stack.as_member(member.address, stack.points.functions.redeem(1))
    redeemed_at = stack.web3.eth.get_block(receipt["blockNumber"])["timestamp"]

    page = open_card(open_page, member.address)

    items = page.locator("#history li")
    expect(items).to_have_count(5)
    expect(items.nth(0)).to_contain_text(
        f"You redeemed the coffee voucher for {COFFEE_COST} points."
    )
    expect(items.nth(1)).to_contain_text(
        "Your privacy choices changed: you agree to marketing e-mails and usage analytics "
        "(policy version 1; you saved it with your wallet)."
    )
    expect(items.nth(2)).to_contain_text("You earned 250 points.")
    # The consent of the enrollment form is a change of its own, in the same transaction.
    expect(items.nth(3)).to_contain_text(
        "Your privacy choices changed: you agree to marketing e-mails "
        "(policy version 1; recorded from your enrollment form)."
    )
    expect(items.nth(4)).to_contain_text("You joined as a Silver member.")
    shown = dt.datetime.fromisoformat(items.nth(0).locator("time").get_attribute("datetime") or "")
    assert int(shown.timestamp()) == redeemed_at
    screenshot(page, "history", "#history-panel")


# ------------------------------------------------------------------ check my data


def fill_check_form(page: Page, details: PersonalData, salt: str) -> None:
    page.get_by_label("Full name").fill(details.full_name)
    page.get_by_label("E-mail address").fill(details.email)
    page.get_by_label("Phone number (optional)").fill(details.phone)
    page.get_by_label("Birth date (optional)").fill(details.birth_date)
    page.get_by_label("Your salt").fill(salt)
    page.get_by_role("button", name="Check my data").click()


def enroll_with_details(stack: MemberStack) -> Member:
    details = PersonalData(
        "Zoë  Ångström", "Zoe.Angstrom@Example.SE", "+46 70 123 45 67", "1971-12-31"
    )
    return stack.enroll(details=details)


def test_check_my_data_matches(open_page: OpenPage, stack: MemberStack) -> None:
    member = enroll_with_details(stack)
    page = open_card(open_page, member.address)
    requests: list[str] = []
    page.on("request", lambda sent: requests.append(sent.post_data or ""))
    # The member types their details in another spelling; the canonical form is the same.
    typed = PersonalData(
        "  ZOË ÅNGSTRÖM ", "zoe.angstrom@example.se", "+46701234567", " 1971-12-31"
    )

    fill_check_form(page, typed, member.salt.hex().upper())

    expect(page.locator("#check-message")).to_have_text(
        "Your details match the record on the chain."
    )
    assert not any("ngstr" in body.lower() or member.salt.hex() in body for body in requests)
    screenshot(page, "check-match", "#check-panel")


def test_check_my_data_mismatch(open_page: OpenPage, stack: MemberStack) -> None:
    member = enroll_with_details(stack)
    page = open_card(open_page, member.address)
    typo = PersonalData("Zoe Angstrom", member.details.email, member.details.phone, "1971-12-31")

    fill_check_form(page, typo, "0x" + member.salt.hex())

    expect(page.locator("#check-message")).to_have_text(
        "These details do not match the record on the chain. Check the spelling of each field "
        "and the salt you were given; if they are right, ask the programme team to correct your "
        "record."
    )
    screenshot(page, "check-mismatch", "#check-panel")


def test_check_my_data_explains_invalid_input(open_page: OpenPage, stack: MemberStack) -> None:
    member = enroll_with_details(stack)
    page = open_card(open_page, member.address)
    fill_check_form(page, member.details, "0x1234")
    expect(page.locator("#check-message")).to_have_text(
        "Please check the salt: must be 64 hexadecimal characters (0-9, a-f)."
    )
    bad_phone = PersonalData(member.details.full_name, member.details.email, "0701234567", "")
    fill_check_form(page, bad_phone, member.salt.hex())
    expect(page.locator("#check-message")).to_have_text(
        "Please check the phone number: needs a country code such as +49 "
        "(no default region is set)."
    )


# ------------------------------------------------------------------ phone screens and labels


def test_card_fits_a_phone_screen(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll(consent=0b111, tier=3)
    stack.credit(member.address, 1000)
    page = open_card(open_page, member.address, width=375, height=812)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    for selector in ("#card", "#consent-panel", "#rewards-panel", "#check-panel"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector
    screenshot(page, "phone")


def test_every_control_has_an_accessible_name(open_page: OpenPage, stack: MemberStack) -> None:
    member = stack.enroll()
    page = open_card(open_page, member.address)
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, button')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => el.tagName === 'INPUT'
                ? el.labels.length === 0 && !el.getAttribute('aria-label')
                : !(el.getAttribute('aria-label') || el.textContent.trim()))
            .map((el) => el.outerHTML)"""
    )
    assert unnamed == []
    expect(page.locator("#notice")).to_have_attribute("role", "alert")
    for region in ("#consent-message", "#rewards-message", "#check-message", "#card-message"):
        expect(page.locator(region)).to_have_attribute("role", "status")
