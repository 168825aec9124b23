"""`ape run verify`: commitments recomputed from the vault and compared with the chain."""

from __future__ import annotations

from operator_kit import BASE_MEMBERS, Contracts, Operator, Run, open_sqlite, table_value


def test_verify_clean_vault_exits_zero(operator: Operator, enrolled: Run) -> None:
    run = operator.run("verify").ok()

    assert table_value(run.stdout, "mismatches") == "0"
    assert "all match" in run.stdout


def test_verify_detects_tampered_rows_and_rotated_commitment(
    operator: Operator, enrolled: Run, contracts: Contracts
) -> None:
    copy = operator.workdir / "tampered.db"
    with open_sqlite(operator.vault_path) as live, open_sqlite(copy) as tampered:
        live.backup(tampered)
        tampered.execute(
            "UPDATE members SET commitment = ? WHERE member_id = 'base-1'", ("0x" + "ab" * 20,)
        )
        (sealed,) = tampered.execute(
            "SELECT sealed FROM members WHERE member_id = 'base-2'"
        ).fetchone()
        flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
        tampered.execute("UPDATE members SET sealed = ? WHERE member_id = 'base-2'", (flipped,))
    snapshot = contracts.snapshot()
    try:
        admin = contracts.web3.eth.accounts[0]
        contracts.registry.functions.rotateCommitment(
            BASE_MEMBERS[3]["wallet"], b"\x42" * 20
        ).transact({"from": admin})
        run = operator.run("verify", env={"MEMBERLEDGER_VAULT": str(copy)})
    finally:
        contracts.revert(snapshot)

    assert run.returncode == 1
    assert table_value(run.stdout, "mismatches") == "3"
    lines = {
        line.split("│")[1].strip(): line for line in run.stdout.splitlines() if "base-" in line
    }
    assert "vault row was altered" in lines["base-1"]
    assert "does not open" in lines["base-2"]
    assert "0x4242424242" in lines["base-3"]
