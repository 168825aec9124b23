"""A member's history, read from the contracts' events: the audit trail needs no database.

Registry events are indexed by member; points are the ERC-20 `Transfer` logs to and from the
wallet (mints are credits, burns are redemptions and forfeits) and the token's own
`Redeemed` and `PointsForfeited`. Everything is read from the deploy block in the manifest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from memberledger.chain.deployment import DEFAULT_REWARDS
from memberledger.chain.reads import event_logs, tx_hex
from memberledger.consent import describe
from memberledger.identifiers import ZERO_ADDRESS
from memberledger.programme import Programme
from memberledger.tiers import TIERS

#: Registry events about one member, each indexed by `member`.
REGISTRY_EVENTS = (
    "MemberEnrolled",
    "CommitmentRotated",
    "TierChanged",
    "ConsentChanged",
    "MemberSuspended",
    "MemberReinstated",
    "MemberRevoked",
    "MemberLeft",
    "MemberErased",
)
#: Points-token events about one member, indexed by `member`.
POINTS_EVENTS = ("Redeemed", "PointsForfeited")


@dataclass(frozen=True)
class HistoryEvent:
    block: int
    log_index: int
    timestamp: int
    tx_hash: str
    name: str
    summary: str
    arguments: dict[str, str | int] = field(default_factory=dict)

    @property
    def when(self) -> str:
        moment = dt.datetime.fromtimestamp(self.timestamp, dt.UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def member_history(programme: Programme, wallet: str) -> list[HistoryEvent]:
    """Every event about `wallet`, oldest first."""
    chain, registry, points = programme.chain, programme.registry, programme.points
    start = programme.from_block
    logs: list[tuple[str, Any]] = []
    for name in REGISTRY_EVENTS:
        logs += [
            (name, log) for log in event_logs(chain, getattr(registry, name), start, member=wallet)
        ]
    for name in POINTS_EVENTS:
        logs += [
            (name, log) for log in event_logs(chain, getattr(points, name), start, member=wallet)
        ]
    for log in event_logs(chain, points.Transfer, start, to=wallet):
        logs.append(("Transfer", log))
    for log in event_logs(chain, points.Transfer, start, **{"from": wallet}):
        if str(log.event_arguments["to"]) != wallet:  # a transfer to oneself is listed once
            logs.append(("Transfer", log))

    timestamps: dict[int, int] = {}
    events = []
    for name, log in logs:
        block = int(log.block_number)
        if block not in timestamps:
            timestamps[block] = int(chain.blocks[block].timestamp)
        arguments = {key: _plain(value) for key, value in log.event_arguments.items()}
        events.append(
            HistoryEvent(
                block=block,
                log_index=int(log.log_index),
                timestamp=timestamps[block],
                tx_hash=tx_hex(log.transaction_hash),
                name=_name(name, arguments),
                summary=_summary(name, arguments, wallet),
                arguments=arguments,
            )
        )
    return sorted(events, key=lambda event: (event.block, event.log_index))


def _name(name: str, arguments: dict[str, str | int]) -> str:
    if name != "Transfer":
        return name
    if arguments["from"] == ZERO_ADDRESS:
        return "PointsCredited"
    if arguments["to"] == ZERO_ADDRESS:
        return "PointsBurnt"
    return "Transfer"


def _summary(name: str, args: dict[str, str | int], wallet: str) -> str:
    match name:
        case "MemberEnrolled":
            return f"enrolled, tier {_tier(args['tier'])}, commitment {args['commitment']}"
        case "CommitmentRotated":
            return f"commitment {args['oldCommitment']} -> {args['newCommitment']}"
        case "TierChanged":
            return f"tier {_tier(args['oldTier'])} -> {_tier(args['newTier'])}"
        case "ConsentChanged":
            by = "the member" if args["by"] == wallet else f"relayed by {args['by']}"
            return (
                f"consent {_consent(args['oldFlags'])} -> {_consent(args['newFlags'])} "
                f"(policy v{args['policyVersion']}, {by})"
            )
        case "MemberSuspended" | "MemberReinstated" | "MemberRevoked" | "MemberErased":
            return f"{name.removeprefix('Member').lower()} by {args['by']}"
        case "MemberLeft":
            return "left the programme"
        case "Redeemed":
            description = DEFAULT_REWARDS.get(int(args["rewardId"]), (0, "reward"))[1]
            return f"redeemed reward {args['rewardId']} ({description}) for {args['cost']} points"
        case "PointsForfeited":
            return f"{args['amount']} points forfeited by {args['by']}"
        case "Transfer":
            if args["from"] == ZERO_ADDRESS:
                return f"+{args['value']} points credited"
            if args["to"] == ZERO_ADDRESS:
                return f"-{args['value']} points burnt"
            if args["to"] == wallet:
                return f"+{args['value']} points from {args['from']}"
            return f"-{args['value']} points to {args['to']}"
    return name


def _tier(value: str | int) -> str:
    return TIERS.get(int(value), str(value))


def _consent(value: str | int) -> str:
    try:
        words = describe(int(value))
    except ValueError:
        return f"unknown flags {int(value):#x}"
    return ", ".join(words) if words else "nothing"


def _plain(value: Any) -> str | int:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return str(value)
