"""The programme in numbers: members by status, tier and consent; points issued, redeemed
and forfeited. Members are counted from the chain (every wallet a `MemberEnrolled` log
names), so members' own consent changes count; the vault's own counts sit beside them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from memberledger.chain.reads import ChainStatus, distinct, event_logs, read_member
from memberledger.consent import PURPOSE_WORDS
from memberledger.programme import Programme
from memberledger.store.journal import BatchKind
from memberledger.store.vault import MemberStatus
from memberledger.tiers import TIERS


@dataclass(frozen=True)
class RewardLine:
    reward_id: int
    description: str
    redemptions: int
    points: int


@dataclass
class ProgrammeReport:
    chain_id: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    by_consent: dict[str, int] = field(default_factory=dict)
    vault_by_status: dict[str, int] = field(default_factory=dict)
    points_issued: int = 0
    points_redeemed: int = 0
    points_forfeited: int = 0
    points_outstanding: int = 0
    credit_batches: int = 0
    reward_events: int = 0
    rewards: list[RewardLine] = field(default_factory=list)


def programme_report(programme: Programme) -> ProgrammeReport:
    chain, registry, points = programme.chain, programme.registry, programme.points
    start = programme.from_block
    report = ProgrammeReport(chain_id=programme.deployment.chain_id)

    wallets = distinct(str(log.member) for log in event_logs(chain, registry.MemberEnrolled, start))
    members = [read_member(registry, wallet) for wallet in wallets]
    statuses = Counter(member.status for member in members)
    report.by_status = {status.word: statuses[status] for status in ChainStatus if status}
    current = [m for m in members if m.status in (ChainStatus.ACTIVE, ChainStatus.SUSPENDED)]
    tiers = Counter(member.tier for member in current)
    report.by_tier = {name: tiers[number] for number, name in TIERS.items()}
    report.by_consent = {
        words: sum(1 for member in current if member.consent & flag)
        for flag, words in PURPOSE_WORDS.items()
    }
    report.by_consent["no consent at all"] = sum(1 for member in current if not member.consent)
    counts = programme.vault.count_by_status()
    report.vault_by_status = {status.value: counts[status] for status in MemberStatus}

    report.points_issued = sum(
        int(log.total) for log in event_logs(chain, points.BatchCredited, start)
    )
    redeemed: Counter[int] = Counter()
    redemptions: Counter[int] = Counter()
    for log in event_logs(chain, points.Redeemed, start):
        redeemed[int(log.rewardId)] += int(log.cost)
        redemptions[int(log.rewardId)] += 1
    report.points_redeemed = sum(redeemed.values())
    report.points_forfeited = sum(
        int(log.amount) for log in event_logs(chain, points.PointsForfeited, start)
    )
    report.points_outstanding = int(points.totalSupply())
    offered = programme.programme_file.rewards if programme.programme_file else {}
    report.rewards = [
        RewardLine(
            reward_id,
            programme.reward_name(reward_id),
            redemptions[reward_id],
            redeemed[reward_id],
        )
        for reward_id in sorted(set(offered) | set(redemptions))
    ]
    credits = programme.journal.totals(BatchKind.CREDIT)
    report.credit_batches = credits.batches
    report.reward_events = credits.rows
    return report
