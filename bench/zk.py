"""`make bench`, private proofs: gas of registration, publication and on-chain verification,
proof time in headless Chromium at the 1,000,000-member depth, and off-chain verification
time, against a private Anvil. Adds its keys to bench/results.json (after bench.py):

    zk_verify_gas              validateProof, whole transaction (real depth-20 proof)
    zk_register_gas            registerIdentity, the member's own transaction
    zk_publish_gas             publishRoots when all four groups change
    zk_publish_gas_per_member  the same, divided by the members who joined any group
    zk_prove_s                 the page's prover (Web Worker in Debian's Chromium, depth 20):
                               identity, group tree, proving files from the page's origin,
                               Groth16 proof; median of the runs after a first warm-up run
    zk_verify_offchain_ms      a partner's free check from Python: `call_verify_proof`, one
                               eth_call of verifyProof to the node; median of 50

    .venv/bin/python bench/zk.py [--members 200] [--proofs 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
CHROMIUM = os.environ.get("MEMBERLEDGER_CHROMIUM", "/usr/bin/chromium")
HARNESS = (
    """<!doctype html><html><body><script type="module" src="harness.js"></script></body></html>"""
)
HARNESS_JS = """
window.prove = (request) => new Promise((resolve) => {
  const worker = new Worker("prover.js", { type: "module" });
  worker.onmessage = (event) => {
    if (event.data.kind === "progress") return;
    worker.terminate();
    resolve(event.data);
  };
  worker.postMessage(request);
});
document.body.dataset.ready = "true";
"""


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the base class's own attribute)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def prove_in_chromium(signature: bytes, leaves: list[int], scope: int, runs: int) -> list[float]:
    """Seconds of each proof made by the page's worker in headless Chromium."""
    from playwright.sync_api import sync_playwright

    subprocess.run(["node", "web/build.mjs"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="memberledger-zk-bench-") as folder:
        site = Path(folder) / "site"
        shutil.copytree(ROOT / "web" / "dist", site)
        (site / "harness.html").write_text(HARNESS)
        (site / "harness.js").write_text(HARNESS_JS)
        server, url = serve(site)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                page = browser.new_page()
                page.goto(f"{url}/harness.html")
                page.wait_for_selector("body[data-ready=true]", state="attached")
                request = {
                    "signature": "0x" + signature.hex(),
                    "leaves": [str(leaf) for leaf in leaves],
                    "group": 2,
                    "scope": str(scope),
                    "depth": 20,
                    "wasmUrl": f"{url}/zk/semaphore-20.wasm",
                    "zkeyUrl": f"{url}/zk/semaphore-20.zkey",
                }
                seconds = []
                for _ in range(runs):
                    answer = page.evaluate("(request) => window.prove(request)", request)
                    if answer.get("kind") != "done":
                        raise RuntimeError(f"the prover failed: {answer}")
                    seconds.append(float(answer["seconds"]))
                browser.close()
        finally:
            server.shutdown()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--proofs", type=int, default=4, help="browser proofs (first: warm-up)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from eth_account import Account
    from eth_account.messages import encode_defunct
    from eth_utils.crypto import keccak
    from rich.console import Console

    from memberledger.chain.local_node import running_anvil

    console = Console(stderr=True)
    for name in list(os.environ):
        if name.startswith("MEMBERLEDGER_"):
            del os.environ[name]
    with (
        tempfile.TemporaryDirectory(prefix="memberledger-zk-") as folder,
        running_anvil("--accounts", "2") as url,
    ):
        from ape import accounts, chain, networks, project
        from ape.logging import logger

        logger.set_level("WARNING")

        from memberledger.chain.deployment import deploy, save_manifest
        from memberledger.chain.rpc import NodeClient
        from memberledger.proofs.deployment import deploy_proofs
        from memberledger.proofs.proof_file import proof_from_json
        from memberledger.proofs.publish import groups_at
        from memberledger.proofs.verify import call_verify_proof
        from memberledger.proofs.zk import identity_commitments, identity_message, make_proof

        os.environ["MEMBERLEDGER_DEPLOYMENTS"] = str(Path(folder) / "deployments")
        with networks.parse_network_choice(url):
            operator = accounts.test_accounts[0]
            save_manifest(deploy(project, chain, operator))
            deployment = deploy_proofs(project, chain, operator, root_validity=3_600)
            registry = project.MembershipRegistry.at(deployment.registry)
            proofs = project.MembershipProofs.at(deployment.proofs)
            node = NodeClient(url)
            keys = [keccak(b"zk bench member" + i.to_bytes(4, "big")) for i in range(args.members)]
            wallets = [Account.from_key(key) for key in keys]
            console.print(f"enrolling {args.members} members (tiers 0-3)")
            for i, wallet in enumerate(wallets):  # one by one: enrollBatch changes in issue 14
                commitment = keccak(wallet.address.encode())[:20]
                registry.enroll(wallet.address, commitment, 0, i % 4, sender=operator)
            message = identity_message(chain.chain_id, deployment.proofs)
            signatures = [
                bytes(w.sign_message(encode_defunct(text=message)).signature) for w in wallets
            ]
            commitments = identity_commitments(signatures)
            console.print("members register their identities (own transactions)")
            register_gas = []
            for wallet, key, identity in zip(wallets, keys, commitments, strict=True):
                node.call("anvil_setBalance", wallet.address, hex(10**18))
                data = proofs.registerIdentity.encode_input(identity)
                tx = {
                    "to": deployment.proofs,
                    "data": "0x" + bytes(data).hex(),
                    "nonce": 0,
                    "gas": 100_000,
                    "maxFeePerGas": 10**10,
                    "maxPriorityFeePerGas": 10**9,
                    "chainId": chain.chain_id,
                }
                raw = Account.sign_transaction(tx, key).raw_transaction
                tx_hash = node.send_raw(raw)
                (receipt,) = node.receipts([tx_hash])
                while receipt is None:
                    time.sleep(0.01)
                    (receipt,) = node.receipts([tx_hash])
                register_gas.append(receipt.gas_used)
            head = node.block_number()
            groups = groups_at(node, deployment, head)
            published = proofs.publishRoots(
                list(groups.roots.roots), list(groups.roots.sizes), head, sender=operator
            )
            changed = sum(groups.roots.sizes)
            scope = int(proofs.campaignScope("cinema-2026-12"))
            gold = 2  # member 2 has tier 2
            proof = proof_from_json(make_proof(signatures[2], groups.leaves[gold], gold, scope))
            timings = []
            for _ in range(50):
                started = time.perf_counter()
                assert call_verify_proof(node, proofs, gold, proof, scope) is True
                timings.append((time.perf_counter() - started) * 1000)
            validated = proofs.validateProof(gold, proof.as_struct(), scope, sender=operator)
        console.print(f"proving {args.proofs} times in headless Chromium (depth 20)")
        prove_seconds = prove_in_chromium(signatures[2], groups.leaves[gold], scope, args.proofs)

    figures = json.loads(args.out.read_text()) if args.out.exists() else {}
    figures.update(
        {
            "zk_verify_gas": int(validated.gas_used),
            "zk_register_gas": int(statistics.median(register_gas)),
            "zk_publish_gas": int(published.gas_used),
            "zk_publish_members_changed": changed,
            "zk_publish_gas_per_member": round(published.gas_used / changed, 1),
            "zk_prove_s": round(statistics.median(prove_seconds[1:] or prove_seconds), 2),
            "zk_prove_first_s": round(prove_seconds[0], 2),
            "zk_verify_offchain_ms": round(statistics.median(timings), 2),
            "zk_group_sizes": list(groups.roots.sizes),
            "zk_machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        }
    )
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        if key.startswith("zk_"):
            console.print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
