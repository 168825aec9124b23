"""Two operator machines, one programme in PostgreSQL: each runs the real scripts as its own
process with its own signing account; they enroll different files at the same time (without
waiting for each other), the same file at the same time, credit the same reward file at the
same time, and enroll while the other credits. The chain shows every member enrolled once and
every reward event credited once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from operator_kit import (
    Contracts,
    Operator,
    Run,
    member_row,
    new_operator,
    second_machine,
    table_value,
    write_members,
    write_rewards,
)
from pg_kit import PostgresServer
from web3 import Web3

#: Members per enrollment file: two batches of each machine's run.
MEMBERS_PER_FILE = 8


def _contracts(operator: Operator, project: Any) -> Contracts:
    manifest = json.loads((operator.workdir / "deployments" / "31337.json").read_text())
    web3 = Web3(Web3.HTTPProvider(operator.url))

    def abi(contract_type: Any) -> list[dict[str, Any]]:
        return [
            item.model_dump(mode="json", by_alias=True, exclude_none=True)
            for item in contract_type.abi
        ]

    return Contracts(
        web3=web3,
        registry=web3.eth.contract(
            address=manifest["registry"], abi=abi(project.MembershipRegistry.contract_type)
        ),
        points=web3.eth.contract(
            address=manifest["points"], abi=abi(project.LoyaltyPoints.contract_type)
        ),
    )


def _together(*runs: tuple[Operator, tuple[str | Path, ...]]) -> list[Run]:
    """The scripts run at the same time, each its own process; their results in order."""
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = [pool.submit(op.run, str(args[0]), *args[1:]) for op, args in runs]
        return [future.result() for future in futures]


def test_two_machines_enroll_and_credit_together_each_member_and_event_once(
    anvil_url: str, postgres_server: PostgresServer, project: Any, tmp_path: Path
) -> None:
    database_url = postgres_server.new_database("two_operators")
    first = new_operator(anvil_url, tmp_path / "a", MEMBERLEDGER_DATABASE_URL=database_url)
    (tmp_path / "b").mkdir()
    second, second_address = second_machine(first, tmp_path / "b")
    for role in ("registrar", "issuer"):
        first.run("roles", "grant", role, second_address, "--yes").ok()
    contracts = _contracts(first, project)
    files = {
        name: write_members(
            tmp_path / f"{name}.csv",
            [member_row(f"{name}-{i}", tier="basic") for i in range(MEMBERS_PER_FILE)],
        )
        for name in ("north", "south", "east", "west")
    }
    wallets = {
        name: [member_row(f"{name}-{i}")["wallet"] for i in range(MEMBERS_PER_FILE)]
        for name in files
    }

    enrolled = _together(
        (first, ("enroll", files["north"], "--batch-size", "4")),
        (second, ("enroll", files["south"], "--batch-size", "4")),
    )
    for run in enrolled:
        run.ok()
        # Different accounts: neither run waited for the other's (only, perhaps, for its
        # storing, a moment): both machines sent at the same time.
        assert "is running a bulk run" not in run.output
    same_members = _together(
        (first, ("enroll", files["west"], "--batch-size", "4")),
        (second, ("enroll", files["west"], "--batch-size", "4")),
    )
    for run in same_members:
        run.ok()
    # One machine enrolled the file; the other found every member already enrolled.
    assert sorted(int(table_value(run.stdout, "enrolled now")) for run in same_members) == [
        0,
        MEMBERS_PER_FILE,
    ]

    shared = [
        (f"order:{name}-{i}", wallet, 10 + i)
        for name in ("north", "south")
        for i, wallet in enumerate(wallets[name])
    ]
    same_file = write_rewards(tmp_path / "orders.csv", shared)
    credited = _together(
        (first, ("issue_rewards", same_file, "--batch-size", "4")),
        (second, ("issue_rewards", same_file, "--batch-size", "4")),
    )
    for run in credited:
        run.ok()
    # Between them the two runs credited the file once: what one sent, the other found done.
    assert sum(int(table_value(run.stdout, "credited now")) for run in credited) == len(shared)

    bonus = write_rewards(tmp_path / "bonus.csv", [(f"bonus:{w}", w, 5) for w in wallets["north"]])
    mixed = _together(
        (first, ("enroll", files["east"], "--batch-size", "4")),
        (second, ("issue_rewards", bonus, "--batch-size", "4")),
    )
    for run in mixed:
        run.ok()

    registry, points = contracts.registry, contracts.points
    everyone = [w for name in files for w in wallets[name]]
    assert int(registry.functions.memberCount().call()) == len(everyone)
    enrollments = contracts.logs(registry, "MemberEnrolled")
    assert sorted(str(log.args.member).lower() for log in enrollments) == sorted(
        w.lower() for w in everyone
    )
    expected = {w: 0 for w in everyone}
    for _, wallet, points_given in shared:
        expected[wallet] += points_given
    for wallet in wallets["north"]:
        expected[wallet] += 5
    assert {w: int(points.functions.balanceOf(w).call()) for w in everyone} == expected
    batches = contracts.logs(points, "BatchCredited")
    assert sum(int(log.args.count) for log in batches) == len(shared) + len(wallets["north"])
    senders = {
        str(contracts.web3.eth.get_transaction(log.transactionHash)["from"]).lower()
        for log in enrollments
    }
    assert len(senders) == 2  # both machines sent enrollments with their own accounts
