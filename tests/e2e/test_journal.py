"""The send journal against a real node, in-process: the states a crash leaves behind are
built directly (a transaction sent behind the journal's back, a hash the node never saw),
then the courier settles them, exactly once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from memberledger.commitment import commit, new_salt
from memberledger.deployment import Deployment
from memberledger.enrollment import EnrollmentTarget
from memberledger.errors import BatchFailed, JournalError
from memberledger.journal import (
    BatchCourier,
    BatchKind,
    BatchStatus,
    CreditEntry,
    EnrollmentEntry,
    Journal,
    batch_id,
)
from memberledger.pii import PersonalData, canonical_bytes
from memberledger.programme import Programme
from memberledger.rewards import CreditTarget
from memberledger.vault import MemberRecord, MemberStatus, Vault


@pytest.fixture
def programme(
    tmp_path: Path, chain: Any, accounts: Any, registry: Any, points: Any
) -> Iterator[Programme]:
    vault = Vault.open(tmp_path / "vault.db", secrets.token_bytes(32))
    deployment = Deployment(
        chain_id=chain.chain_id,
        registry=str(registry.address),
        points=str(points.address),
        deploy_block=0,
        deployer=str(accounts[0].address),
        policy_version=1,
        policy_hash="0x" + "11" * 32,
    )
    yield Programme(
        chain, accounts, deployment, registry, points, vault, Journal(vault), console=Console()
    )
    vault.close()


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


def test_batch_id_depends_on_kind_and_rows_not_their_order() -> None:
    assert batch_id(BatchKind.CREDIT, ["b", "a"]) == batch_id(BatchKind.CREDIT, ["a", "b"])
    assert batch_id(BatchKind.CREDIT, ["a", "b"]) != batch_id(BatchKind.ENROLL, ["a", "b"])
    assert batch_id(BatchKind.CREDIT, ["a", "b"]) != batch_id(BatchKind.CREDIT, ["a"])


def test_plan_refuses_a_row_already_in_a_live_batch(
    programme: Programme, members: list[Any]
) -> None:
    entry = CreditEntry("event-1", str(members[0].address), 5)
    programme.journal.plan(BatchKind.CREDIT, [entry], 10)

    with pytest.raises(JournalError, match="already in batch"):
        programme.journal.plan(BatchKind.CREDIT, [entry], 10)


def test_settle_planned_enrollment_applied_behind_the_journals_back_sends_nothing(
    programme: Programme, registrar: Any, members: list[Any], chain: Any
) -> None:
    entries = [enroll_in_vault(programme, m, f"m{i}") for i, m in enumerate(members[:2])]
    (batch,) = programme.journal.plan(BatchKind.ENROLL, entries, 10)
    # The crash: the transaction went out, the journal never heard of it.
    sent = programme.registry.enrollBatch(
        [(e.wallet, e.commitment.value, e.consent, e.tier) for e in entries], sender=registrar
    )
    height = chain.blocks.height
    courier = BatchCourier(
        programme.journal, programme.vault, EnrollmentTarget(programme), programme.chain
    )

    (delivery,) = courier.deliver(programme.journal.open_batches(BatchKind.ENROLL), registrar)

    assert delivery.how == "found on chain"
    assert delivery.tx_hash == "0x" + bytes.fromhex(sent.txn_hash[2:]).hex()
    assert chain.blocks.height == height
    assert programme.journal.get(batch.batch_id).status is BatchStatus.CONFIRMED  # type: ignore[union-attr]
    for entry in entries:
        stored = programme.vault.get(entry.member_id)
        assert stored is not None and stored.status is MemberStatus.ENROLLED
        assert stored.enroll_tx == delivery.tx_hash


def test_settle_credit_whose_transaction_the_node_never_saw_sends_it_once(
    programme: Programme, registrar: Any, issuer: Any, members: list[Any]
) -> None:
    member = members[2]
    programme.registry.enroll(member, b"\x01" * 20, 0, 0, sender=registrar)
    (batch,) = programme.journal.plan(
        BatchKind.CREDIT, [CreditEntry("visit-1", str(member.address), 40)], 10
    )
    # The crash: a hash recorded, then the node lost the transaction (restart, mempool drop).
    programme.journal.record_sent(batch.batch_id, "0x" + "ee" * 32)
    courier = BatchCourier(
        programme.journal, programme.vault, CreditTarget(programme), programme.chain
    )

    (delivery,) = courier.deliver(programme.journal.open_batches(BatchKind.CREDIT), issuer)

    assert delivery.how == "sent"
    assert programme.points.balanceOf(member) == 40
    assert programme.points.batchApplied(batch.id_bytes)
    assert programme.journal.open_batches(BatchKind.CREDIT) == []


def test_credit_the_chain_refuses_is_released_and_can_be_planned_again(
    programme: Programme, issuer: Any, members: list[Any]
) -> None:
    stranger = str(members[3].address)  # not a member: the contract refuses the credit
    entry = CreditEntry("visit-2", stranger, 10)
    (batch,) = programme.journal.plan(BatchKind.CREDIT, [entry], 10)
    courier = BatchCourier(
        programme.journal, programme.vault, CreditTarget(programme), programme.chain
    )

    with pytest.raises(BatchFailed, match="NotActiveMember"):
        courier.deliver([batch], issuer)

    failed = programme.journal.get(batch.batch_id)
    assert failed is not None and failed.status is BatchStatus.FAILED and not failed.entries
    assert "visit-2" not in programme.journal.entries(BatchKind.CREDIT)
    (again,) = programme.journal.plan(BatchKind.CREDIT, [entry], 10)
    assert again.batch_id == batch.batch_id and again.status is BatchStatus.PLANNED
