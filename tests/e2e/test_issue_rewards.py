"""`ape run issue_rewards FILE.csv`: every reward event credited exactly once, ever."""

from __future__ import annotations

from eth_typing import HexStr
from operator_kit import (
    BASE_MEMBERS,
    Contracts,
    Operator,
    Run,
    open_sqlite,
    table_value,
    wallet,
    write_rewards,
)

from memberledger.chain import calldata
from memberledger.identifiers import credit_batch_id, event_tag, packed_credit_rows
from memberledger.store.journal import BatchKind


def balance(contracts: Contracts, member: str) -> int:
    return int(contracts.points.functions.balanceOf(member).call())


def test_issue_rewards_twice_credits_each_event_once(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    basic, silver = BASE_MEMBERS[0]["wallet"], BASE_MEMBERS[1]["wallet"]  # 1.00x and 1.25x
    path = write_rewards(
        operator.workdir / "orders.csv",
        [("order:1001", basic, 100), ("order:1002", silver, 40), ("order:1003", basic, 7)],
    )
    before = {member: balance(contracts, member) for member in (basic, silver)}

    first = operator.run("issue_rewards", path, "--batch-size", "2").ok()
    height = contracts.height()
    second = operator.run("issue_rewards", path).ok()

    assert table_value(first.stdout, "credited now (new in this file)") == "3"
    assert table_value(first.stdout, "points credited (after tier multipliers)") == "157"
    assert "nothing to do" in second.stdout
    assert table_value(second.stdout, "already credited") == "3"
    assert contracts.height() == height  # the second run sent nothing
    assert balance(contracts, basic) == before[basic] + 107
    assert balance(contracts, silver) == before[silver] + 50
    credited = contracts.logs(contracts.points, "BatchCredited")
    assert sum(log.args.count for log in credited) >= 3
    assert len({log.args.contentHash for log in credited}) == len(credited)
    # The journal's rows (copied from the staged file) give back the very calldata sent.
    with operator.journal() as journal:
        batches = [
            b
            for b in journal.batches(BatchKind.CREDIT)
            if b.credits[0].event_id.startswith("order:100")
        ]
    assert [[c.event_id for c in b.credits] for b in batches] == [
        ["order:1001", "order:1002"],
        ["order:1003"],
    ]
    for batch in batches:
        assert batch.tx_hash is not None
        sent = contracts.web3.eth.get_transaction(HexStr(batch.tx_hash))["input"]
        rows = [c.row for c in batch.credits]
        assert bytes(sent) == calldata.credit(packed_credit_rows(rows))
        # The batch's id is its identity on chain: keccak256 of the packed rows.
        assert batch.batch_id == credit_batch_id(rows)
        assert [row.tag for row in calldata.decode_credit(bytes(sent)) or []] == [
            event_tag(c.event_id) for c in batch.credits
        ]


def test_issue_rewards_after_crash_before_recording_the_tx_credits_nobody_twice(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    member = BASE_MEMBERS[2]["wallet"]  # gold, 1.50x
    path = write_rewards(operator.workdir / "crash-rewards.csv", [("visit:77", member, 10)])
    operator.run("issue_rewards", path).ok()
    after_first = balance(contracts, member)
    # A crash right after broadcasting, before the tx hash reached the journal, leaves the
    # batch planned: only the chain knows it was applied.
    with open_sqlite(operator.vault_path) as db:
        db.execute(
            "UPDATE journal_batches SET status = 'planned', tx_hash = NULL, block = NULL, "
            "gas_used = NULL WHERE batch_id = (SELECT batch_id FROM journal_entries "
            "WHERE kind = 'credit' AND entry_key = 'visit:77')"
        )
    height = contracts.height()

    run = operator.run("issue_rewards", path).ok()

    assert "found on chain" in run.stdout
    assert table_value(run.stdout, "left over by an earlier run") == "1"
    assert contracts.height() == height
    assert balance(contracts, member) == after_first
    with open_sqlite(operator.vault_path) as db:
        (status,) = db.execute(
            "SELECT b.status FROM journal_batches b JOIN journal_entries e USING (batch_id) "
            "WHERE e.entry_key = 'visit:77'"
        ).fetchone()
    assert status == "confirmed"


def test_issue_rewards_bad_rows_are_reported_and_nothing_is_credited(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    suspended = BASE_MEMBERS[6]["wallet"]
    path = write_rewards(
        operator.workdir / "bad-rewards.csv",
        [
            ("bad:1", BASE_MEMBERS[3]["wallet"], 10),
            ("bad:2", wallet("nobody"), 10),
            ("bad:3", BASE_MEMBERS[3]["wallet"], "1.5"),
            ("bad:4", BASE_MEMBERS[3]["wallet"], 0),
            ("bad:1", BASE_MEMBERS[4]["wallet"], 5),
            ("bad:6", suspended, 5),
        ],
    )
    snapshot = contracts.snapshot()
    try:
        admin = contracts.web3.eth.accounts[0]
        contracts.registry.functions.suspend(suspended).transact({"from": admin})
        height = contracts.height()
        run = operator.run("issue_rewards", path)
        assert contracts.height() == height
    finally:
        contracts.revert(snapshot)

    assert run.returncode == 2
    assert "line 3, field 'wallet': not a member" in run.stderr
    assert "line 4, field 'points'" in run.stderr
    assert "line 5, field 'points'" in run.stderr
    assert "line 6, field 'event_id': duplicate of line 2" in run.stderr
    assert "line 7, field 'wallet': not an active member (suspended)" in run.stderr
    assert "line 2," not in run.stderr


def test_issue_rewards_dry_run_sends_nothing(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    member = BASE_MEMBERS[5]["wallet"]
    path = write_rewards(operator.workdir / "dry-rewards.csv", [("dry:1", member, 12)])
    height, before = contracts.height(), balance(contracts, member)

    run = operator.run("issue_rewards", path, "--dry-run").ok()

    assert "Dry run: nothing was sent" in run.stdout
    assert table_value(run.stdout, "batches (transactions)") == "1"
    assert contracts.height() == height
    assert balance(contracts, member) == before
    with open_sqlite(operator.vault_path) as db:
        query = "SELECT 1 FROM journal_entries WHERE entry_key = 'dry:1'"
        assert db.execute(query).fetchall() == []
