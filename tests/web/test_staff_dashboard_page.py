"""The staff dashboard's page (/admin) in headless Chromium with an injected wallet, against a
real Anvil: a registrar signs in with personal_sign, sees their sections and the programme's
figures exactly as the chain index holds them, looks a member up (the access log gains a row)
and marks a redemption handed out; the admin reads the access log and signs out; axe-core
finds nothing serious in either language; an account without a role is refused."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from member_stack import ROOT, MemberStack, Site
from operator_kit import rpc
from page_kit import DOCS_IMAGES, WalletSettings, update_docs_image
from playwright.sync_api import Browser, Dialog, Page, expect

from memberledger.chain.rpc import NodeClient
from memberledger.index.chain_index import ChainIndex, abis_of
from memberledger.index.members import ACTIVE, SUSPENDED
from memberledger.pii.canonical import PersonalData, canonicalize
from memberledger.pii.commitment import commit_person
from memberledger.site.admin_desk import dashboard_index_path
from memberledger.store.access_log import AccessLog
from memberledger.store.database import Database
from memberledger.store.fulfilments import Fulfilments
from memberledger.store.vault import DevelopmentKeyWarning, MemberRecord, Vault
from memberledger.tiers import TIERS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: The dashboard's own bundle stays small (gzipped), the chart library included.
ADMIN_BUDGET_BYTES = 100_000


@dataclass
class DashboardSite:
    site: Site
    vault_path: Path
    member_id: str


@pytest.fixture(scope="module")
def dashboard_site(stack: MemberStack) -> Iterator[DashboardSite]:
    """The site with the dashboard on, over a vault with one member enrolled on chain."""
    vault_path = stack.workdir / "page-dashboard-vault.db"
    wallet = stack.fresh_account()
    given = PersonalData("Anneliese Okonkwo", "anneliese@example.org")
    personal = canonicalize(given)
    salt = secrets.token_bytes(32)
    commitment = commit_person(personal, salt)
    record = MemberRecord("PAGE-001", wallet, personal, salt, commitment, 0b001, 1, given)
    with pytest.warns(DevelopmentKeyWarning), Vault.open(vault_path, allow_dev_key=True) as vault:
        vault.add_member(record)
        receipt = stack._send(
            stack.registry.functions.enroll(wallet, commitment.value, 0b001, 1), stack.registrar
        )
        vault.mark_enrolled(
            [record.member_id],
            "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
        )
    site = stack.start_site(
        "--admin", "--per-ip", "10000", "--per-member", "10000",
        env={"MEMBERLEDGER_VAULT": str(vault_path)},
    )  # fmt: skip
    try:
        yield DashboardSite(site, vault_path, record.member_id)
    finally:
        site.stop()


def open_dashboard(
    browser: Browser,
    stack: MemberStack,
    site: Site,
    account: str,
    locale: str = "en-US",
    *,
    bypass_csp: bool = True,  # axe is added as a script
) -> Page:
    context = browser.new_context(locale=locale, bypass_csp=bypass_csp)
    context.set_default_timeout(15_000)
    context.add_init_script(script=WalletSettings(account).script(stack))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site.url}/admin")
    page.wait_for_selector("body[data-ready=true]")
    assert errors == []
    return page


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, { resultTypes: ['violations'] })"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def figure(page: Page, key: str) -> int:
    return int(page.locator(f'[data-figure="{key}"]').inner_text())


def test_registrar_signs_in_and_sees_the_index_figures(
    browser: Browser, stack: MemberStack, project: Any, dashboard_site: DashboardSite
) -> None:
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    assert axe_violations(page) == []  # the sign-in screen
    for _ in range(3):  # the skip link, the language switch, then sign-in: by keyboard only
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in with your wallet")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#staff")).to_contain_text(stack.registrar)
    links = page.locator("#section-links a")
    expect(links).to_have_text(
        ["Programme now", "Chain health", "Week by week", "Members", "Redemptions"]
    )
    expect(page.locator("#access_log")).to_be_hidden()
    expect(page.locator('[data-figure="status:active"]')).to_be_visible()
    signed = [c for c in page.evaluate("window.__wallet.calls") if c["method"] == "personal_sign"]
    assert (
        len(signed) == 1
        and "wants you to sign in with your Ethereum account"
        in bytes.fromhex(signed[0]["params"][0][2:]).decode()
    )

    manifest = stack.manifest
    index = ChainIndex.open(
        dashboard_index_path(dashboard_site.vault_path),
        NodeClient(stack.anvil_url),
        chain_id=stack.chain_id,
        registry=manifest["registry"],
        points=manifest["points"],
        deploy_block=int(manifest["deploy_block"]),
        abis=abis_of(project.MembershipRegistry, project.LoyaltyPoints),
    )
    try:
        counts = index.state_counts()
        totals = index.point_totals()
        indexed = index.status().read_block
        enrolled = index.weekly("enrolled")
        credited = index.weekly("credited")
    finally:
        index.close()
    active = sum(c.members for c in counts if c.status == ACTIVE)
    assert active >= 1
    assert figure(page, "status:active") == active
    for number, name in TIERS.items():
        expected = sum(
            c.members for c in counts if c.tier == number and c.status in (ACTIVE, SUSPENDED)
        )
        assert figure(page, f"tier:{name}") == expected, name
    assert figure(page, "points:outstanding") == totals.outstanding
    assert figure(page, "points:issued") == totals.credited
    assert int(page.locator("#health-list dd").first.inner_text()) == indexed
    expect(page.locator("#series-table tbody tr")).to_have_count(len({w for w, _, _ in enrolled}))
    for start, tier, count in enrolled:
        monday = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat()
        assert figure(page, f"{monday}:enrolled:{TIERS[tier]}") == count
    for start, _, total in credited:
        monday = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat()
        assert figure(page, f"{monday}:credited") == total
    assert axe_violations(page) == []  # the signed-in overview
    update_docs_image(page, DOCS_IMAGES / "dashboard-overview.png")

    page.get_by_label("Member id or wallet").fill(dashboard_site.member_id)
    page.get_by_label("Why are you opening this member's record?").select_option("member_request")
    page.get_by_role("button", name="Show the member").click()
    expect(page.locator("#member-view")).to_contain_text("Anneliese Okonkwo")
    page.locator("#members").scroll_into_view_if_needed()
    update_docs_image(page, DOCS_IMAGES / "dashboard-member.png")
    database = Database(dashboard_site.vault_path)
    try:
        newest = AccessLog(database).latest(1)[0]
    finally:
        database.close()
    assert (newest.member_id, newest.reason) == (dashboard_site.member_id, "member_request")
    assert newest.staff.lower() == stack.registrar.lower()
    assert axe_violations(page) == []
    page.context.close()


def test_chinese_dashboard_is_axe_clean(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar, "zh-CN")
    page.get_by_role("button", name="用钱包登录").click()
    expect(page.locator("#section-links a")).to_have_text(
        ["计划概况", "链的状态", "每周变化", "会员", "兑换"]
    )
    expect(page.locator('[data-figure="status:active"]')).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert axe_violations(page) == []
    page.context.close()


def test_an_account_without_a_role_is_refused(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    nobody = stack.fresh_account()
    page = open_dashboard(browser, stack, dashboard_site.site, nobody)
    page.get_by_role("button", name="Sign in with your wallet").click()
    expect(page.locator("#notice")).to_have_text(
        "This wallet holds no role in the programme's contracts, so it cannot sign in."
    )
    expect(page.locator("#sections")).to_be_hidden()
    page.context.close()


def test_dashboard_bundle_is_under_budget(built_page: Path) -> None:
    bundle = built_page / "admin" / "admin.js"
    chunks = re.findall(r'from"\.\./(chunk-[A-Z0-9]+\.js)"', bundle.read_text())
    files = [bundle, *(built_page / name for name in chunks)]
    size = sum(len(gzip.compress(path.read_bytes(), 9)) for path in files)
    assert size < ADMIN_BUDGET_BYTES, f"{size} bytes gzipped: {[f.name for f in files]}"


def sign_in_on_page(page: Page) -> None:
    page.get_by_role("button", name="Sign in with your wallet").click()
    expect(page.locator("#staff")).to_be_visible()


def test_registrar_marks_a_redemption_handed_out(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    member = stack.enroll(tier=0)
    stack.credit(member.address, 200)
    receipt = stack.as_member(member.address, stack.points.functions.redeem(1))
    identity = f"{receipt['blockNumber']}-{receipt['logs'][-1]['logIndex']}"
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in_on_page(page)
    button = page.get_by_role("button", name=f"Mark {identity} handed out")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#message")).to_have_text(f"Redemption {identity} is marked handed out.")
    expect(button).to_have_count(0)
    assert asked == [f"Mark redemption {identity} of {member.address} as handed out?"]
    database = Database(dashboard_site.vault_path)
    try:
        assert identity in Fulfilments(database).all()
    finally:
        database.close()
    page.context.close()


def test_admin_reads_the_access_log(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    database = Database(dashboard_site.vault_path)
    try:
        newest = AccessLog(database).record(
            stack.registrar, dashboard_site.member_id, "0x" + "ab" * 20, "compliance_check"
        )
    finally:
        database.close()
    page = open_dashboard(browser, stack, dashboard_site.site, stack.admin)
    sign_in_on_page(page)
    links = page.locator("#section-links a")
    expect(links).to_have_text(["Programme now", "Chain health", "Week by week", "Access log"])
    expect(page.locator("#members")).to_be_hidden()
    first = page.locator("#access-table tbody tr").first
    expect(first).to_have_text(
        f"{newest.viewed_at}{stack.registrar}{dashboard_site.member_id}A compliance check"
    )
    assert axe_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in with your wallet")).to_be_focused()
    expect(page.locator("#access_log")).to_be_hidden()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#sign-in-panel")).to_be_visible()  # the cookie's session is over
    page.context.close()


def test_registrar_suspends_and_changes_a_tier_from_the_page(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    member = stack.enroll(tier=0)
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in_on_page(page)
    page.get_by_label("Member id or wallet").fill(member.address)
    page.get_by_label("Why are you opening this member's record?").select_option("support_case")
    page.get_by_role("button", name="Show the member").click()
    expect(page.locator("#member-actions")).to_be_visible()
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator("#message")).to_have_text(
        f"Done: suspend {member.address} (confirmed on chain)."
    )
    assert stack.record(member.address)[3] == 2  # suspended, by the registrar's own wallet
    page.get_by_label("New tier").select_option("gold")
    page.get_by_role("button", name="Change tier").click()
    expect(page.locator("#message")).to_have_text(
        f"Done: change the tier of {member.address} (confirmed on chain)."
    )
    assert stack.record(member.address)[2] == 2
    assert asked == [
        f"Really suspend {member.address}? Your wallet will ask you to sign.",
        f"Really change the tier of {member.address}? Your wallet will ask you to sign.",
    ]
    sent = [
        c for c in page.evaluate("window.__wallet.calls") if c["method"] == "eth_sendTransaction"
    ]
    assert [c["params"][0]["from"].lower() for c in sent] == [stack.registrar.lower()] * 2
    assert axe_violations(page) == []
    page.context.close()


def test_the_dashboard_keeps_to_the_content_security_policy(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    """Charts, styles and scripts all come from the site itself: with the policy enforced,
    the signed-in page draws its charts and the browser reports no violation."""
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar, bypass_csp=False)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.evaluate(
        "document.addEventListener('securitypolicyviolation', "
        "(e) => console.error('Content Security Policy: ' + e.violatedDirective))"
    )
    sign_in_on_page(page)
    expect(page.locator("#series-table tbody tr").first).to_be_visible()
    drawn = page.evaluate(
        "() => { const c = document.getElementById('tier-chart');"
        " return c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height)"
        ".data.some((v) => v !== 0); }"
    )
    assert drawn is True
    assert violations == []
    page.context.close()


def test_an_idle_session_ends_and_the_page_asks_to_sign_in_again(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    """A site of its own whose sessions end after 4 idle seconds (the module's site keeps
    the default 15 minutes): a look-up after that is refused, shows nothing of the member,
    writes no access log row, and the page is back at its sign-in."""
    idle = 4.0
    site = stack.start_site(
        "--admin", "--admin-idle", str(idle), "--per-ip", "10000", "--no-relay",
        "--no-history", env={"MEMBERLEDGER_VAULT": str(dashboard_site.vault_path)},
    )  # fmt: skip
    try:
        page = open_dashboard(browser, stack, site, stack.registrar)
        sign_in_on_page(page)
        expect(page.locator("#members")).to_be_visible()
        database = Database(dashboard_site.vault_path)
        try:
            logged = len(AccessLog(database).latest(1_000))
        finally:
            database.close()
        page.wait_for_timeout(idle * 1_000 + 1_500)

        page.get_by_label("Member id or wallet").fill(dashboard_site.member_id)
        page.get_by_label("Why are you opening this member's record?").select_option(
            "member_request"
        )
        page.get_by_role("button", name="Show the member").click()
        expect(page.locator("#notice")).to_have_text(
            "You are signed out (or were idle too long). Sign in again."
        )
        expect(page.locator("#sign-in-panel")).to_be_visible()
        expect(page.locator("#members")).to_be_hidden()
        expect(page.locator("#member-view")).not_to_contain_text("Anneliese Okonkwo")
        database = Database(dashboard_site.vault_path)
        try:
            assert len(AccessLog(database).latest(1_000)) == logged
        finally:
            database.close()
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#sign-in-panel")).to_be_visible()  # the cookie's session is over
        sign_in_on_page(page)  # and a fresh sign-in opens a new one
        expect(page.locator("#members")).to_be_visible()
        page.context.close()
    finally:
        site.stop()


def vault_member(stack: MemberStack, vault_path: Path, member_id: str, given: PersonalData) -> str:
    """A member added to the site's vault and enrolled on chain; their wallet."""
    wallet = stack.fresh_account()
    personal = canonicalize(given)
    salt = secrets.token_bytes(32)
    record = MemberRecord(
        member_id, wallet, personal, salt, commit_person(personal, salt), 1, 0, given
    )
    with pytest.warns(DevelopmentKeyWarning), Vault.open(vault_path, allow_dev_key=True) as vault:
        vault.add_member(record)
        receipt = stack._send(
            stack.registry.functions.enroll(wallet, record.commitment.value, 1, 0), stack.registrar
        )
        vault.mark_enrolled(
            [member_id],
            "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
        )
    return wallet


def test_registrar_updates_a_members_data_from_the_page(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    given = PersonalData("Tomasz Wieczorek", "tomasz@example.org")
    wallet = vault_member(stack, dashboard_site.vault_path, "PAGE-002", given)
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard_site.vault_path, allow_dev_key=True) as vault,
    ):
        salt = vault.member_record("PAGE-002").salt
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in_on_page(page)
    page.get_by_label("Member id or wallet").fill("PAGE-002")
    page.get_by_label("Why are you opening this member's record?").select_option("data_correction")
    page.get_by_role("button", name="Show the member").click()
    expect(page.get_by_label("E-mail")).to_have_value("tomasz@example.org")
    expect(page.get_by_label("Full name")).to_have_value("Tomasz Wieczorek")
    page.get_by_label("E-mail").fill("t.wieczorek@example.net")
    page.get_by_role("button", name="Update personal data").click()
    expect(page.locator("#message")).to_have_text(
        "Done: update the personal data of PAGE-002 (confirmed on chain)."
    )
    assert asked == [
        "Really update the personal data of PAGE-002? Your wallet will ask you to sign."
    ]
    sent = [
        c for c in page.evaluate("window.__wallet.calls") if c["method"] == "eth_sendTransaction"
    ]
    assert [c["params"][0]["from"].lower() for c in sent] == [stack.registrar.lower()]
    assert "example" not in bytes.fromhex(sent[0]["params"][0]["data"][2:]).decode("latin-1")
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard_site.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get("PAGE-002")
        opened = vault.member_record("PAGE-002")
    assert stored is not None and stored.pending_commitment is None
    assert opened.shown == PersonalData("Tomasz Wieczorek", "t.wieczorek@example.net")
    assert opened.salt != salt
    assert bytes(stack.record(wallet)[0]) == stored.commitment.value  # the chain holds it
    assert axe_violations(page) == []
    page.context.close()


def test_registrar_erases_a_member_from_the_page(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    given = PersonalData("Ingrid Halvorsen", "ingrid@example.org")
    wallet = vault_member(stack, dashboard_site.vault_path, "PAGE-003", given)
    stack.credit(wallet, 200)
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in_on_page(page)
    page.get_by_label("Member id or wallet").fill("PAGE-003")
    page.get_by_label("Why are you opening this member's record?").select_option("member_request")
    page.get_by_role("button", name="Show the member").click()
    expect(page.locator("#member-view")).to_contain_text("Ingrid Halvorsen")
    page.get_by_role("button", name="Erase").click()
    expect(page.locator("#message")).to_have_text("Done: erase PAGE-003 (confirmed on chain).")
    assert len(asked) == 1 and asked[0].startswith("Really erase PAGE-003? Their personal data")
    sent = [
        c for c in page.evaluate("window.__wallet.calls") if c["method"] == "eth_sendTransaction"
    ]
    targets = [c["params"][0]["to"].lower() for c in sent]
    registry, points = stack.manifest["registry"].lower(), stack.manifest["points"].lower()
    assert targets == [registry, points]  # the erasure, then the forfeit, by the registrar
    assert {c["params"][0]["from"].lower() for c in sent} == {stack.registrar.lower()}
    expect(page.locator("#member-view")).to_be_hidden()
    assert stack.record(wallet)[3] == 4 and stack.balance(wallet) == 0  # erased, nothing left
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard_site.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get("PAGE-003")
    assert stored is not None and stored.status.value == "erased"
    assert axe_violations(page) == []
    page.context.close()


def test_registrar_moves_a_member_to_a_new_wallet_from_the_page(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    with stack.short_move_delay():  # the session's shared clock stays near the wall clock
        _move_from_the_page(browser, stack, dashboard_site)


def _move_from_the_page(
    browser: Browser, stack: MemberStack, dashboard_site: DashboardSite
) -> None:
    given = PersonalData("Sunniva Marchetti", "sunniva@example.org")
    old = vault_member(stack, dashboard_site.vault_path, "PAGE-004", given)
    stack.credit(old, 150)
    points = stack.balance(old)
    new = stack.fresh_account()
    page = open_dashboard(browser, stack, dashboard_site.site, stack.registrar)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in_on_page(page)
    page.get_by_label("Member id or wallet").fill("PAGE-004")
    page.get_by_label("Why are you opening this member's record?").select_option("member_request")
    page.get_by_role("button", name="Show the member").click()
    expect(page.locator("#member-view")).to_contain_text("Sunniva Marchetti")
    page.get_by_label("New wallet (0x…)").fill(new)
    page.get_by_role("button", name="Move to a new wallet").click()
    expect(page.locator("#message")).to_have_text(
        "Done: propose the move of PAGE-004 (confirmed on chain)."
    )
    assert asked == [
        f"Really move PAGE-004 to the new wallet {new}? Your wallet will ask you to sign the "
        "proposal; the move can be completed only after the waiting time."
    ]
    pending, executable_at = stack.registry.functions.pendingMove(old).call()
    assert pending == new
    expect(page.locator("#move-pending")).to_contain_text(f"A move to {new} is pending")
    expect(page.get_by_role("button", name="Complete move")).to_be_hidden()
    expect(page.get_by_role("button", name="Cancel move")).to_be_visible()
    assert axe_violations(page) == []

    head = int(stack.web3.eth.get_block("latest")["timestamp"])
    rpc(stack.web3, "evm_increaseTime", executable_at - head + 1)
    rpc(stack.web3, "evm_mine")
    page.get_by_role("button", name="Show the member").click()
    expect(page.locator("#move-pending")).to_contain_text("it can be completed now")
    page.get_by_role("button", name="Complete move").click()
    expect(page.locator("#message")).to_have_text(
        "Done: complete the move of PAGE-004 (confirmed on chain)."
    )
    sent = [
        c for c in page.evaluate("window.__wallet.calls") if c["method"] == "eth_sendTransaction"
    ]
    targets = [c["params"][0]["to"].lower() for c in sent]
    registry, points_token = stack.manifest["registry"].lower(), stack.manifest["points"].lower()
    assert targets == [registry, registry, points_token]  # propose, complete, carry over
    assert {c["params"][0]["from"].lower() for c in sent} == {stack.registrar.lower()}
    assert (stack.balance(old), stack.balance(new)) == (0, points)
    assert stack.record(new)[3] == ACTIVE
    with (
        pytest.warns(DevelopmentKeyWarning),
        Vault.open(dashboard_site.vault_path, allow_dev_key=True) as vault,
    ):
        stored = vault.get("PAGE-004")
    assert stored is not None and stored.wallet == new
    expect(page.locator("#member-view")).to_contain_text(new)  # shown again, moved
    expect(page.locator("#move-pending")).to_be_hidden()
    assert axe_violations(page) == []
    page.context.close()
