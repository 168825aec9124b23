"""The whole story on a local chain, in one process: what `make demo` shows a newcomer.

Deploy, enroll generated members from a CSV file, issue rewards, run both files again to
see that nothing happens twice, let a member change their own consent and another redeem
points, erase a member, verify every commitment and print the report. Members 1 to 5 are
Ape's test accounts, so they can sign their own transactions; the others are wallets
nobody holds a key for. The vault is a fresh one under `data/demo/`.

The demo runs on an Anvil of its own, on a free port, started for it and stopped with it
(`demo_chain`): a demo beside `make node`, or beside another demo, never shares a chain or a
signing account with it. An operator who wants it on a given node names that node.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from rich.console import Console

from memberledger.bulk.enrollment import enroll_file
from memberledger.bulk.rewards import issue_rewards
from memberledger.bulk.run import RunOptions
from memberledger.chain.accounts import is_development_chain, operator_account
from memberledger.chain.deployment import DEFAULT_REWARDS, deploy, save_manifest
from memberledger.chain.local_node import running_anvil
from memberledger.cli.render import (
    deliveries_table,
    enrollment_summary,
    erasure_table,
    history_table,
    member_table,
    report_tables,
    rewards_summary,
    verification_tables,
)
from memberledger.consent import ConsentFlags
from memberledger.errors import ConfigError, VaultBusy
from memberledger.intake.enrollment_file import ENROLLMENT_COLUMNS
from memberledger.ops.erasure import erase_member
from memberledger.ops.members import member_view
from memberledger.ops.report import programme_report
from memberledger.ops.verification import verify_commitments
from memberledger.programme import Programme, open_programme
from memberledger.store.lock import exclusive_run
from memberledger.tiers import TIERS

DEMO_DIR = Path("data/demo")
#: Test accounts 1..SIGNING_MEMBERS are members who sign their own transactions.
SIGNING_MEMBERS = 5

_FIRST_NAMES = ("Ana", "Bo", "Chidi", "Dana", "Émile", "Farah", "Greta", "Hiro", "Ines", "Jonas")
_LAST_NAMES = ("Díaz", "Berg", "Okafor", "Levi", "Moreau", "Haddad", "Lind", "Sato", "Ruiz", "Kahn")


@dataclass(frozen=True)
class DemoOutcome:
    members: int
    verified: bool


@dataclass(frozen=True)
class DemoChain:
    """Where the demo runs: `choice` as Ape parses it, and whether the demo started the node
    (then it is stopped, and its chain gone, when the demo ends)."""

    choice: str
    own_node: bool


@contextmanager
def demo_chain(networks: Any, network: str | None, console: Console) -> Iterator[DemoChain]:
    """Ape connected, for the block, to the node the operator named (`network`: a URL or an
    Ape network choice), or to an Anvil of the demo's own on a free port. Says which."""
    with ExitStack() as stack:
        if network:
            where = DemoChain(network, own_node=False)
            console.print(f"Running on the node you named: {network}")
        else:
            url = stack.enter_context(running_anvil(quiet=True))
            where = DemoChain(url, own_node=True)
            console.print(
                f"Running on an Anvil of its own at {url}, started for this demo and stopped "
                "when it ends (--network URL runs the demo on another node)."
            )
        stack.enter_context(networks.parse_network_choice(where.choice))
        yield where


def run_demo(
    project: Any,
    chain: Any,
    accounts: Any,
    account_alias: str | None = None,
    *,
    members: int = 20,
    console: Console | None = None,
    folder: Path = DEMO_DIR,
    own_node: bool = True,
) -> DemoOutcome:
    """The whole story in `folder` (emptied first), on the connected chain; `own_node`: that
    chain is the demo's own and ends with it."""
    console = console or Console()
    if not is_development_chain(chain.chain_id):
        raise ConfigError(
            "the demo runs on a local development chain only: leave out --network to run it "
            "on an Anvil of its own"
        )
    if not SIGNING_MEMBERS < members <= 200:
        raise ConfigError(f"the demo needs between {SIGNING_MEMBERS + 1} and 200 members")
    try:
        with exclusive_run(folder, "a demo"):  # the lock file: FOLDER.lock, beside it
            return _story(
                project, chain, accounts, account_alias, members, console, folder, own_node
            )
    except VaultBusy as busy:
        raise VaultBusy(f"{busy}; or give this demo a folder of its own (--folder)") from None


def _story(
    project: Any,
    chain: Any,
    accounts: Any,
    account_alias: str | None,
    members: int,
    console: Console,
    folder: Path,
    own_node: bool,
) -> DemoOutcome:
    _reset(folder)

    console.rule("1. Deploy the registry and the points token")
    operator = operator_account(accounts, chain.chain_id, account_alias)
    deployment = deploy(project, chain, operator)
    save_manifest(deployment, folder / "deployments")
    console.print(
        f"registry {deployment.registry}, points {deployment.points}, "
        f"block {deployment.deploy_block}; operator {operator.address}"
    )

    signers = [accounts.test_accounts[i] for i in range(1, SIGNING_MEMBERS + 1)]
    with (
        _demo_files() as files,
        open_programme(
            project,
            chain,
            accounts,
            account_alias,
            vault_path=folder / "vault.db",
            deployments_root=folder / "deployments",
            console=console,
        ) as programme,
    ):
        members_csv, rewards_csv = files / "members.csv", files / "rewards.csv"
        wallets = _write_members(members_csv, [s.address for s in signers], members)
        _write_rewards(rewards_csv, wallets)

        console.rule(f"2. Enroll {members} members from a CSV file")
        console.print(
            "Each row is validated, its personal data canonicalised and committed to with a "
            "fresh 32-byte salt; the data goes into the encrypted vault, only the commitment "
            "on chain."
        )
        enrolled = enroll_file(programme, members_csv, RunOptions(batch_size=8))
        console.print(enrollment_summary(enrolled), deliveries_table(enrolled.deliveries))

        console.rule("3. Issue rewards")
        credited = issue_rewards(programme, rewards_csv, RunOptions(batch_size=10))
        console.print(rewards_summary(credited), deliveries_table(credited.deliveries))

        console.rule("4. Run both files again: nothing happens twice")
        console.print(enrollment_summary(enroll_file(programme, members_csv)))
        console.print(rewards_summary(issue_rewards(programme, rewards_csv)))

        _member_actions(programme, signers, console)

        console.rule(f"7. Erase member demo-{members:03d} (GDPR)")
        console.print(erasure_table(erase_member(programme, f"demo-{members:03d}")))

        console.rule("8. Verify every commitment against the chain")
        verified = verify_commitments(programme)
        console.print(*verification_tables(verified))

        console.rule("9. Report")
        console.print(*report_tables(programme_report(programme)))
    chain_fate = (
        "the chain was the demo's own Anvil and is gone with it."
        if own_node
        else "the chain keeps what the demo did."
    )
    console.print(f"[bold green]Demo done.[/] The vault is in {folder / 'vault.db'}; {chain_fate}")
    return DemoOutcome(members=members, verified=verified.ok)


def _member_actions(programme: Programme, signers: list[Any], console: Console) -> None:
    registry, points = programme.registry, programme.points
    chooser, redeemer = signers[1], signers[2]
    policy = int(registry.policyVersion())

    console.rule("5. A member changes their own consent")
    flags = ConsentFlags.MARKETING | ConsentFlags.PARTNERS
    registry.setConsent(int(flags), policy, sender=chooser)
    console.print(
        f"{chooser.address} signed setConsent themselves: marketing e-mails and sharing with "
        "partners, under the current privacy policy."
    )
    view = member_view(programme, chooser.address)
    console.print(member_table(view), history_table(view.history))

    console.rule("6. A member redeems points")
    reward_id = 1
    cost, description = DEFAULT_REWARDS[reward_id]
    before = int(points.balanceOf(redeemer))
    points.redeem(reward_id, sender=redeemer)
    console.print(
        f"{redeemer.address} redeemed a {description} for {cost} points: "
        f"{before} -> {int(points.balanceOf(redeemer))} points."
    )


def _write_members(path: Path, signing_wallets: list[str], count: int) -> list[str]:
    wallets = list(signing_wallets)
    for index in range(len(wallets), count):
        wallets.append(to_checksum_address(keccak(b"MemberLedger demo " + bytes([index]))[:20]))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(ENROLLMENT_COLUMNS)
        for index, wallet in enumerate(wallets):
            first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
            last = _LAST_NAMES[(index * 3) % len(_LAST_NAMES)]
            writer.writerow(
                [
                    f"demo-{index + 1:03d}",
                    wallet,
                    f"{first}  {last}",  # two spaces: canonicalisation collapses them
                    f"{first}.{last}.{index + 1}@Example.org",
                    f"+1 202 555 {index % 100:04d}" if index % 3 else "",
                    f"19{60 + index % 40}-0{1 + index % 9}-1{index % 10}",
                    TIERS[index % len(TIERS)],
                    "yes" if index % 2 == 0 else "no",
                    "yes" if index % 3 == 0 else "no",
                    "no",
                ]
            )
    return wallets


def _write_rewards(path: Path, wallets: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["event_id", "wallet", "points"])
        for index, wallet in enumerate(wallets):
            writer.writerow([f"signup:demo-{index + 1:03d}", wallet, 150])
            if index % 4 == 0:
                writer.writerow([f"purchase:2025-{index + 1:04d}", wallet, 75 + index])


@contextmanager
def _demo_files() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="memberledger-demo-") as folder:
        yield Path(folder)


def _reset(folder: Path) -> None:
    """A fresh vault and manifest for every demo: the demo's chain never outlives it."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
