"""The courier against a real node, in-process: the states a crash leaves behind are built
directly (a transaction sent behind the journal's back, a hash the node never saw, a
transaction stuck or dropped from the mempool), then the courier settles them, exactly once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from batch_rows import enrollment_rows
from operator_kit import open_sqlite

from memberledger.bulk.courier import Courier, SendSettings
from memberledger.bulk.enrollment import EnrollmentTarget
from memberledger.bulk.rewards import CreditTarget
from memberledger.chain.signer import LocalKeySigner, UnsignedTx
from memberledger.errors import BatchFailed, JournalError
from memberledger.pii.canonical import PersonalData, canonical_bytes
from memberledger.pii.commitment import commit, new_salt
from memberledger.programme import Programme
from memberledger.store.journal import (
    BatchKind,
    BatchStatus,
    CreditEntry,
    EnrollmentEntry,
    SentTransaction,
    now_text,
)
from memberledger.store.vault import MemberRecord, MemberStatus


def courier(programme: Programme, target: Any, account: Any, **settings: Any) -> Courier:
    signer = LocalKeySigner(account.private_key)
    return Courier(
        programme.database,
        programme.journal,
        programme.node,
        signer,
        target,
        programme.errors,
        SendSettings(**settings),
    )


def enroll_in_vault(programme: Programme, member: Any, member_id: str) -> EnrollmentEntry:
    personal = PersonalData(full_name=f"member {member_id}", email=f"{member_id}@example.org")
    salt = new_salt()
    record = MemberRecord(
        member_id,
        str(member.address),
        personal,
        salt,
        commit(canonical_bytes(personal), salt),
        consent=1,
        tier=0,
    )
    programme.vault.add_member(record)
    return EnrollmentEntry(member_id, record.wallet, record.commitment, 1, 0)


def rpc(chain: Any, method: str, *params: Any) -> Any:
    return chain.provider.web3.provider.make_request(method, list(params)).get("result")


def test_settle_planned_enrollment_applied_behind_the_journals_back_sends_nothing(
    programme: Programme, registrar: Any, members: list[Any], chain: Any
) -> None:
    entries = [enroll_in_vault(programme, m, f"m{i}") for i, m in enumerate(members[:2])]
    (identity,) = programme.journal.plan(BatchKind.ENROLL, entries, 10)
    # The crash: the transaction went out, the journal never heard of it.
    sent = programme.registry.enrollBatch(
        enrollment_rows((e.wallet, e.commitment.value, e.consent, e.tier) for e in entries),
        sender=registrar,
    )
    height = chain.blocks.height

    (delivery,) = courier(programme, EnrollmentTarget(programme), registrar).deliver(
        programme.journal.open_batch_ids(BatchKind.ENROLL)
    )

    assert delivery.how == "found on chain"
    assert delivery.tx_hash == "0x" + bytes.fromhex(sent.txn_hash[2:]).hex()
    assert chain.blocks.height == height
    assert programme.journal.get(identity).status is BatchStatus.CONFIRMED  # type: ignore[union-attr]
    for entry in entries:
        stored = programme.vault.get(entry.member_id)
        assert stored is not None and stored.status is MemberStatus.ENROLLED
        assert stored.enroll_tx == delivery.tx_hash


def test_settle_credit_whose_transaction_the_node_never_saw_sends_it_once(
    programme: Programme, registrar: Any, issuer: Any, members: list[Any]
) -> None:
    member = members[2]
    programme.registry.enroll(member, b"\x01" * 20, 0, 0, sender=registrar)
    (identity,) = programme.journal.plan(
        BatchKind.CREDIT, [CreditEntry("visit-1", str(member.address), 40)], 10
    )
    # The crash: a hash recorded, then the node lost the transaction (restart, mempool drop).
    nonce = programme.node.nonce(str(issuer.address))
    lost = SentTransaction("0x" + "ee" * 32, identity, nonce, 200_000, 10**10, 10**9, now_text())
    programme.journal.record_sent(lost)

    (delivery,) = courier(programme, CreditTarget(programme, str(issuer.address)), issuer).deliver(
        [identity]
    )

    assert delivery.how == "sent again"
    assert programme.points.balanceOf(member) == 40
    assert programme.points.batchApplied(issuer, bytes.fromhex(identity[2:]))
    assert programme.journal.open_batch_ids(BatchKind.CREDIT) == []


def test_credit_the_chain_refuses_is_released_and_can_be_planned_again(
    programme: Programme, issuer: Any, pauser: Any, members: list[Any], chain: Any
) -> None:
    member = str(members[3].address)
    entry = CreditEntry("visit-2", member, 10)
    (identity,) = programme.journal.plan(BatchKind.CREDIT, [entry], 10)
    programme.registry.pause(sender=pauser)  # every credit is refused while paused
    height = chain.blocks.height

    with pytest.raises(BatchFailed, match="EnforcedPause"):
        courier(programme, CreditTarget(programme, str(issuer.address)), issuer).deliver([identity])

    assert chain.blocks.height == height  # refused by the estimate: no gas spent
    failed = programme.journal.get(identity)
    assert failed is not None and failed.status is BatchStatus.FAILED and not failed.entries
    assert programme.journal.entry_status(BatchKind.CREDIT, "visit-2") is None
    (again,) = programme.journal.plan(BatchKind.CREDIT, [entry], 10)
    assert again == identity
    assert programme.journal.get(again).status is BatchStatus.PLANNED  # type: ignore[union-attr]


def _while_not_mining(chain: Any, action: Any) -> None:
    """Run `action` in a thread with automine off; mining resumes when it returns."""
    rpc(chain, "evm_setAutomine", False)
    try:
        action()
    finally:
        rpc(chain, "evm_setAutomine", True)


def test_stuck_credit_is_replaced_with_higher_fees_and_applied_once(
    programme: Programme, registrar: Any, issuer: Any, members: list[Any], chain: Any
) -> None:
    member = members[4]
    programme.registry.enroll(member, b"\x02" * 20, 0, 0, sender=registrar)
    (identity,) = programme.journal.plan(
        BatchKind.CREDIT, [CreditEntry("stuck-1", str(member.address), 9)], 10
    )
    before = int(programme.points.balanceOf(member))

    def mine_later() -> None:
        deadline = time.monotonic() + 20
        while len(programme_journal_txs(programme, identity)) < 2:
            assert time.monotonic() < deadline, "the stuck transaction was never replaced"
            time.sleep(0.1)
        rpc(chain, "evm_mine")

    def run() -> None:
        miner = threading.Thread(target=mine_later)
        miner.start()
        courier(
            programme, CreditTarget(programme, str(issuer.address)), issuer, stuck_after=0.5
        ).deliver([identity])
        miner.join()

    _while_not_mining(chain, run)

    txs = programme_journal_txs(programme, identity)
    assert len({tx.nonce for tx in txs}) == 1 and len(txs) >= 2
    assert txs[1].max_fee >= txs[0].max_fee * 1.125
    assert txs[1].priority_fee >= txs[0].priority_fee * 1.125
    assert int(programme.points.balanceOf(member)) == before + 9
    assert programme.journal.get(identity).status is BatchStatus.CONFIRMED  # type: ignore[union-attr]


def programme_journal_txs(programme: Programme, identity: str) -> list[SentTransaction]:
    """The batch's transactions, read through a connection of this thread's own."""
    with open_sqlite(programme.vault.path) as db:
        rows = db.execute(
            "SELECT tx_hash, batch_id, nonce, gas_limit, max_fee, priority_fee, sent_at "
            "FROM journal_transactions WHERE batch_id = ? ORDER BY rowid",
            (identity,),
        ).fetchall()
    return [SentTransaction(h, b, n, g, int(m), int(p), t) for h, b, n, g, m, p, t in rows]


def test_dropped_credit_is_sent_again_and_applied_once(
    programme: Programme, registrar: Any, issuer: Any, members: list[Any], chain: Any
) -> None:
    member = members[1]
    programme.registry.enroll(member, b"\x03" * 20, 0, 0, sender=registrar)
    (identity,) = programme.journal.plan(
        BatchKind.CREDIT, [CreditEntry("dropped-1", str(member.address), 11)], 10
    )
    before = int(programme.points.balanceOf(member))
    dropped: list[str] = []

    def drop_then_mine() -> None:
        deadline = time.monotonic() + 20
        while not (txs := programme_journal_txs(programme, identity)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        while not rpc(chain, "eth_getTransactionByHash", txs[0].tx_hash):
            time.sleep(0.05)
        rpc(chain, "anvil_dropTransaction", txs[0].tx_hash)
        dropped.append(txs[0].tx_hash)
        rpc(chain, "evm_setAutomine", True)

    def run() -> None:
        dropper = threading.Thread(target=drop_then_mine)
        dropper.start()
        courier(
            programme, CreditTarget(programme, str(issuer.address)), issuer, stuck_after=60
        ).deliver([identity])
        dropper.join()

    _while_not_mining(chain, run)

    assert dropped
    assert int(programme.points.balanceOf(member)) == before + 11
    batch = programme.journal.get(identity)
    assert batch is not None and batch.status is BatchStatus.CONFIRMED


def test_a_credit_batch_another_account_sent_and_not_mined_is_left_to_that_account(
    programme: Programme,
    registrar: Any,
    issuer: Any,
    outsider: Any,
    members: list[Any],
    chain: Any,
) -> None:
    """Another operator machine (its own account) sent the batch and stopped before it was
    mined: sent again or replaced from here, both transactions could be mined, and another
    issuer's batch of the same rows would pay the rows again."""
    member = members[4]
    programme.registry.enroll(member, b"\x04" * 20, 0, 0, sender=registrar)
    (identity,) = programme.journal.plan(
        BatchKind.CREDIT, [CreditEntry("visit-9", str(member.address), 25)], 10
    )
    target = CreditTarget(programme, str(issuer.address))
    other = LocalKeySigner(outsider.private_key)  # the other machine's account
    elsewhere = other.sign(
        UnsignedTx(
            chain_id=programme.node.chain_id(),
            nonce=programme.node.nonce(other.address),
            to=target.contract,
            data=target.calldata(programme.journal.get(identity)),  # type: ignore[arg-type]
            gas_limit=300_000,
            max_fee=10**10,
            priority_fee=10**9,
        )
    )
    tx = elsewhere.tx
    programme.journal.record_sent(
        SentTransaction(
            elsewhere.tx_hash, identity, tx.nonce, tx.gas_limit, tx.max_fee, tx.priority_fee,
            now_text(),
        )
    )  # fmt: skip
    rpc(chain, "evm_setAutomine", False)
    try:
        programme.node.send_raw(elsewhere.raw)  # in the mempool, not mined
        issuer_nonce = programme.node.nonce(str(issuer.address), "pending")

        with pytest.raises(JournalError, match=f"was sent by {other.address}"):
            courier(programme, target, issuer).deliver([identity])

        assert programme.node.nonce(str(issuer.address), "pending") == issuer_nonce  # none sent
    finally:
        rpc(chain, "anvil_dropTransaction", elsewhere.tx_hash)
        rpc(chain, "evm_setAutomine", True)
    assert programme.points.balanceOf(member) == 0
