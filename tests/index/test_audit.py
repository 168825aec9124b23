"""`ape run index verify` in the package: the index against the contracts' storage finds a
difference planted in the index, on every wallet or on a sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from index_kit import Life, OpenIndex, audit_of, index_sql, live_a_month

from memberledger.chain.rpc import NodeClient
from memberledger.index.audit import AuditResult, audit


def test_audit_of_a_faithful_index_finds_nothing(
    open_index: OpenIndex, life: Life, node: NodeClient
) -> None:
    live_a_month(life, "faithful")
    index = open_index()
    index.catch_up()

    result = audit_of(index, node, life.registry, life.points)

    assert result.ok and result.wallets_checked == result.wallets_indexed == 4


def test_audit_finds_a_record_altered_in_the_index(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    live_a_month(life, "altered")
    index = open_index()
    index.catch_up()
    wallet = life.members[1].address.lower()
    index_sql(
        tmp_path / "index.db",
        "UPDATE index_members SET tier = 0, balance = balance + 5 WHERE wallet = ?",
        (wallet,),
    )

    result = audit_of(index, node, life.registry, life.points)

    assert not result.ok
    found = {(d.what, d.field, d.index, d.chain) for d in result.differences}
    assert (wallet, "tier", "0", "3") in found
    assert (wallet, "points balance", "75", "70") in found
    assert ("programme", "points outstanding") in {(d.what, d.field) for d in result.differences}


def test_audit_finds_a_role_revocation_the_index_missed(
    open_index: OpenIndex, life: Life, node: NodeClient, tmp_path: Path
) -> None:
    live_a_month(life, "roles")
    index = open_index()
    index.catch_up()
    index_sql(tmp_path / "index.db", "DELETE FROM index_rules WHERE rule = 'role' AND value = '0'")

    result = audit_of(index, node, life.registry, life.points)

    assert [d.field for d in result.differences] == [life.members[1].address.lower()]


def test_audit_of_a_sample_reads_only_the_sample(
    open_index: OpenIndex, life: Life, node: NodeClient
) -> None:
    live_a_month(life, "sample")
    index = open_index()
    index.catch_up()

    def sampled(wallets: int) -> AuditResult:
        return audit(
            index,
            node,
            registry=str(life.registry.address),
            points=str(life.points.address),
            bulk_view=False,
            sample=wallets,
        )

    result, everyone = sampled(2), sampled(10)

    # Distinct wallets, as many as asked while the index has that many (two random addresses
    # that fall before the same wallet take it and the next one).
    assert result.ok and result.wallets_checked == 2
    assert everyone.ok and everyone.wallets_checked == everyone.wallets_indexed == 4


def test_a_moved_membership_is_folded_as_the_registry_moves_it(
    open_index: OpenIndex, life: Life, node: NodeClient, chain: Any
) -> None:
    live_a_month(life, "moved")
    a = life.members[0]
    new = to_checksum_address(keccak(text="the wallet a moved to")[:20])
    proposed = life.registry.proposeMove(a, new, sender=life.registrar)
    ready = proposed.decode_logs(life.registry.MoveProposed)[0].executableAt
    chain.pending_timestamp = max(chain.pending_timestamp, ready)
    life.registry.completeMove(a, sender=life.registrar)
    life.points.carryOver(a, sender=life.registrar)
    index = open_index()
    index.catch_up()

    old, moved = index.member(a.address), index.member(new)

    assert old is not None and moved is not None
    assert (old.status, old.tier, old.consent, old.balance) == (5, 0, 0, 0)
    assert old.moved_to == new.lower()
    assert (moved.status, moved.tier, moved.consent) == (1, 2, 3)
    assert moved.balance == int(life.points.balanceOf(new)) > 0
    assert audit_of(index, node, life.registry, life.points).ok


def test_members_near_the_same_address_are_distinct_records_in_wallet_order(
    open_index: OpenIndex, life: Life
) -> None:
    live_a_month(life, "near")
    index = open_index()
    index.catch_up()
    lowest, highest = "0x" + "00" * 20, "0x" + "ff" * 20

    near_lowest = [m.wallet for m in index.members_near([lowest] * 3)]
    past_the_end = [m.wallet for m in index.members_near([highest] * 2)]

    wallets = sorted(m.address.lower() for m in life.members if _indexed(index, m.address))
    assert near_lowest == wallets[:3]
    assert past_the_end == wallets[:2]  # past the last wallet: from the first
    assert len(index.members_near([lowest] * 9)) == len(wallets)


def _indexed(index: Any, wallet: str) -> bool:
    return any(m.wallet == wallet.lower() for m in index.members_near([wallet.lower()]))
