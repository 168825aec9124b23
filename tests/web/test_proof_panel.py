"""The 'Prove my membership' panel in Debian's Chromium, against the real site and Anvil: a
gold member opens their identity by signing, registers it from the page, the operator
publishes, and the page proves "gold or higher for cinema-2026-12" in a Web Worker with every
request that leaves this machine blocked; the cinema then checks the proof with the real
`ape run proofs verify`."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from member_stack import ROOT, MemberStack, Response, Site, request
from operator_kit import rpc
from page_kit import OpenPage, WalletSettings, screenshot
from playwright.sync_api import Page, Route
from web3 import Web3

from memberledger.proofs.zk import identity_commitments, identity_message

CAMPAIGN = "cinema-2026-12"
REGISTER_ABI = [
    {
        "type": "function",
        "name": "registerIdentity",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "identityCommitment", "type": "uint256"}],
        "outputs": [],
    }
]
REGISTERED_ABI = [
    {
        "type": "event",
        "name": "IdentityRegistered",
        "anonymous": False,
        "inputs": [
            {"name": "member", "type": "address", "indexed": True},
            {"name": "identityCommitment", "type": "uint256", "indexed": False},
        ],
    }
]
#: A Groth16 proof at depth 20 takes seconds on two cores; the page's whole flow more.
PROOF_TIMEOUT_MS = 60_000


@dataclass
class ProofStack:
    stack: MemberStack
    site: Site
    proofs: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ape", "run", "proofs", *args, "--network", self.stack.anvil_url],
            cwd=ROOT,
            env=self.stack.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )


@pytest.fixture(scope="module")
def proof_stack(stack: MemberStack) -> Iterator[ProofStack]:
    """MembershipProofs deployed on the shared chain and a site of its own that serves the
    proof panel (the shared site was started before proofs existed)."""
    deployed = subprocess.run(
        ["ape", "run", "proofs", "deploy", "--network", stack.anvil_url],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    manifest = json.loads(
        (Path(stack.env["MEMBERLEDGER_DEPLOYMENTS"]) / f"{stack.chain_id}.proofs.json").read_text()
    )
    site = stack.start_site("--per-ip", "10000", "--per-member", "10000")
    yield ProofStack(stack, site, manifest["proofs"])
    site.stop()


def block_the_world(page: Page) -> list[str]:
    """Abort every request that leaves this machine, and remember it."""
    attempted: list[str] = []

    def route(route: Route) -> None:
        url = route.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.context.route("**/*", route)
    return attempted


def wait_for(page: Page, selector: str) -> None:
    """Wait for the panel to reach `selector`; on a timeout, say what the panel said."""
    try:
        page.wait_for_selector(selector, timeout=PROOF_TIMEOUT_MS)
    except Exception as exc:
        status = page.locator("#proof-status").inner_text()
        raise AssertionError(f"{selector} did not appear; the panel says: {status!r}") from exc


def open_panel(
    open_page: OpenPage, proof_stack: ProofStack, member: str, **options: Any
) -> tuple[Page, list[str]]:
    page = open_page(WalletSettings(account=member), **options)
    attempted = block_the_world(page)
    page.goto(proof_stack.site.url)
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#wallet-list button").first.click()
    page.wait_for_selector("#proof-panel:not([hidden])")
    return page, attempted


def test_proof_panel_gold_member_proves_for_cinema(
    proof_stack: ProofStack, open_page: OpenPage
) -> None:
    stack = proof_stack.stack
    member = stack.enroll(tier=2).address
    page, attempted = open_panel(open_page, proof_stack, member)
    page.get_by_label("What to prove").select_option(label="I am an active member, Gold or higher")
    page.get_by_label("Campaign").fill(CAMPAIGN)

    # Not registered yet: the page says so and offers the registration.
    page.get_by_role("button", name="Make my proof").click()
    wait_for(page, "#proof-register:not([hidden])")
    assert "not in the published group yet" in page.locator("#proof-status").inner_text()
    sent_before = stack.tx_count(member)
    page.get_by_role("button", name="Register my private identity without a fee").click()
    page.wait_for_selector("#proof-status[data-tone=success]")
    assert stack.tx_count(member) == sent_before  # the relay paid

    # The identity the page registered is the one the Node side derives from the same signature.
    signed = rpc(
        stack.web3,
        "personal_sign",
        "0x" + identity_message(stack.chain_id, proof_stack.proofs).encode().hex(),
        member,
    )
    (expected,) = identity_commitments([bytes.fromhex(signed[2:])])
    # Three other gold members registered too: the member hides among four (the page warns).
    proofs = stack.web3.eth.contract(
        address=Web3.to_checksum_address(proof_stack.proofs), abi=REGISTER_ABI
    )
    for commitment in (11, 22, 33):
        other = stack.enroll(tier=2).address
        stack.as_member(other, proofs.functions.registerIdentity(commitment))
    published = proof_stack.run("publish")
    assert published.returncode == 0, published.stdout + published.stderr
    leaves = json.loads(page.evaluate("fetch('/proofs/groups/2.json').then(r => r.text())"))
    assert str(expected) in leaves["leaves"]

    page.get_by_role("button", name="Make my proof").click()
    wait_for(page, "#proof-result:not([hidden])")
    assert "Your proof is ready" in page.locator("#proof-status").inner_text()
    assert (page.locator("#proof-qr").get_attribute("src", timeout=1000) or "").startswith(
        "data:image/png"
    )
    assert page.locator("#proof-download").get_attribute("download") == (
        f"membership-proof-{CAMPAIGN}.json"
    )
    assert "members are in this group" in page.locator("#proof-warning").inner_text()
    screenshot(page, "proof-panel", "#proof-panel")
    text = page.locator("#proof-text").input_value()
    assert member[2:].lower() not in text.lower() and str(expected) not in text
    assert attempted == []

    path = stack.workdir / "browser-proof.json"
    path.write_text(text)
    checked = proof_stack.run("verify", str(path), "--campaign", CAMPAIGN, "--tier", "gold")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    refused = proof_stack.run("verify", str(path), "--campaign", "cinema-2027-01")
    assert refused.returncode == 1


def test_proof_panel_hidden_for_suspended_member(
    proof_stack: ProofStack, open_page: OpenPage
) -> None:
    stack = proof_stack.stack
    member = stack.enroll(tier=3).address
    stack.suspend(member)
    page = open_page(WalletSettings(account=member))
    page.goto(proof_stack.site.url)
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Connect wallet").click()
    page.wait_for_selector("#card:not([hidden])")
    assert page.locator("#proof-panel").is_hidden()


def test_proof_panel_registers_with_own_transaction(
    proof_stack: ProofStack, open_page: OpenPage
) -> None:
    stack = proof_stack.stack
    member = stack.enroll(tier=1).address
    page, attempted = open_panel(open_page, proof_stack, member)
    page.get_by_label("Campaign").fill(CAMPAIGN)
    page.get_by_role("button", name="Make my proof").click()
    wait_for(page, "#proof-register:not([hidden])")
    sent_before = stack.tx_count(member)
    page.get_by_role("button", name="Register my private identity (I pay the fee)").click()
    page.wait_for_selector("#proof-status[data-tone=success]")
    assert stack.tx_count(member) == sent_before + 1
    proofs = stack.web3.eth.contract(
        address=Web3.to_checksum_address(proof_stack.proofs), abi=REGISTERED_ABI
    )
    (event,) = proofs.events.IdentityRegistered().get_logs(
        from_block=0, argument_filters={"member": member}
    )
    signed = rpc(
        stack.web3,
        "personal_sign",
        "0x" + identity_message(stack.chain_id, proof_stack.proofs).encode().hex(),
        member,
    )
    assert event.args.identityCommitment == identity_commitments([bytes.fromhex(signed[2:])])[0]
    assert attempted == []


# ------------------------------------------------------------------ the identity relay


def signed_registration(
    proof_stack: ProofStack, member: str, *, signer: str | None = None, deadline: int | None = None
) -> dict[str, Any]:
    stack = proof_stack.stack
    message = {
        "member": member,
        "identityCommitment": "424242",
        "nonce": "0",
        "deadline": str(stack.now() + 600 if deadline is None else deadline),
    }
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "IdentityRegistration": [
                {"name": "member", "type": "address"},
                {"name": "identityCommitment", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "IdentityRegistration",
        "domain": {
            "name": "MemberLedger MembershipProofs",
            "version": "1",
            "chainId": stack.chain_id,
            "verifyingContract": proof_stack.proofs,
        },
        "message": message,
    }
    signature = rpc(stack.web3, "eth_signTypedData_v4", signer or member, json.dumps(typed))
    return {**message, "signature": signature}


def post_registration(proof_stack: ProofStack, body: dict[str, Any]) -> Response:
    return request(f"{proof_stack.site.url}/relay/identity", "POST", json.dumps(body).encode())


def test_identity_relay_registers_signed_request(proof_stack: ProofStack) -> None:
    member = proof_stack.stack.enroll(tier=0).address
    answer = post_registration(proof_stack, signed_registration(proof_stack, member))
    assert answer.status == 200, answer.body
    assert answer.body["txHash"].startswith("0x")
    again = post_registration(proof_stack, signed_registration(proof_stack, member))
    assert (again.status, again.body["error"]) == (409, "used_nonce")


def test_identity_relay_refuses_other_signer(proof_stack: ProofStack) -> None:
    stack = proof_stack.stack
    member = stack.enroll(tier=0).address
    body = signed_registration(proof_stack, member, signer=stack.fresh_account())
    answer = post_registration(proof_stack, body)
    assert (answer.status, answer.body["error"]) == (400, "bad_signature")


def test_identity_relay_refuses_suspended_member(proof_stack: ProofStack) -> None:
    stack = proof_stack.stack
    member = stack.enroll(tier=0).address
    stack.suspend(member)
    answer = post_registration(proof_stack, signed_registration(proof_stack, member))
    assert (answer.status, answer.body["error"]) == (403, "not_member")


def test_identity_relay_refuses_expired_request(proof_stack: ProofStack) -> None:
    member = proof_stack.stack.enroll(tier=0).address
    # The relay's clock is the wall clock (the session's chain may run ahead of it).
    body = signed_registration(proof_stack, member, deadline=int(time.time()) - 1)
    answer = post_registration(proof_stack, body)
    assert (answer.status, answer.body["error"]) == (400, "expired")


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run('#proof-panel', { resultTypes: ['violations'] })"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_proof_panel_speaks_the_language_and_passes_axe(
    proof_stack: ProofStack, open_page: OpenPage, locale: str
) -> None:
    member = proof_stack.stack.enroll(tier=3).address
    page, _ = open_panel(open_page, proof_stack, member, locale=locale, bypass_csp=True)
    title = page.locator("#proof-title").inner_text()
    assert title == ("证明我的会员身份" if locale == "zh-CN" else "Prove my membership")
    page.locator("#proof-campaign").fill(CAMPAIGN)
    page.locator("#proof-make").click()  # not registered: the registration offer appears
    wait_for(page, "#proof-register:not([hidden])")
    assert serious_axe_violations(page) == []
