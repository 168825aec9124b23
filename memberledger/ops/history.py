"""A member's history, read from the contracts' events: the audit trail needs no database.

Registry events are indexed by member; points are the ERC-20 `Transfer` logs to and from the
wallet (mints are credits, burns are redemptions and forfeits) and the token's own
`Redeemed` and `PointsForfeited`. Everything is read from the deploy block in the manifest.

A credit names the reward event it paid for (`signup:m-001`): the chain knows only the
batch (`BatchCredited` in the same transaction), and this vault's send journal knows which
event ids the batch holds, in the order the token minted them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memberledger.chain.reads import event_logs, event_logs_between, tx_hex
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
    #: For a credit: the reward event id it paid for (from this vault's journal).
    reward_event: str | None = None

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

    credits = [log for name, log in logs if name == "Transfer" and _is_mint(log)]
    event_ids = _credit_event_ids(programme, wallet, credits)
    timestamps: dict[int, int] = {}
    events = []
    for name, log in logs:
        block = int(log.block_number)
        if block not in timestamps:
            timestamps[block] = int(chain.blocks[block].timestamp)
        arguments = {key: _plain(value) for key, value in log.event_arguments.items()}
        credited = event_ids.get(_log_key(log)) if name == "Transfer" else None
        events.append(
            HistoryEvent(
                block=block,
                log_index=int(log.log_index),
                timestamp=timestamps[block],
                tx_hash=tx_hex(log.transaction_hash),
                name=_name(name, arguments),
                summary=_summary(name, arguments, wallet, credited, programme.reward_name),
                arguments=arguments,
                reward_event=credited.event_id if credited else None,
            )
        )
    return sorted(events, key=lambda event: (event.block, event.log_index))


@dataclass(frozen=True)
class CreditedEvent:
    """The reward event a credit paid for, with its base points (before the multiplier)."""

    event_id: str
    base_points: int


def _credit_event_ids(
    programme: Programme, wallet: str, credits: list[Any]
) -> dict[tuple[str, int], CreditedEvent]:
    """For each mint to `wallet`, the reward event it paid. A credit transaction's
    `BatchCredited` names the batch by its content hash, which is the journal's batch id;
    the batch's rows for the wallet, less those the chain skipped (`CreditSkipped`,
    `CreditRoundedToZero`, by event tag), are its mints to the wallet in order."""
    by_tx: dict[str, list[Any]] = {}
    for log in credits:
        by_tx.setdefault(tx_hex(log.transaction_hash), []).append(log)
    found: dict[tuple[str, int], CreditedEvent] = {}
    points = programme.points
    for tx_hash, mints in by_tx.items():
        block = int(mints[0].block_number)
        applied = _logs_of_tx(points.BatchCredited, block, tx_hash)
        if len(applied) != 1:
            continue
        batch = programme.journal.get("0x" + bytes(applied[0].contentHash).hex())
        if batch is None:  # credited by another vault's journal, or by hand
            continue
        skipped = {
            bytes(log.eventTag)
            for event in (points.CreditSkipped, points.CreditRoundedToZero)
            for log in _logs_of_tx(event, block, tx_hash, member=wallet)
        }
        entries = [e for e in batch.credits if e.wallet == wallet and e.tag not in skipped]
        ordered = sorted(mints, key=lambda log: int(log.log_index))
        for log, entry in zip(ordered, entries, strict=False):
            if not entry.event_id.startswith("#"):  # learnt from the chain: no id, only a tag
                found[_log_key(log)] = CreditedEvent(entry.event_id, entry.points)
    return found


def _logs_of_tx(event: Any, block: int, tx_hash: str, **topics: Any) -> list[Any]:
    """The logs of `event` that transaction `tx_hash` (in `block`) emitted."""
    return [
        log
        for log in event_logs_between(event, block, block, **topics)
        if tx_hex(log.transaction_hash) == tx_hash
    ]


def _is_mint(log: Any) -> bool:
    return str(log.event_arguments["from"]) == ZERO_ADDRESS


def _log_key(log: Any) -> tuple[str, int]:
    return tx_hex(log.transaction_hash), int(log.log_index)


def _name(name: str, arguments: dict[str, str | int]) -> str:
    if name != "Transfer":
        return name
    if arguments["from"] == ZERO_ADDRESS:
        return "PointsCredited"
    if arguments["to"] == ZERO_ADDRESS:
        return "PointsBurnt"
    return "Transfer"


def _summary(
    name: str,
    args: dict[str, str | int],
    wallet: str,
    credited: CreditedEvent | None = None,
    reward_name: Callable[[int], str] = lambda reward_id: f"reward {reward_id}",
) -> str:
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
            description = reward_name(int(args["rewardId"]))
            return f"redeemed reward {args['rewardId']} ({description}) for {args['cost']} points"
        case "PointsForfeited":
            return f"{args['amount']} points forfeited by {args['by']}"
        case "Transfer":
            if args["from"] == ZERO_ADDRESS:
                if credited is None:
                    return f"+{args['value']} points credited"
                return (
                    f"+{args['value']} points credited for reward event {credited.event_id} "
                    f"({credited.base_points} base points times the tier multiplier)"
                )
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
