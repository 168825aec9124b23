"""`ape run enroll FILE.csv`, as an operator runs it, checked against the chain and the vault."""

from __future__ import annotations

import csv

from eth_typing import HexStr
from operator_kit import (
    BASE_MEMBERS,
    Contracts,
    Operator,
    Run,
    member_row,
    open_sqlite,
    table_value,
    wallet,
    write_members,
)

from memberledger.chain import calldata
from memberledger.pii.canonical import canonical_bytes
from memberledger.pii.commitment import commit
from memberledger.store.journal import BatchKind, batch_id
from memberledger.store.vault import MemberStatus


def test_enroll_happy_path_puts_commitments_on_chain_and_data_in_vault(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    assert table_value(enrolled.stdout, "enrolled now (new in this file)") == "8"

    with operator.vault() as vault:
        for row in BASE_MEMBERS:
            stored = vault.get(row["member_id"])
            assert stored is not None and stored.status is MemberStatus.ENROLLED
            assert stored.enroll_tx and stored.enroll_block
            personal, salt = vault.personal_data(row["member_id"])
            assert personal.full_name == row["full_name"].lower().replace("  ", " ")
            assert commit(canonical_bytes(personal), salt) == stored.commitment
            record = contracts.registry.functions.memberOf(row["wallet"]).call()
            assert record[0] == stored.commitment.value  # commitment
            assert record[3] == 1  # Status.Active
    # Three batches of at most three: one MemberEnrolled per member, nothing more.
    logs = contracts.logs(contracts.registry, "MemberEnrolled")
    base_wallets = {row["wallet"] for row in BASE_MEMBERS}
    assert sorted(log.args.member for log in logs if log.args.member in base_wallets) == sorted(
        base_wallets
    )
    assert len({log.transactionHash for log in logs if log.args.member in base_wallets}) == 3


def test_enroll_same_file_again_reports_nothing_to_do(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    height = contracts.height()

    run = operator.run("enroll", operator.workdir / "base.csv").ok()

    assert "nothing to do" in run.stdout
    assert table_value(run.stdout, "already enrolled") == "8"
    assert table_value(run.stdout, "enrolled now") == "0"
    assert contracts.height() == height  # not a single transaction


def test_enroll_after_crash_between_send_and_receipt_enrolls_nobody_twice(
    operator: Operator, contracts: Contracts
) -> None:
    rows = [member_row(f"crash-{i}") for i in range(3)]
    path = write_members(operator.workdir / "crash.csv", rows)
    operator.run("enroll", path).ok()
    # Put the vault back where a crash after broadcasting, before the receipt was recorded,
    # leaves it: the batch 'sent' with its tx hash, its members pending.
    with open_sqlite(operator.vault_path) as db:
        ids = [row["member_id"] for row in rows]
        marks = ", ".join("?" * len(ids))
        (batch_id, tx_hash) = db.execute(
            "SELECT DISTINCT batch_id, b.tx_hash FROM journal_entries JOIN journal_batches b "
            f"USING (batch_id) WHERE entry_key IN ({marks})",
            ids,
        ).fetchone()
        db.execute(
            "UPDATE journal_batches SET status = 'sent', block = NULL, gas_used = NULL "
            "WHERE batch_id = ?",
            (batch_id,),
        )
        db.execute(
            "UPDATE members SET status = 'pending', enroll_tx = NULL, enroll_block = NULL "
            f"WHERE member_id IN ({marks})",
            ids,
        )
    height = contracts.height()

    run = operator.run("enroll", path).ok()

    assert table_value(run.stdout, "left over by an earlier run") == "3"
    assert "waited for" in run.stdout or "found on chain" in run.stdout
    assert contracts.height() == height
    with operator.vault() as vault:
        for member_id in ids:
            stored = vault.get(member_id)
            assert stored is not None and stored.status is MemberStatus.ENROLLED
            assert stored.enroll_tx == tx_hash
    for row in rows:
        assert len(contracts.logs(contracts.registry, "MemberEnrolled", member=row["wallet"])) == 1


def test_enroll_bad_file_reports_each_line_and_field_and_sends_nothing(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    rows = [
        member_row("bad-1"),
        member_row("bad-2", email="not-an-email"),
        member_row("bad-3", wallet=wallet("bad-1")),
        member_row("bad-4", wallet=BASE_MEMBERS[0]["wallet"]),
        member_row("bad-5", tier="diamond", birth_date="2001-02-30"),
    ]
    path = write_members(operator.workdir / "bad.csv", rows)
    height = contracts.height()
    with operator.vault() as vault:
        before = vault.count_by_status()

    run = operator.run("enroll", path)

    assert run.returncode == 2
    assert "line 3, field 'email'" in run.stderr
    assert "line 4, field 'wallet': duplicate of line 2" in run.stderr
    assert "line 5, field 'wallet': already belongs to member 'base-0'" in run.stderr
    assert "line 6, field 'birth_date'" in run.stderr
    assert "line 6, field 'tier'" in run.stderr
    assert "nothing was stored or sent" in run.stderr
    assert "Traceback" not in run.output
    assert contracts.height() == height
    with operator.vault() as vault:
        assert vault.count_by_status() == before
        assert vault.get("bad-1") is None


def test_enroll_refuses_wallets_the_chain_holds_wherever_they_are_in_a_long_file(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    # The chain is asked about the wallets while the file is read, several thousand per
    # call: the three wallets sit in the first call, a middle one and the last, partial one.
    rows = [member_row(f"long-{i}") for i in range(9_000)]
    outsider, middle, erased = rows[0]["wallet"], rows[4_598]["wallet"], rows[-1]["wallet"]
    path = write_members(operator.workdir / "long.csv", rows)
    snapshot = contracts.snapshot()
    try:
        admin = contracts.web3.eth.accounts[0]
        for member in (outsider, middle, erased):
            contracts.registry.functions.enroll(member, b"\x01" * 20, 0, 0).transact(
                {"from": admin}
            )
        contracts.registry.functions.erase(erased).transact({"from": admin})
        height = contracts.height()
        with operator.vault() as vault:
            before = vault.count_by_status()

        run = operator.run("enroll", path)

        assert contracts.height() == height
        with operator.vault() as vault:
            assert vault.count_by_status() == before
    finally:
        contracts.revert(snapshot)
    assert run.returncode == 2
    unknown = "already has an on-chain membership (active) the vault does not know"
    assert f"line 2, field 'wallet': {unknown}" in run.stderr
    assert f"line 4600, field 'wallet': {unknown}" in run.stderr
    assert "line 9001, field 'wallet': was erased on-chain" in run.stderr
    assert "3 problems (listed above)" in run.stderr


def test_enroll_skip_invalid_enrolls_good_rows_and_writes_rejects(
    operator: Operator, contracts: Contracts
) -> None:
    rows = [
        member_row("skip-1"),
        member_row("skip-2", phone="12345"),
        member_row("skip-3", consent_partners="maybe"),
        member_row("skip-4"),
    ]
    path = write_members(operator.workdir / "skip.csv", rows)
    rejects = operator.workdir / "skip-rejects.csv"

    run = operator.run(
        "enroll", path, "--skip-invalid", "--rejects", rejects, "--batch-size", "2"
    ).ok()

    assert table_value(run.stdout, "enrolled now (new in this file)") == "2"
    with rejects.open(encoding="utf-8", newline="") as file:
        rejected = list(csv.DictReader(file))
    assert [(r["line"], r["field"]) for r in rejected] == [
        ("3", "phone"),
        ("4", "consent_partners"),
    ]
    with operator.vault() as vault:
        assert vault.get("skip-2") is None and vault.get("skip-3") is None
        for member_id in ("skip-1", "skip-4"):
            stored = vault.get(member_id)
            assert stored is not None and stored.status is MemberStatus.ENROLLED
    assert contracts.registry.functions.memberOf(wallet("skip-2")).call()[3] == 0
    assert contracts.registry.functions.memberOf(wallet("skip-4")).call()[3] == 1
    # The journal's rows are copied from the staged file, across the rejected lines between
    # the batch's two members: read back, they give the very calldata that was sent.
    with operator.journal() as journal:
        (batch,) = [
            b
            for b in journal.batches(BatchKind.ENROLL)
            if b.enrollments[0].member_id.startswith("skip-")
        ]
    assert [e.member_id for e in batch.enrollments] == ["skip-1", "skip-4"]
    assert batch.batch_id == batch_id(BatchKind.ENROLL, ["skip-1", "skip-4"])
    assert batch.tx_hash is not None
    sent = contracts.web3.eth.get_transaction(HexStr(batch.tx_hash))["input"]
    assert bytes(sent) == calldata.enroll_batch(
        [
            calldata.Enrollment(e.wallet, e.commitment.value, e.consent, e.tier)
            for e in batch.enrollments
        ]
    )


def test_enroll_dry_run_shows_batches_gas_and_cost_and_sends_nothing(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    rows = [member_row(f"dry-{i}") for i in range(7)]
    path = write_members(operator.workdir / "dry.csv", rows)
    height = contracts.height()
    with operator.vault() as vault:
        before = vault.count_by_status()

    run = operator.run("enroll", path, "--dry-run", "--batch-size", "3").ok()

    assert "Dry run: nothing was sent" in run.stdout
    assert table_value(run.stdout, "would be enrolled (new in this file)") == "7"
    assert table_value(run.stdout, "batches (transactions)") == "3"
    assert int(table_value(run.stdout, "gas").replace(",", "")) > 7 * 20_000
    assert "ETH" in table_value(run.stdout, "cost at that fee")
    assert contracts.height() == height
    with operator.vault() as vault:
        assert vault.count_by_status() == before


def test_enroll_takes_the_benchmarks_in_flight_and_refuses_more_than_the_cap(
    operator: Operator, contracts: Contracts
) -> None:
    rows = [member_row(f"flight-{i}") for i in range(6)]
    path = write_members(operator.workdir / "flight.csv", rows)

    too_many = operator.run("enroll", path, "--in-flight", "1025")
    assert too_many.returncode == 2
    assert "1<=x<=1024" in too_many.stderr
    assert contracts.registry.functions.memberOf(rows[0]["wallet"]).call()[3] == 0  # None

    run = operator.run("enroll", path, "--batch-size", "1", "--in-flight", "128").ok()
    assert table_value(run.stdout, "enrolled now (new in this file)") == "6"
    assert all(contracts.registry.functions.memberOf(row["wallet"]).call()[3] == 1 for row in rows)
