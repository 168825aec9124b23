"""Reorganisations: noticed by block hash, rolled back exactly (the index equals one rebuilt
from scratch), whether the blocks were provisional or had the confirmations asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from index_kit import Life, OpenIndex, audit_of, rebuilt_rows, rpc, table_rows

from memberledger.chain.logs import LogRange, LogReader
from memberledger.chain.rpc import NodeClient


def test_provisional_blocks_replaced_by_the_node_are_rolled_back(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    a, b = life.members[:2]
    life.enroll(a, "provisional-a")
    life.enroll(b, "provisional-b")
    life.credit(b, 50, "provisional-b")
    index = open_index(confirmations=3)
    index.catch_up()
    assert index.member(b.address) is not None

    rpc(node, "anvil_reorg", 2, [])  # b's enrollment and credit, mined again without them
    done = index.catch_up()

    (reorganisation,) = done.reorganisations
    assert not reorganisation.deeper_than_confirmations
    assert index.member(b.address) is None and index.history(b.address) == []
    assert index.member(a.address) is not None
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)
    assert audit_of(index, node, life.registry, life.points).ok


def test_a_reorganisation_deeper_than_the_confirmations_is_said_and_rolled_back(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    a, b, c = life.members[:3]
    life.enroll(a, "deep-a")
    fork = rpc(node, "evm_snapshot")
    life.enroll(b, "deep-b")
    life.credit(b, 20, "deep-b")
    index = open_index(confirmations=1)
    index.catch_up()
    final_before = index.status().final_block

    rpc(node, "evm_revert", fork)
    life.enroll(c, "deep-c")  # another history from the fork on, as long as the old one
    life.credit(c, 30, "deep-c")
    rpc(node, "evm_mine")
    done = index.catch_up()

    (reorganisation,) = done.reorganisations
    assert reorganisation.deeper_than_confirmations
    assert reorganisation.fork_block < final_before
    assert index.member(b.address) is None
    member_c = index.member(c.address)
    assert member_c is not None and member_c.credited == 30
    assert [e.name for e in index.history(b.address)] == []
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)
    assert audit_of(index, node, life.registry, life.points).ok


class _ReorganisesWhileReading(LogReader):
    """Hands over its second range only after the node reorganised the chain under it."""

    def __init__(self, node: NodeClient) -> None:
        super().__init__(node, first_span=1)
        self.done = False

    def read(self, *args: Any, **kwargs: Any) -> Iterator[LogRange]:
        for number, chunk in enumerate(super().read(*args, **kwargs)):
            if number == 1 and not self.done:
                self.done = True
                rpc(self.node, "anvil_reorg", 3, [])
            yield chunk


def test_a_chain_that_moves_while_it_is_read_is_read_again(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    for i, member in enumerate(life.members[:4]):
        life.enroll(member, f"moving-{i}")
    index = open_index(confirmations=2, reader=_ReorganisesWhileReading(node.clone()))

    index.catch_up()

    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)
    assert audit_of(index, node, life.registry, life.points).ok


def test_a_moved_membership_whose_later_events_are_rolled_back_keeps_its_record(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path, chain: Any
) -> None:
    a = life.members[0]
    life.enroll(a, "moved-reorg", consent=3)
    life.credit(a, 40, "moved-reorg")
    new = to_checksum_address(keccak(text="the wallet a moved to, then reorganised")[:20])
    proposed = life.registry.proposeMove(a, new, sender=life.registrar)
    ready = proposed.decode_logs(life.registry.MoveProposed)[0].executableAt
    chain.pending_timestamp = max(chain.pending_timestamp, ready)
    life.registry.completeMove(a, sender=life.registrar)
    life.points.carryOver(a, sender=life.registrar)
    index = open_index(confirmations=1)
    index.catch_up()
    fork = rpc(node, "evm_snapshot")
    life.registry.setTier(new, 3, sender=life.registrar)
    index.catch_up()

    rpc(node, "evm_revert", fork)
    life.registry.setTier(new, 1, sender=life.registrar)
    rpc(node, "evm_mine")
    done = index.catch_up()

    assert done.reorganisations
    moved = index.member(new)
    assert moved is not None and (moved.status, moved.tier, moved.consent) == (1, 1, 3)
    assert moved.balance == 40
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)
    assert audit_of(index, node, life.registry, life.points).ok
