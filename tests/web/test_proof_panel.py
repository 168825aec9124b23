"""The 'Prove my membership' panel in Debian's Chromium, against the real site and Anvil: a
gold member opens their identity by signing, registers it from the page, the operator
publishes, and the page proves "gold or higher for cinema-2026-12" in a Web Worker with every
request that leaves this machine blocked; the cinema then checks the proof with the real
`ape run proofs verify`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from member_stack import ROOT, MemberStack, Site
from page_kit import OpenPage, WalletSettings, screenshot
from playwright.sync_api import Page, Route

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


def open_panel(open_page: OpenPage, proof_stack: ProofStack, member: str) -> tuple[Page, list[str]]:
    page = open_page(WalletSettings(account=member))
    attempted = block_the_world(page)
    page.goto(proof_stack.site.url)
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Connect wallet").click()
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
    page.get_by_role("button", name="Register my private identity (I pay the fee)").click()
    page.wait_for_selector("#proof-status[data-tone=success]")

    # The identity the page registered is the one the Node side derives from the same signature.
    signed = stack.web3.provider.make_request(  # type: ignore[attr-defined]
        "personal_sign",
        ["0x" + identity_message(stack.chain_id, proof_stack.proofs).encode().hex(), member],
    )["result"]
    (expected,) = identity_commitments([bytes.fromhex(signed[2:])])
    # Three other gold members registered too: the member hides among four (the page warns).
    proofs = stack.web3.eth.contract(address=proof_stack.proofs, abi=REGISTER_ABI)
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
    assert page.locator("#proof-qr").get_attribute("src", timeout=1000).startswith("data:image/png")
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
