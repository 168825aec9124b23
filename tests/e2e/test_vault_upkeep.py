"""`ape run vault archive|prune|compact`: old confirmed journal rows leave the vault once they
are deep below the head, into an archive the operator keeps; the events they credited are
still never credited again; compaction gives the space back; the programme reads the same."""

from __future__ import annotations

import fcntl
import sqlite3
import stat
from pathlib import Path

import pytest
from operator_kit import (
    Operator,
    member_row,
    new_operator,
    rpc,
    table_value,
    write_members,
    write_rewards,
)
from web3 import Web3

from memberledger.store.journal import BatchKind, BatchStatus
from memberledger.store.retention import DEFAULT_DEPTH, read_archive


@pytest.fixture
def keeper(anvil_url: str, tmp_path: Path) -> Operator:
    """An operator of a programme of their own on the session's node, with four members
    enrolled and four reward events credited, two per batch."""
    operator = new_operator(anvil_url, tmp_path)
    rows = [member_row(f"keep-{i}") for i in range(4)]
    operator.run("enroll", write_members(tmp_path / "members.csv", rows), "--batch-size", "2").ok()
    rewards = [(f"keep-visit-{i}", row["wallet"], 10 + i) for i, row in enumerate(rows)]
    write_rewards(tmp_path / "rewards.csv", rewards)
    operator.run("issue_rewards", tmp_path / "rewards.csv", "--batch-size", "2").ok()
    return operator


def test_archive_waits_until_batches_are_deep_then_removes_them_for_good(
    keeper: Operator, tmp_path: Path
) -> None:
    web3 = Web3(Web3.HTTPProvider(keeper.url))
    shallow = keeper.run("vault", "archive", "--older-than", "0").ok()
    assert table_value(shallow.stdout, "confirmed batches old and deep enough") == "0"
    with keeper.journal() as journal:
        assert len(journal.batch_ids(statuses=[BatchStatus.CONFIRMED])) == 4

    rpc(web3, "anvil_mine", hex(DEFAULT_DEPTH + 1))
    folder = tmp_path / "kept-elsewhere"
    archived = keeper.run("vault", "archive", "--older-than", "0", "--to", folder).ok()

    assert table_value(archived.stdout, "batches removed") == "4"
    assert table_value(archived.stdout, "rows removed") == "8"
    (archive,) = folder.iterdir()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    header, rows = read_archive(archive)
    assert header["batches"] == 4
    entries = [str(row["entry_key"]) for table, row in rows if table == "journal_entries"]
    assert sorted(entries) == sorted(
        [f"keep-{i}" for i in range(4)] + [f"keep-visit-{i}" for i in range(4)]
    )
    with keeper.journal() as journal:
        assert journal.batch_ids() == []
        assert journal.totals(BatchKind.CREDIT).rows == 4  # counted as retired

    height = int(web3.eth.block_number)
    again = keeper.run("issue_rewards", tmp_path / "rewards.csv").ok()
    assert "nothing to do" in again.stdout
    assert table_value(again.stdout, "already credited") == "4"
    assert int(web3.eth.block_number) == height

    member = member_row("keep-0")["wallet"]
    changed = write_rewards(tmp_path / "changed.csv", [("keep-visit-0", member, 99)])
    refused = keeper.run("issue_rewards", changed)
    assert refused.returncode == 2
    assert "line 2, field 'event_id': already credited, with another wallet or points" in (
        refused.stderr
    )

    report = keeper.run("report").ok()
    assert table_value(report.stdout, "reward events credited") == "4"
    assert table_value(report.stdout, "credit batches") == "2"
    assert "all match" in keeper.run("verify").ok().stdout


def test_prune_asks_first_and_compact_reports_the_space_given_back(keeper: Operator) -> None:
    # Deep enough for the comparison of the chain's credits with the journal (256 blocks below
    # the head) to pass every batch; --confirmations 1 then asks no more.
    rpc(Web3(Web3.HTTPProvider(keeper.url)), "anvil_mine", hex(DEFAULT_DEPTH + 1))
    declined = keeper.run(
        "vault", "prune", "--older-than", "0", "--confirmations", "1", input="n\n"
    )
    assert "keeping no archive?" in declined.stdout
    assert "Nothing removed." in declined.stdout
    with keeper.journal() as journal:
        assert len(journal.batch_ids()) == 4

    pruned = keeper.run("vault", "prune", "--older-than", "0", "--confirmations", "1", "--yes").ok()
    assert table_value(pruned.stdout, "batches removed") == "4"
    assert not any(keeper.workdir.glob("journal-archive*"))

    compacted = keeper.run("vault", "compact", network=False).ok()
    before = int(table_value(compacted.stdout, "before").replace(",", ""))
    after = int(table_value(compacted.stdout, "after").replace(",", ""))
    reclaimed = int(table_value(compacted.stdout, "reclaimed").replace(",", ""))
    assert 0 < after <= before and reclaimed == before - after
    assert keeper.vault_path.stat().st_size == after
    assert "all match" in keeper.run("verify").ok().stdout


def test_compact_while_a_run_holds_the_vault_is_one_red_line(keeper: Operator) -> None:
    busy = keeper.vault_path.with_name(keeper.vault_path.name + ".lock")
    with busy.open("w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.write("enroll members.csv (pid 1, started now)")
        holder.flush()
        refused = keeper.run("vault", "compact", network=False)

    assert refused.returncode == 2
    assert "is in use by enroll members.csv" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_only_batches_the_chain_shows_now_are_removed(keeper: Operator) -> None:
    """A batch whose recorded block the chain no longer has (here: its hash altered in the
    journal, as after a reorganisation) stays; batches confirmed by the chain's state alone
    (no block hash: a node restarted without its history) go when the state shows them."""
    with keeper.journal() as journal:
        enrolls = journal.batch_ids(BatchKind.ENROLL)
        credits = journal.batch_ids(BatchKind.CREDIT)
    with sqlite3.connect(keeper.vault_path) as vault:
        vault.execute(
            "UPDATE journal_batches SET block_hash = ? WHERE batch_id = ?",
            ("0x" + "ee" * 32, credits[0]),
        )
        for identity in (credits[1], enrolls[0]):
            vault.execute(
                "UPDATE journal_batches SET block_hash = '', tx_hash = ? WHERE batch_id = ?",
                ("0x" + "dd" * 32, identity),
            )
    vault.close()
    rpc(Web3(Web3.HTTPProvider(keeper.url)), "anvil_mine", hex(DEFAULT_DEPTH + 1))

    run = keeper.run("vault", "prune", "--older-than", "0", "--yes").ok()

    assert table_value(run.stdout, "kept: the chain does not show them as") == "1"
    assert table_value(run.stdout, "batches removed") == "3"
    with keeper.journal() as journal:
        assert journal.batch_ids() == [credits[0]]
