"""What the end-to-end tests share besides fixtures: an operator who runs the real scripts,
the chain as web3 sees it, and CSV files written the way an operator's spreadsheet would."""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import RPCEndpoint, TxData

from memberledger.intake.enrollment_file import ENROLLMENT_COLUMNS
from memberledger.store.database import Database
from memberledger.store.journal import Journal
from memberledger.store.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
SCRIPT_TIMEOUT = 180


@contextmanager
def open_sqlite(path: Path | str, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    """A connection to a SQLite file (the vault, as an attacker or an inspector opens it),
    committed and CLOSED when the block ends: `with sqlite3.connect(...)` only commits, and a
    connection left open would hold back the vault's write-ahead-log checkpoints."""
    db = sqlite3.connect(path, timeout=timeout)
    try:
        with db:
            yield db
    finally:
        db.close()


def rpc(web3: Web3, method: str, *params: Any) -> Any:
    """A raw JSON-RPC call (Anvil's own methods, snapshots), its result."""
    return web3.provider.make_request(RPCEndpoint(method), list(params)).get("result")


def block_transactions(web3: Web3, number: int) -> list[TxData]:
    """The transactions of block `number`, in full."""
    return cast(list[TxData], web3.eth.get_block(number, full_transactions=True)["transactions"])


def wallet(label: str) -> str:
    """A deterministic member wallet nobody holds a key for."""
    return to_checksum_address(keccak(b"MemberLedger e2e " + label.encode())[:20])


def member_row(member_id: str, **overrides: str) -> dict[str, str]:
    row = {
        "member_id": member_id,
        "wallet": wallet(member_id),
        "full_name": f"Person  {member_id.upper()}",
        "email": f"{member_id}@Example.org",
        "phone": "+1 202 555 0143",
        "birth_date": "1980-02-29",
        "tier": "gold",
        "consent_marketing": "yes",
        "consent_analytics": "no",
        "consent_partners": "no",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, header: Sequence[str], rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_members(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    return write_csv(path, ENROLLMENT_COLUMNS, rows)


def write_rewards(path: Path, rows: Sequence[tuple[str, str, int | str]]) -> Path:
    dict_rows = [{"event_id": e, "wallet": w, "points": str(p)} for e, w, p in rows]
    return write_csv(path, ("event_id", "wallet", "points"), dict_rows)


@dataclass
class Operator:
    """Runs `ape run SCRIPT ...` the way an operator would, against the session's node."""

    url: str
    env: dict[str, str]
    workdir: Path
    vault_path: Path
    vault_key: bytes

    def run(
        self,
        script: str,
        *args: str | Path,
        env: dict[str, str] | None = None,
        input: str | None = None,
        network: bool = True,
    ) -> Run:
        """`ape run SCRIPT ARGS --network <the node>` (without `--network` for a command that
        needs no chain); `input` is typed at its prompts (none: nothing can be typed, as in a
        pipeline)."""
        command = self.command(script, *args, network=network)
        started = time.monotonic()
        completed = subprocess.run(
            command,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )
        return Run(
            command,
            completed.returncode,
            completed.stdout,
            completed.stderr,
            time.monotonic() - started,
        )

    def command(self, script: str, *args: str | Path, network: bool = True) -> list[str]:
        """`ape run SCRIPT ARGS --network <the node>` as `run` runs it (in `env`)."""
        command = ["ape", "run", script, *map(str, args)]
        return command + (["--network", self.url] if network else [])

    def vault(self, path: Path | None = None) -> Vault:
        return Vault.open(path or self.vault_path, self.vault_key)

    @contextmanager
    def journal(self) -> Iterator[Journal]:
        """The send journal in the operator's vault file, read as the scripts left it."""
        database = Database(self.vault_path)
        try:
            yield Journal(database)
        finally:
            database.close()


def copy_programme_file(workdir: Path, source: Path = ROOT / "programme.toml") -> Path:
    """The repository's programme file and the files it names, copied into `workdir`, so a
    test that changes the catalogue changes its own copy."""
    for relative in ("docs/privacy-policy.md", "docs/images/logo.svg"):
        target = workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / relative, target)
    copied = workdir / "programme.toml"
    shutil.copyfile(source, copied)
    return copied


def new_operator(url: str, workdir: Path, **settings: str) -> Operator:
    """An operator with a fresh vault, key, manifest folder and Ape data folder in `workdir`,
    who has run `ape run deploy` on the node at `url`. The session's own `MEMBERLEDGER_*`
    settings (a developer's exported key, say) never leak in; `settings` adds environment
    variables. The Ape data folder is the operator's own because Ape caches contract types by
    chain and address there: in a shared one (~/.ape), another checkout's registry deployed at
    the same address on a development chain lends this one its ABI, and Ape then finds two
    `MemberEnrolled` events and cannot read either."""
    key = secrets.token_bytes(32)
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("MEMBERLEDGER_")
    }
    env.update(
        MEMBERLEDGER_VAULT=str(workdir / "vault.db"),
        MEMBERLEDGER_VAULT_KEY=key.hex(),
        MEMBERLEDGER_DEPLOYMENTS=str(workdir / "deployments"),
        MEMBERLEDGER_PROGRAMME=str(copy_programme_file(workdir)),
        COLUMNS="200",
        NO_COLOR="1",
        APE_DATA_FOLDER=str(workdir / "ape"),
    )
    env.update(settings)
    operator = Operator(url, env, workdir, workdir / "vault.db", key)
    operator.run("deploy").ok()
    return operator


#: The passphrase of `second_machine`'s keyfile account.
SECOND_MACHINE_PASSPHRASE = "second machine"


def second_machine(first: Operator, workdir: Path) -> tuple[Operator, str]:
    """Another operator machine of `first`'s programme (in PostgreSQL): the same database,
    vault key and manifest, its own folder, Ape data folder and keyfile account (funded on
    the node; grant it the roles it needs). The operator and its account's address."""
    data_folder = workdir / "ape"
    (data_folder / "accounts").mkdir(parents=True)
    key = Account.create()
    (data_folder / "accounts" / "second.json").write_text(
        json.dumps(Account.encrypt(key.key, SECOND_MACHINE_PASSPHRASE))
    )
    rpc(Web3(Web3.HTTPProvider(first.url)), "anvil_setBalance", key.address, hex(10**20))
    shutil.copytree(first.workdir / "deployments", workdir / "deployments")
    env = {
        **first.env,
        "MEMBERLEDGER_VAULT": str(workdir / "vault.db"),
        "MEMBERLEDGER_DEPLOYMENTS": str(workdir / "deployments"),
        "MEMBERLEDGER_ACCOUNT": "second",
        "MEMBERLEDGER_ACCOUNT_PASSPHRASE": SECOND_MACHINE_PASSPHRASE,
        "APE_DATA_FOLDER": str(data_folder),
    }
    second = Operator(first.url, env, workdir, workdir / "vault.db", first.vault_key)
    return second, str(key.address)


@dataclass
class Run:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def ok(self) -> Run:
        assert self.returncode == 0, f"{' '.join(self.command)} failed:\n{self.output}"
        return self


@dataclass
class Contracts:
    """The deployed contracts, read (and, for tests that tamper, written) through web3."""

    web3: Web3
    registry: Any
    points: Any

    def height(self) -> int:
        return int(self.web3.eth.block_number)

    def logs(self, contract: Any, event: str, **filters: Any) -> list[Any]:
        found: list[Any] = getattr(contract.events, event).get_logs(
            from_block=0, argument_filters=filters or None
        )
        return found

    def snapshot(self) -> str:
        return str(rpc(self.web3, "evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        rpc(self.web3, "evm_revert", snapshot)


#: The members every test may read; each test that changes a member picks its own.
BASE_MEMBERS = [
    member_row(f"base-{i}", tier=["basic", "silver", "gold", "platinum"][i % 4]) for i in range(8)
]


def enroll_new(
    operator: Operator, prefix: str, count: int = 1, **overrides: str
) -> list[dict[str, str]]:
    """Enroll `count` new members of a test's own (`<prefix>-0`, ...) with `ape run enroll`:
    the rows as written."""
    rows = [member_row(f"{prefix}-{i}", **overrides) for i in range(count)]
    operator.run("enroll", write_members(operator.workdir / f"{prefix}.csv", rows)).ok()
    return rows


def one_red_line(run: Run) -> str:
    """The error line of a refused command, after checking that it is the only thing said on
    stderr (warnings aside) and that the exit code is 2."""
    assert run.returncode == 2, f"expected exit code 2:\n{run.output}"
    lines = [
        line
        for line in run.stderr.splitlines()
        if line.strip() and not line.startswith(("warning:", "WARNING:", "INFO:"))
    ]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert "Traceback" not in run.output
    return lines[0]


def table_value(text: str, label: str) -> str:
    """The last cell of the first table row (in a script's output) whose text has `label`."""
    for line in text.splitlines():
        if label in line and "│" in line:
            return line.strip().strip("│").split("│")[-1].strip()
    raise AssertionError(f"no table row with {label!r} in:\n{text}")
