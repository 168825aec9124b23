"""The figures per week the index's writer keeps (`memberledger.index.weekly`): equal to the
chain's own logs counted here, across weeks, and after a reorganisation rolled some back."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from index_kit import Life, OpenIndex, rebuilt_rows, rpc, table_rows

from memberledger.chain.rpc import NodeClient
from memberledger.index.chain_index import ChainIndex
from memberledger.index.weekly import week_of

FLAGS = [1, 2, 4, 8]


def expected(chain: Any, life: Life) -> dict[str, Any]:
    """The weekly figures counted from the contracts' logs, read through Ape (not the index)."""
    height = chain.blocks.height
    times: dict[int, int] = {}

    def week(log: Any) -> int:
        block = int(log.block_number)
        if block not in times:
            times[block] = int(chain.blocks[block].timestamp)
        return week_of(times[block])

    enrolled: Counter[tuple[int, int]] = Counter()
    credited: Counter[int] = Counter()
    redeemed: Counter[int] = Counter()
    given: Counter[tuple[int, int]] = Counter()
    withdrawn: Counter[tuple[int, int]] = Counter()
    changed: set[int] = set()
    for log in life.registry.MemberEnrolled.range(0, height + 1):
        enrolled[(week(log), int(log.tier))] += 1
    for log in life.points.BatchCredited.range(0, height + 1):
        credited[week(log)] += int(log.total)
    for log in life.points.Redeemed.range(0, height + 1):
        redeemed[week(log)] += int(log.cost)
    for log in life.registry.ConsentChanged.range(0, height + 1):
        old, new = int(log.oldFlags), int(log.newFlags)
        changed.add(week(log))
        for flag in FLAGS:
            given[(week(log), flag)] += bool(new & flag and not old & flag)
            withdrawn[(week(log), flag)] += bool(old & flag and not new & flag)
    return {
        "enrolled": sorted((w, tier, n) for (w, tier), n in enrolled.items()),
        "credited": sorted((w, 0, n) for w, n in credited.items()),
        "redeemed": sorted((w, 0, n) for w, n in redeemed.items()),
        "consent": [
            (w, [given[(w, f)] for f in FLAGS], [withdrawn[(w, f)] for f in FLAGS])
            for w in sorted(changed)
        ],
    }


def kept(index: ChainIndex) -> dict[str, Any]:
    return {
        "enrolled": index.weekly("enrolled"),
        "credited": index.weekly("credited"),
        "redeemed": index.weekly("redeemed"),
        "consent": index.consent_weekly(FLAGS),
    }


def next_week(node: NodeClient) -> None:
    rpc(node, "evm_increaseTime", 8 * 86_400)
    rpc(node, "evm_mine")


def three_weeks(life: Life, node: NodeClient) -> None:
    """Enrolments by tier, credits, a redemption, consent given and withdrawn, in three
    different weeks."""
    a, b, c, d = life.members[:4]
    life.points.setReward(7, 40, sender=life.admin)
    life.enroll(a, "weekly-a", consent=3, tier=0)
    life.enroll(b, "weekly-b", consent=1, tier=2)
    life.credit(a, 100, "weekly-a")
    next_week(node)
    life.enroll(c, "weekly-c", consent=5, tier=2)
    life.registry.setConsent(2, life.registry.policyVersion(), sender=a)
    life.credit(b, 60, "weekly-b")
    life.points.redeem(7, sender=a)
    next_week(node)
    life.enroll(d, "weekly-d", consent=1, tier=3)
    life.credit(c, 30, "weekly-c")


def test_the_weekly_figures_equal_the_chains_logs(
    open_index: OpenIndex, life: Life, node: NodeClient, chain: Any
) -> None:
    three_weeks(life, node)
    index = open_index()
    index.catch_up()

    figures = kept(index)
    assert figures == expected(chain, life)
    assert len({week for week, _, _ in figures["enrolled"]}) == 3
    assert any(sum(withdrawn) for _, _, withdrawn in figures["consent"])


def test_the_weekly_figures_follow_a_reorganisation(
    open_index: OpenIndex, life: Life, node: NodeClient, chain: Any, tmp_path: Path
) -> None:
    three_weeks(life, node)
    index = open_index(confirmations=3)
    index.catch_up()
    before = kept(index)

    rpc(node, "anvil_reorg", 2, [])  # the last week's enrolment and credit, gone
    done = index.catch_up()

    assert done.reorganisations
    figures = kept(index)
    assert figures == expected(chain, life)
    assert figures["enrolled"] == before["enrolled"][:-1]
    assert figures["credited"] == before["credited"][:-1]
    assert table_rows(tmp_path / "index.db") == rebuilt_rows(open_index, tmp_path)


def test_rebuild_keeps_the_same_weekly_figures(
    open_index: OpenIndex, life: Life, node: NodeClient
) -> None:
    three_weeks(life, node)
    index = open_index()
    index.catch_up()
    before = kept(index)

    index.rebuild()

    assert kept(index) == before
