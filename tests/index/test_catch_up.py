"""Catching up: every event of both contracts folded into the records the contracts hold,
read once, stored consistently at any moment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from index_kit import (
    Life,
    OpenIndex,
    audit_of,
    index_sql,
    live_a_month,
    rebuilt_rows,
    table_rows,
)

from memberledger.chain.logs import RECEIPTS_PER_PIECE, LogRange, LogReader
from memberledger.chain.rpc import NodeClient
from memberledger.index.members import ACTIVE, ERASED, REVOKED


def test_catch_up_folds_every_event_into_what_the_contracts_hold(
    open_index: OpenIndex, life: Life, node: NodeClient
) -> None:
    live_a_month(life, "fold")
    index = open_index()

    done = index.catch_up()

    assert done.events > 30 and done.read_block == node.block_number()
    result = audit_of(index, node, life.registry, life.points)
    assert result.ok, result.differences
    assert result.wallets_checked == 4
    a, b, c, d = (index.member(m.address) for m in life.members[:4])
    assert a is not None and b is not None and c is not None and d is not None
    assert (a.status, a.consent, a.credited, a.redeemed) == (ACTIVE, 3, 150, 40)
    assert a.balance == 150 - 40 - 10 and b.balance == 60 + 10  # tier 3: no multiplier set
    assert (b.tier, b.consent, b.policy_version) == (3, 1, 2)
    assert (c.status, c.forfeited, c.balance) == (REVOKED, 45, 0)
    assert (d.status, d.commitment, d.consent, d.since > 0) == (ERASED, None, 0, True)


def test_catch_up_keeps_the_rules_as_they_changed(open_index: OpenIndex, life: Life) -> None:
    live_a_month(life, "rules")
    index = open_index()

    index.catch_up()

    assert index.rewards()[7] == 0  # withdrawn at the end of the month
    assert index.multipliers() == {2: 15_000}
    assert sorted(index.policies()) == [1, 2]
    holders = {(h.contract, h.account) for h in index.role_holders()}
    assert ("registry", life.registrar.address.lower()) in holders
    assert ("registry", life.members[1].address.lower()) not in holders  # pauser revoked
    assert not index.switched_on("transfers", "points")
    (redemption,) = index.redemptions()
    assert (redemption.member, redemption.reward_id, redemption.cost) == (
        life.members[0].address.lower(),
        7,
        40,
    )


def test_a_second_catch_up_reads_only_new_blocks(
    open_index: OpenIndex, life: Life, node: NodeClient
) -> None:
    index = open_index()
    life.enroll(life.members[0], "again-a")
    index.catch_up()

    unchanged = index.catch_up()
    life.enroll(life.members[1], "again-b")
    one_more = index.catch_up()

    assert unchanged.events == 0 and unchanged.first_block == unchanged.read_block + 1
    assert one_more.events == 2  # MemberEnrolled and the ConsentChanged of its form
    assert one_more.read_block == node.block_number()
    assert index.member(life.members[1].address) is not None


def test_history_lists_a_members_events_oldest_first(open_index: OpenIndex, life: Life) -> None:
    live_a_month(life, "history")
    index = open_index()
    index.catch_up()

    names = [event.name for event in index.history(life.members[0].address)]

    # The enrollment form's consent, then the member's own change.
    assert names[:3] == ["MemberEnrolled", "ConsentChanged", "ConsentChanged"]
    assert names.count("Transfer") == 3  # the credit, the redemption's burn, the transfer out
    assert names.index("Redeemed") > names.index("Transfer")
    mint = index.history(life.members[0].address)[3]
    assert mint.arguments()["from"] == "0x" + "00" * 20


def test_a_skipped_credit_is_in_the_history_and_credits_nothing(
    open_index: OpenIndex, life: Life
) -> None:
    live_a_month(life, "skipped")
    index = open_index()
    index.catch_up()

    names = [event.name for event in index.history(life.members[1].address)]
    record = index.member(life.members[1].address)

    assert "CreditSkipped" in names
    assert record is not None and record.credited == 60


def test_rebuild_gives_the_same_index(open_index: OpenIndex, life: Life, tmp_path: Path) -> None:
    live_a_month(life, "rebuild")
    index = open_index()
    index.catch_up()
    before = table_rows(tmp_path / "index.db")

    index.rebuild()

    assert table_rows(tmp_path / "index.db") == before


def test_an_index_of_another_deployment_is_rebuilt(
    open_index: OpenIndex, life: Life, tmp_path: Path, project: Any, admin: Any
) -> None:
    life.enroll(life.members[0], "other")
    open_index().catch_up()
    other = project.MembershipRegistry.deploy(admin, 0, sender=admin)
    index = open_index(registry_address=str(other.address))

    done = index.catch_up()

    assert done.rebuilt and "another deployment" in done.rebuilt
    assert index.member(life.members[0].address) is None  # the other registry has no one


class _StopsAfter(LogReader):
    """A reader that fails after handing over `ranges` ranges, as a killed process would."""

    def __init__(self, node: NodeClient, ranges: int) -> None:
        super().__init__(node, first_span=1, max_logs=2)
        self.left = ranges

    def read(self, *args: Any, **kwargs: Any) -> Any:
        for chunk in super().read(*args, **kwargs):
            if self.left == 0:
                raise KeyboardInterrupt
            self.left -= 1
            yield chunk


def test_a_catch_up_stopped_half_way_is_consistent_and_carries_on(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    live_a_month(life, "stopped")
    index = open_index(reader=_StopsAfter(node.clone(), ranges=5))

    with pytest.raises(KeyboardInterrupt):
        index.catch_up()
    stopped_at = index.status().read_block
    index.follower.reader = LogReader(node.clone())
    done = index.catch_up()

    assert 0 < stopped_at < done.read_block
    assert done.first_block == stopped_at + 1
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)


def test_ranges_stay_near_the_logs_asked_for(node: NodeClient, life: Life) -> None:
    for i, member in enumerate(life.members[:4]):
        life.enroll(member, f"ranges-{i}")
    reader = LogReader(node, first_span=1_000, max_logs=2)
    seen: list[LogRange] = []

    list(reader.read([str(life.registry.address)], [], 0, node.block_number(), seen.append))

    assert sum(len(r.logs) for r in seen) >= 4
    assert all(len(r.logs) <= 2 or r.first == r.last for r in seen[1:])


def _one_block_of(life: Life, node: NodeClient, count: int, tag: str) -> int:
    """`count` enrollments mined in one block (sent raw: Ape would wait for each)."""
    from memberledger.chain import calldata
    from memberledger.hashing import keccak256

    node.call("evm_setAutomine", False)
    try:
        for i in range(count):
            wallet = "0x" + keccak256(f"{tag} {i}".encode())[:20].hex()
            rows = [calldata.Enrollment(wallet, keccak256(wallet.encode())[:20], 1, 1)]
            node.call(
                "eth_sendTransaction",
                {
                    "from": life.registrar.address,
                    "to": str(life.registry.address),
                    "data": "0x" + calldata.enroll_batch(rows).hex(),
                },
            )
        node.call("evm_mine")
    finally:
        node.call("evm_setAutomine", True)
    return node.block_number()


class _Pieces(LogReader):
    """Reads blocks that used any gas at all as dense ones; notes each range, and can fail
    after handing over `stop_after` pieces."""

    def __init__(self, node: NodeClient, stop_after: int | None = None) -> None:
        super().__init__(node, first_span=4, dense_gas=1)
        self.seen: list[LogRange] = []
        self.stop_after = stop_after

    def read(self, *args: Any, **kwargs: Any) -> Any:
        for chunk in super().read(*args, **kwargs):
            if self.stop_after is not None and len(self.seen) == self.stop_after:
                raise KeyboardInterrupt
            self.seen.append(chunk)
            yield chunk


def test_a_dense_block_is_read_a_few_receipts_at_a_time(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    block = _one_block_of(life, node, 20, "dense")
    reader = _Pieces(node.clone())
    index = open_index(reader=reader)

    index.catch_up()

    pieces = [r for r in reader.seen if r.first == r.last == block]
    whole, rest = divmod(20, RECEIPTS_PER_PIECE)
    assert [r.partial for r in pieces] == [True] * (whole + bool(rest) - 1) + [False]
    assert len(pieces) > 1
    rows = table_rows(tmp_path / "index.db")
    # MemberEnrolled and the ConsentChanged of its form, for each of the 20.
    assert sum(1 for event in rows["index_events"] if event[0] == block) == 40
    assert rows == rebuilt_rows(open_index, tmp_path)


def test_a_dense_block_read_half_way_is_read_again(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    block = _one_block_of(life, node, 20, "half")
    counting = _Pieces(node.clone())
    open_index(reader=counting).catch_up()  # every block dense: count the pieces up to it
    stop = next(i for i, r in enumerate(counting.seen) if r.first == block) + 1
    index = open_index(path=tmp_path / "stopped.db", reader=_Pieces(node.clone(), stop))

    with pytest.raises(KeyboardInterrupt):
        index.catch_up()
    assert index.status().read_block == block - 1  # the piece stored, the block not read
    index.follower.reader = LogReader(node.clone())
    index.catch_up()

    assert table_rows(tmp_path / "stopped.db") == table_rows(tmp_path / "index.db")


def test_an_index_opened_again_carries_on(
    open_index: OpenIndex, life: Life, tmp_path: Path
) -> None:
    life.enroll(life.members[0], "reopened")
    first = open_index()
    first.catch_up()
    first.close()

    again = open_index().catch_up()

    assert again.rebuilt is None and again.events == 0


def _index_definitions(path: Path, backend: str) -> list[tuple[Any, ...]]:
    """The index's indexes as its database keeps them (name, definition)."""
    if backend == "postgresql":
        return sorted(
            index_sql(path, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'idx'")
        )
    return sorted(index_sql(path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"))


def test_a_fresh_index_is_filled_then_indexed_as_the_migrations_made_it(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path, backend: str
) -> None:
    live_a_month(life, "deferred")
    index = open_index()
    made = _index_definitions(tmp_path / "index.db", backend)
    seen: list[tuple[bool, int, list[tuple[Any, ...]]]] = []

    def filling(*_: int) -> None:
        position = index.follower.cursor.get()
        assert position is not None
        indexes = _index_definitions(tmp_path / "index.db", backend)
        seen.append((position.deferred, index.follower.members.count(), indexes))

    index.catch_up(filling)

    assert seen and all(deferred and records == 0 for deferred, records, _ in seen)
    assert all(indexes != made for _, _, indexes in seen)  # filled without the wallet indexes
    assert _index_definitions(tmp_path / "index.db", backend) == made
    position = index.follower.cursor.get()
    assert position is not None and not position.deferred
    assert audit_of(index, node, life.registry, life.points).ok
    life.enroll(life.members[4], "deferred-later")
    seen.clear()
    index.catch_up(filling)
    assert seen and not any(deferred for deferred, _, _ in seen)  # now event by event
    assert index.member(life.members[4].address) is not None


def test_a_fresh_index_folds_what_an_index_kept_event_by_event_holds(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path, chain: Any
) -> None:
    kept = open_index()
    life.enroll(life.members[4], "kept-first")
    kept.catch_up()  # from here on, kept up range by range
    live_a_month(life, "kept")
    kept.catch_up()
    a, b = life.members[:2]
    life.points.setTransfersEnabled(True, sender=life.admin)
    life.points.transfer(a, 5, sender=a)  # to oneself: once in the history, nothing changes
    life.points.transfer(a, 7, sender=b)
    kept.catch_up()
    moved_to = to_checksum_address(keccak(text="the wallet b moved to")[:20])
    proposed = life.registry.proposeMove(b, moved_to, sender=life.registrar)
    ready = proposed.decode_logs(life.registry.MoveProposed)[0].executableAt
    chain.pending_timestamp = max(chain.pending_timestamp, ready)
    life.registry.completeMove(b, sender=life.registrar)
    life.points.carryOver(b, sender=life.registrar)
    life.credit(a, 3, "kept-after-the-move")
    kept.catch_up()

    fresh = rebuilt_rows(open_index, tmp_path)

    assert table_rows(tmp_path / "index.db") == fresh
    moved = kept.member(moved_to)
    assert moved is not None and moved.tier == 3 and moved.balance > 0
    assert audit_of(kept, node, life.registry, life.points).ok
