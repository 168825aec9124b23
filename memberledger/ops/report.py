"""The programme in numbers: members by status, tier and consent; points issued, redeemed
and forfeited. Members are counted from the chain index (each wallet's record as its events
left it, so members' own consent changes count), brought up to date first; the vault's own
counts sit beside them.

A million members are three small queries: the index keeps a record per wallet, grouped by
status, tier and consent through an index on those columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from memberledger.chain.reads import ChainStatus
from memberledger.consent import PURPOSE_WORDS
from memberledger.index.chain_index import ChainIndex, open_index
from memberledger.index.members import ACTIVE, SUSPENDED
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
    block: int = 0
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
    """The report, after bringing the chain index up to date."""
    with open_index(programme) as index:
        index.catch_up()
        return report_from(programme, index)


def report_from(programme: Programme, index: ChainIndex) -> ProgrammeReport:
    report = ProgrammeReport(chain_id=programme.deployment.chain_id)
    report.block = index.status().read_block
    counts = index.state_counts()
    statuses: dict[int, int] = {int(status): 0 for status in ChainStatus if status}
    tiers = dict.fromkeys(TIERS, 0)
    consent = dict.fromkeys(PURPOSE_WORDS, 0)
    no_consent = 0
    for count in counts:
        if count.status in statuses:
            statuses[count.status] += count.members
        if count.status not in (ACTIVE, SUSPENDED):
            continue
        tiers[count.tier] = tiers.get(count.tier, 0) + count.members
        for flag in consent:
            if count.consent & flag:
                consent[flag] += count.members
        if not count.consent:
            no_consent += count.members
    report.by_status = {ChainStatus(s).word: n for s, n in statuses.items()}
    report.by_tier = {TIERS.get(number, str(number)): n for number, n in tiers.items()}
    report.by_consent = {PURPOSE_WORDS[flag]: n for flag, n in consent.items()}
    report.by_consent["no consent at all"] = no_consent
    vault_counts = programme.vault.count_by_status()
    report.vault_by_status = {status.value: vault_counts[status] for status in MemberStatus}

    totals = index.point_totals()
    report.points_issued = totals.credited
    report.points_redeemed = totals.redeemed
    report.points_forfeited = totals.forfeited
    report.points_outstanding = totals.outstanding
    redemptions = index.redemptions_by_reward()
    offered = programme.programme_file.rewards if programme.programme_file else {}
    catalogue = set(offered) | set(index.rewards()) | set(redemptions)
    report.rewards = [
        RewardLine(
            reward_id,
            programme.reward_name(reward_id),
            *redemptions.get(reward_id, (0, 0)),
        )
        for reward_id in sorted(catalogue)
    ]
    credits = programme.journal.totals(BatchKind.CREDIT)
    report.credit_batches = credits.batches
    report.reward_events = credits.rows
    return report
