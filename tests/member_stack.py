"""The local stack a member's browser talks to, shared by the web and relay tests: a private
Anvil with 320 unlocked accounts, the contracts deployed by the real `ape run deploy`, and the
real `ape run relay` serving the built page, its config.json and the relay. The registrar's
part (enroll, credit, suspend) is played through web3 against the registry directly.

Accounts: 0 deploys (Ape's test account 0, holding every role), 1 is registrar and issuer, 9
relays (the relay's local default: an account with no role), the others up to 159 are members,
handed out one or two per test so tests never share a member.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from operator_kit import rpc
from web3 import Web3

from memberledger.chain.local_node import anvil_command, free_port, local_url, start_node, stop_node
from memberledger.identifiers import packed_credit_rows
from memberledger.pii.canonical import PersonalData
from memberledger.pii.commitment import Commitment, commit_person
from memberledger.site.signed_requests import CONSENT_CHANGE, REDEEM_REQUEST, Eip712Type

ROOT = Path(__file__).resolve().parents[1]
ANVIL_ACCOUNTS = 320  # the site, web and proof tests share one session stack: over 160 used
START_TIMEOUT = 90
#: The relay's account on a local chain (memberledger.site.server.LOCAL_RELAYER_INDEX).
RELAYER_INDEX = 9
#: Generous limits for the shared site; tests/site starts its own strict one.
RELAXED_LIMITS = ("--per-ip", "10000", "--per-member", "10000")


@dataclass(frozen=True)
class Member:
    """An enrolled member: their wallet, the details and salt behind their commitment."""

    address: str
    details: PersonalData
    salt: bytes
    commitment: Commitment


@dataclass
class Site:
    """One running `ape run relay` process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Ctrl-C, as an operator stops it; killed if it does not stop in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    *,
    content_type: str = "application/json",
    source: str = "127.0.0.1",
) -> Response:
    """An HTTP request from `source` (any 127.x address: each is its own client IP)."""
    parts = url.removeprefix("http://").split("/", 1)
    host, port = parts[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    headers = {"Content-Type": content_type} if body is not None else {}
    try:
        connection.request(method, "/" + (parts[1] if len(parts) > 1 else ""), body, headers)
        answer = connection.getresponse()
        raw = answer.read()
    finally:
        connection.close()
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        decoded = {"text": raw.decode(errors="replace")}
    return Response(answer.status, decoded, {k.lower(): v for k, v in answer.getheaders()})


@dataclass
class MemberStack:
    anvil_url: str
    web3: Web3
    registry: Any
    points: Any
    manifest: dict[str, Any]
    env: dict[str, str]
    workdir: Path
    site: Site | None = None
    _next_account: int = 2
    _sites: list[Site] = field(default_factory=list)

    # ------------------------------------------------------------ accounts and time

    @property
    def relayer(self) -> str:
        return str(list(self.web3.eth.accounts)[RELAYER_INDEX])

    @property
    def registrar(self) -> str:
        return str(list(self.web3.eth.accounts)[1])

    @property
    def chain_id(self) -> int:
        return int(self.web3.eth.chain_id)

    def fresh_account(self) -> str:
        """A funded account no other test has used."""
        if self._next_account >= ANVIL_ACCOUNTS:
            raise RuntimeError(f"all {ANVIL_ACCOUNTS} Anvil accounts are in use")
        if self._next_account == RELAYER_INDEX:
            self._next_account += 1
        account = str(self.web3.eth.accounts[self._next_account])
        self._next_account += 1
        return account

    def now(self) -> int:
        return max(int(time.time()), int(self.web3.eth.get_block("latest")["timestamp"]))

    def tx_count(self, address: str) -> int:
        return int(self.web3.eth.get_transaction_count(address))  # type: ignore[arg-type]

    # ------------------------------------------------------------ the registrar's part

    def _send(self, call: Any, sender: str) -> Any:
        tx_hash = call.transact({"from": sender})
        receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, receipt
        return receipt

    def enroll(
        self,
        account: str | None = None,
        *,
        consent: int = 1,
        tier: int = 2,
        details: PersonalData | None = None,
    ) -> Member:
        account = account or self.fresh_account()
        details = details or PersonalData(
            f"Member {account[-4:]}", f"member.{account[-6:].lower()}@example.org", "", ""
        )
        salt = secrets.token_bytes(32)
        commitment = commit_person(details, salt)
        self._send(
            self.registry.functions.enroll(account, commitment.value, consent, tier),
            self.registrar,
        )
        return Member(account, details, salt, commitment)

    def credit(self, member: str, base_points: int) -> int:
        """Credit `base_points` (times the tier multiplier); returns the new balance."""
        tag = secrets.token_bytes(16)  # a fresh reward event each time
        rows = packed_credit_rows([(member, base_points, tag)])
        self._send(self.points.functions.credit(rows), self.registrar)
        return self.balance(member)

    def balance(self, member: str) -> int:
        return int(self.points.functions.balanceOf(member).call())

    def suspend(self, member: str) -> None:
        self._send(self.registry.functions.suspend(member), self.registrar)

    def erase(self, member: str) -> None:
        self._send(self.registry.functions.erase(member), self.registrar)

    def record(self, member: str) -> Any:
        return self.registry.functions.memberOf(member).call()

    def as_member(self, member: str, call: Any) -> Any:
        """A transaction the member sends themselves (Anvil holds their key)."""
        return self._send(call, member)

    # ------------------------------------------------------------ signatures

    def sign_consent(
        self,
        member: str,
        flags: int,
        *,
        nonce: int | None = None,
        deadline: int | None = None,
        policy_version: int = 1,
        chain_id: int | None = None,
        registry: str | None = None,
        signer: str | None = None,
    ) -> dict[str, Any]:
        """A consent relay request body for `member`, signed by Anvil with `signer`'s key (the
        member's unless told), for the given chain and registry (this stack's unless told)."""
        message = {
            "member": member,
            "flags": flags,
            "policyVersion": policy_version,
            "nonce": str(self.registry.functions.nonces(member).call() if nonce is None else nonce),
            "deadline": str(self.now() + 600 if deadline is None else deadline),
        }
        domain = (CONSENT_CHANGE.domain_name, chain_id, registry or self.manifest["registry"])
        return self._signed(CONSENT_CHANGE, message, domain, signer or member)

    def sign_redemption(
        self,
        member: str,
        reward_id: int,
        cost: int | None = None,
        *,
        nonce: int | None = None,
        deadline: int | None = None,
        chain_id: int | None = None,
        contract: str | None = None,
        domain_name: str | None = None,
        signer: str | None = None,
    ) -> dict[str, Any]:
        """A redemption relay request body for `member`: reward `reward_id` at `cost` (its
        catalogue cost unless told), signed by Anvil with `signer`'s key (the member's unless
        told) in the points token's domain (or `domain_name` at `contract`, to forge)."""
        if cost is None:
            cost = int(self.points.functions.rewardCost(reward_id).call())
        if nonce is None:
            nonce = int(self.points.functions.nonces(member).call())
        message = {
            "member": member,
            "rewardId": str(reward_id),
            "cost": str(cost),
            "nonce": str(nonce),
            "deadline": str(self.now() + 600 if deadline is None else deadline),
        }
        domain = (
            domain_name or REDEEM_REQUEST.domain_name,
            chain_id,
            contract or self.manifest["points"],
        )
        return self._signed(REDEEM_REQUEST, message, domain, signer or member)

    def _signed(
        self,
        kind: Eip712Type,
        message: dict[str, Any],
        domain: tuple[str, int | None, str],
        signer: str,
    ) -> dict[str, Any]:
        """`message` and the signature Anvil makes with `signer`'s key (eth_signTypedData_v4,
        as a wallet signs) in the domain (name, chain id or this chain's, contract)."""
        name, chain_id, contract = domain
        typed = kind.typed_data(message, chain_id or self.chain_id, contract)
        typed["domain"]["name"] = name
        signature = rpc(self.web3, "eth_signTypedData_v4", signer, json.dumps(typed))
        return {**message, "signature": signature}

    # ------------------------------------------------------------ the admin's part

    @property
    def admin(self) -> str:
        """The deployer (Ape's test account 0), who holds every role."""
        return str(self.web3.eth.accounts[0])

    def set_reward(self, reward_id: int, cost: int) -> None:
        self._send(self.points.functions.setReward(reward_id, cost), self.admin)

    @contextmanager
    def short_move_delay(self, seconds: int = 20) -> Iterator[None]:
        """Moves proposed in the block wait `seconds`, not the deployment's days: a test that
        travels past the delay moves this session's shared clock by that much only (a clock
        days ahead of the wall clock makes signed requests' deadlines look too far to the
        relays, whose clock is the wall clock)."""
        before = int(self.registry.functions.moveDelay().call())
        self._send(self.registry.functions.setMoveDelay(seconds), self.admin)
        try:
            yield
        finally:
            self._send(self.registry.functions.setMoveDelay(before), self.admin)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The programme paused (by the admin) for the block, unpaused after."""
        self._send(self.registry.functions.pause(), self.admin)
        try:
            yield
        finally:
            self._send(self.registry.functions.unpause(), self.admin)

    # ------------------------------------------------------------ the site

    def start_site(self, *options: str, env: dict[str, str] | None = None) -> Site:
        """`ape run relay` with `options`, its environment this stack's plus `env`."""
        port = free_port()
        log = self.workdir / f"site-{port}.log"
        if "--history-index" not in options and "--no-history" not in options:
            options = (*options, "--history-index", str(self.workdir / f"site-{port}.index.db"))
        command = [
            "ape", "run", "relay", "--network", self.anvil_url, "--port", str(port), *options,
        ]  # fmt: skip
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        site = Site(f"http://127.0.0.1:{port}", process, log)
        self._sites.append(site)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ape run relay exited:\n{log.read_text()}")
            try:
                if request(f"{site.url}/config.json").status == 200:
                    return site
            # Before the relay listens, a connection to its port (an ephemeral one) can meet
            # itself: Linux's TCP simultaneous open, when the client is given that very port
            # as its own. It then reads its own request back as the answer (BadStatusLine).
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                site.stop()
                raise RuntimeError(f"ape run relay did not start:\n{log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        for site in self._sites:
            site.stop()


def _abi(contract_type: Any) -> list[dict[str, Any]]:
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in contract_type.abi
    ]


def _start_anvil() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = local_url(port)
    return start_node(anvil_command(port, "--accounts", str(ANVIL_ACCOUNTS)), url), url


@dataclass
class _Shared:
    stack: MemberStack | None = None
    node: subprocess.Popen[bytes] | None = None
    users: int = 0


_SHARED = _Shared()


@pytest.fixture(scope="session")
def built_page() -> Path:
    """The page as `make serve` builds it (the site serves it; tests/web drives it)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to build the member page (web/build.mjs)")
    subprocess.run([node, "web/build.mjs"], cwd=ROOT, check=True, timeout=120)
    return ROOT / "web" / "dist"


@pytest.fixture(scope="session")
def member_stack(tmp_path_factory: pytest.TempPathFactory, project: Any) -> Iterator[MemberStack]:
    """One stack for the whole session, shared by tests/web and tests/site (each conftest
    imports this fixture; the stack starts once and stops after its last user)."""
    if _SHARED.stack is None:
        node, url = _start_anvil()
        workdir = tmp_path_factory.mktemp("member-stack")
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MEMBERLEDGER_")
        }
        env.update(
            MEMBERLEDGER_DEPLOYMENTS=str(workdir / "deployments"), NO_COLOR="1", COLUMNS="200"
        )
        web3 = Web3(Web3.HTTPProvider(url))
        registrar = str(list(web3.eth.accounts)[1])
        deployed = subprocess.run(
            [
                "ape",
                "run",
                "deploy",
                "--network",
                url,
                "--registrar",
                registrar,
                "--issuer",
                registrar,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if deployed.returncode != 0:
            stop_node(node)
            raise RuntimeError(f"ape run deploy failed:\n{deployed.stdout}{deployed.stderr}")
        manifest = json.loads((workdir / "deployments" / f"{web3.eth.chain_id}.json").read_text())
        stack = MemberStack(
            anvil_url=url,
            web3=web3,
            registry=web3.eth.contract(
                address=manifest["registry"], abi=_abi(project.MembershipRegistry.contract_type)
            ),
            points=web3.eth.contract(
                address=manifest["points"], abi=_abi(project.LoyaltyPoints.contract_type)
            ),
            manifest=manifest,
            env=env,
            workdir=workdir,
        )
        try:
            stack.site = stack.start_site(*RELAXED_LIMITS)
        except BaseException:
            stop_node(node)
            raise
        _SHARED.stack, _SHARED.node = stack, node
    _SHARED.users += 1
    yield _SHARED.stack
    _SHARED.users -= 1
    if _SHARED.users == 0:
        _SHARED.stack.stop()
        if _SHARED.node is not None:
            stop_node(_SHARED.node)
        _SHARED.stack = _SHARED.node = None
