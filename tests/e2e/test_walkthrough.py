"""The README's walk-through ("Your programme's first month") is run as written: every command
of its shell blocks, in order, on an Anvil of its own, with the files in examples/; after each
step the chain, the vault and the output are checked. Only what an operator's machine would
supply differs: the node's URL, and where the vault, its key and the manifests live."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from operator_kit import ROOT, Contracts, Operator, Run
from web3 import Web3
from web3.types import RPCEndpoint

from memberledger.chain.local_node import running_anvil
from memberledger.store.database import Database
from memberledger.store.fulfilments import Fulfilments
from memberledger.store.vault import MemberStatus

README = ROOT / "README.md"
LOCAL = "ethereum:local:foundry"
ACTIVE, SUSPENDED, ERASED, MOVED = 1, 2, 4, 5


def walkthrough_lines(readme: Path = README) -> list[str]:
    """Every line of the shell blocks between the walk-through's markers, in order."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("<!-- walkthrough:start -->", 1)[1].split("<!-- walkthrough:end -->")[0]
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        lines += [line.strip() for line in block.splitlines() if line.strip()]
    return lines


def redemption_ids(table: str) -> list[str]:
    """The ids in the first column of `redemptions list`'s table."""
    cells = [line.split("│")[1].strip() for line in table.splitlines() if line.count("│") > 2]
    return [cell for cell in cells if re.fullmatch(r"\d+-\d+", cell)]


@pytest.fixture
def walk(tmp_path: Path, project: Any) -> Iterator[Walk]:
    with running_anvil() as url:
        yield Walk(url, tmp_path, project)


class Walk:
    """An operator following the README on a fresh node, in a folder of their own."""

    def __init__(self, url: str, folder: Path, project: Any) -> None:
        self.url = url
        self.folder = folder
        self.project = project
        self.key = bytes(range(32))
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MEMBERLEDGER_")
        }
        env.update(
            MEMBERLEDGER_VAULT=str(folder / "vault.db"),
            MEMBERLEDGER_VAULT_KEY=self.key.hex(),
            MEMBERLEDGER_DEPLOYMENTS=str(folder / "deployments"),
            COLUMNS="200",
            NO_COLOR="1",
        )
        self.operator = Operator(url, env, folder, folder / "vault.db", self.key)
        self.web3 = Web3(Web3.HTTPProvider(url))
        self.outputs: list[Run] = []

    def mine(self, path: str) -> str:
        """A path of the README's `my-programme/` folder, in this walk's folder."""
        return path.replace("my-programme", str(self.folder / "my-programme"))

    def contracts(self) -> Contracts:
        manifest = json.loads((self.folder / "deployments" / "31337.json").read_text())

        def abi(container: Any) -> list[dict[str, Any]]:
            return [
                item.model_dump(mode="json", by_alias=True, exclude_none=True)
                for item in container.contract_type.abi
            ]

        return Contracts(
            self.web3,
            self.web3.eth.contract(
                address=manifest["registry"], abi=abi(self.project.MembershipRegistry)
            ),
            self.web3.eth.contract(address=manifest["points"], abi=abi(self.project.LoyaltyPoints)),
        )

    def run_line(self, line: str) -> Run | None:
        words = shlex.split(line)
        if line.startswith("#"):
            if "members redeem on the member page" in line:
                self.members_redeem()
            if "three days later" in line:
                self.time_passes()
            return None
        if words[:2] == ["cp", "-r"]:
            shutil.copytree(ROOT / words[2], self.folder / words[3])
            return None
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            self.operator.env[name] = self.mine(value)
            return None
        assert words[:2] == ["ape", "run"], f"the walk-through runs only ape run: {line}"
        assert words[-2:] == ["--network", LOCAL], f"every command names the local node: {line}"
        args = [self.mine(word) for word in words[2:-2]]
        if args[:2] == ["redemptions", "fulfil"]:
            assert args[2:] == ["ID", "ID"]
            args[2:] = redemption_ids(self.outputs[-1].stdout)
        typed = {"erase": "m-006\n", "members": "m-002\n"}.get(args[0])
        run = self.operator.run(*args, input=typed).ok()
        self.outputs.append(run)
        return run

    def time_passes(self) -> None:
        """The registry's move delay passes (three days on the node's clock)."""
        delay = int(self.contracts().registry.functions.moveDelay().call())
        self.web3.provider.make_request(RPCEndpoint("evm_increaseTime"), [delay + 1])
        self.web3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def members_redeem(self) -> None:
        """What Ana and Émile do on the member page: redeem from their own wallets."""
        points = self.contracts().points
        accounts = list(self.web3.eth.accounts)
        for account, reward in ((accounts[1], 1), (accounts[5], 4)):
            tx = points.functions.redeem(reward).transact({"from": account})
            assert self.web3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def test_readme_walkthrough_runs_as_written(walk: Walk) -> None:
    lines = walkthrough_lines()
    commands = [line for line in lines if line.startswith("ape run")]
    assert len(commands) >= 14, "the walk-through covers a month"
    checks = step_checks(walk)
    covered: set[str] = set()
    for line in lines:
        run = walk.run_line(line)
        if run is None:
            continue
        for key, check in checks.items():
            if line.startswith("ape run " + key):
                check(run)
                covered.add(key)
    assert covered == set(checks), f"steps never run: {set(checks) - covered}"


def step_checks(walk: Walk) -> dict[str, Callable[[Run], None]]:
    """What each step of the walk-through must have done, by the command it starts with."""
    accounts = list(walk.web3.eth.accounts)
    ana, bo, chidi, liam, emile, farah = accounts[1:7]
    bo_new = accounts[7]
    moves: list[str] = []
    programme_file = walk.folder / "my-programme" / "programme.toml"

    def record(wallet: str) -> list[Any]:
        return list(walk.contracts().registry.functions.memberOf(wallet).call())

    def balance(wallet: str) -> int:
        return int(walk.contracts().points.functions.balanceOf(wallet).call())

    def deployed(run: Run) -> None:
        points = walk.contracts().points
        example = tomllib.loads((ROOT / "examples" / "programme.toml").read_text())
        for reward_id, reward in example["rewards"].items():
            assert points.functions.rewardCost(int(reward_id)).call() == reward["cost"]
        assert points.functions.multiplierBps(3).call() == example["multipliers"]["platinum"]

    def enrolled(run: Run) -> None:
        assert walk.contracts().registry.functions.memberCount().call() == 6
        assert record(emile)[2] == 3 and record(emile)[3] == ACTIVE

    def letters(run: Run) -> None:
        written = sorted((walk.folder / "my-programme" / "letters").glob("letter-*.html"))
        assert [path.name for path in written] == [f"letter-m-00{i}.html" for i in range(1, 7)]
        assert "6 letters written" in run.stdout

    def credited(run: Run) -> None:
        assert balance(ana) == (150 + 240) * 12_500 // 10_000
        assert balance(emile) == (150 + 90) * 2
        total = sum(balance(wallet) for wallet in accounts[1:7])
        shown = re.search(r"after tier multipliers\)\s*│\s*([\d,]+)", run.stdout)
        assert shown is not None and int(shown[1].replace(",", "")) == total

    def applied(run: Run) -> None:
        assert record(bo)[2] == 2  # gold
        assert record(liam)[3] == SUSPENDED
        with walk.operator.vault() as vault:
            stored = vault.get("m-003")
            assert stored is not None and record(chidi)[0] == stored.commitment.value
            assert vault.member_record("m-003").shown.email == "Chidi.Okafor@NewMail.example"
        assert "new letter for m-003" in run.stdout
        letter = walk.folder / "my-programme" / "letters" / "letter-m-003.html"
        assert "Chidi.Okafor@NewMail.example" in letter.read_text(encoding="utf-8")

    def reinstated(run: Run) -> None:
        assert record(liam)[3] == ACTIVE

    def shown(run: Run) -> None:
        assert "Chidi.Okafor@NewMail.example" in run.stdout and "CommitmentRotated" in run.stdout

    def moved(run: Run) -> None:
        moves.append(run.stdout)
        if len(moves) == 1:  # proposed: nothing moved yet
            assert "proposed the move to " + bo_new in run.stdout
            assert record(bo)[3] == ACTIVE
            return
        assert record(bo)[3] == MOVED and record(bo_new)[2] == 2  # gold, on the new wallet
        assert balance(bo) == 0 and balance(bo_new) > 0
        with walk.operator.vault() as vault:
            stored = vault.get("m-002")
            assert stored is not None and stored.wallet == bo_new
        letter = walk.folder / "my-programme" / "letters" / "letter-m-002.html"
        assert bo_new in letter.read_text(encoding="utf-8")

    def published(run: Run) -> None:
        registry = walk.contracts().registry
        assert registry.functions.policyVersion().call() == 2
        text = (ROOT / "examples" / "privacy-policy-v2.md").read_bytes()
        assert registry.functions.policyHash(2).call() == hashlib.sha256(text).digest()

    def reward_added(run: Run) -> None:
        assert walk.contracts().points.functions.rewardCost(4).call() == 300
        assert tomllib.loads(programme_file.read_text())["rewards"]["4"]["name"] == "museum pass"

    def catalogue(run: Run) -> None:
        assert "museum pass" in run.stdout and "coffee voucher" in run.stdout

    def listed(run: Run) -> None:
        assert len(redemption_ids(run.stdout)) == 2
        assert "museum pass" in run.stdout and "m-005" in run.stdout

    def fulfilled(run: Run) -> None:
        database = Database(walk.folder / "vault.db")
        try:
            done = Fulfilments(database).all()
        finally:
            database.close()
        assert sorted(f.reward_id for f in done.values()) == [1, 4]
        assert run.stdout.count("handed out") == 2

    def erased(run: Run) -> None:
        assert record(farah)[3] == ERASED and balance(farah) == 0
        with walk.operator.vault() as vault:
            stored = vault.get("m-006")
            assert stored is not None and stored.status is MemberStatus.ERASED

    def verified(run: Run) -> None:
        assert "all match" in run.stdout

    def reported(run: Run) -> None:
        assert "museum pass" in run.stdout

    return {
        "deploy": deployed,
        "enroll": enrolled,
        "letters": letters,
        "issue_rewards": credited,
        "members apply": applied,
        "members reinstate": reinstated,
        "member m-003": shown,
        "members move": moved,
        "programme policy publish": published,
        "programme rewards set": reward_added,
        "programme rewards list": catalogue,
        "redemptions list": listed,
        "redemptions fulfil": fulfilled,
        "erase": erased,
        "verify": verified,
        "report": reported,
    }
