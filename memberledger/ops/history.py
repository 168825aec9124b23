"""A member's history, from the chain index: every event of either contract about the
wallet, oldest first.

Registry events name the member; points are the ERC-20 `Transfer` logs to and from the
wallet (a mint is a credit, a burn a redemption or forfeit) and the token's own `Redeemed`
and `PointsForfeited`. The index keeps them all (`memberledger.index`), so a history is one
indexed lookup, whatever the chain's length and whatever the provider's limits on
`eth_getLogs`.

A credit names the reward event it paid for (`signup:m-001`): the chain knows only the
batch (`BatchCredited` in the same transaction), and this vault's send journal knows which
event ids the batch holds, in the order the token minted them.

`history_document` is the same history as the member page reads it from an operator's
index (`GET <historyUrl>/<wallet>`, see `web/src/history.ts`): `{"events": [...]}` with
`eventName`, `args`, `blockNumber`, `logIndex`, `transactionHash`, `timestamp`, numbers as
decimal strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memberledger.chain.reads import ChainStatus
from memberledger.consent import describe
from memberledger.hashing import checksum_address
from memberledger.identifiers import ZERO_ADDRESS
from memberledger.index.chain_index import ChainIndex
from memberledger.index.events import StoredEvent
from memberledger.store.journal import Journal
from memberledger.tiers import TIERS

RewardNamer = Callable[[int], str]


def _default_reward_name(reward_id: int) -> str:
    return f"reward {reward_id}"


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


@dataclass(frozen=True)
class CreditedEvent:
    """The reward event a credit paid for, with its base points (before the multiplier)."""

    event_id: str
    base_points: int


def member_history(
    index: ChainIndex,
    wallet: str,
    journal: Journal | None = None,
    reward_name: RewardNamer = _default_reward_name,
) -> list[HistoryEvent]:
    """Every event about `wallet` in the index, oldest first; with this vault's `journal`,
    each credit names the reward event it paid. The index is read as it is: bring it up to
    date first (`ChainIndex.catch_up`)."""
    wallet = checksum_address(wallet[2:])
    events = index.history(wallet)
    enrollments = {event.tx_hash for event in events if event.name == "MemberEnrolled"}
    credited = _credit_event_ids(index, journal, wallet, events) if journal else {}
    return [_history_event(event, wallet, enrollments, credited, reward_name) for event in events]


def history_document(index: ChainIndex, wallet: str) -> dict[str, Any]:
    """The history as the member page's operator source expects it (JSON-ready)."""
    return {
        "events": [
            {
                "eventName": event.name,
                "args": {name: _json(value) for name, value in event.arguments().items()},
                "blockNumber": str(event.block),
                "logIndex": event.log_index,
                "transactionHash": event.tx_hash,
                "timestamp": str(event.timestamp),
            }
            for event in index.history(wallet)
        ]
    }


def _history_event(
    event: StoredEvent,
    wallet: str,
    enrollments: set[str],
    credited: dict[tuple[str, int], CreditedEvent],
    reward_name: RewardNamer,
) -> HistoryEvent:
    arguments = {
        f.name: _plain(f.type, value)
        for f, value in zip(event.spec.fields, event.values, strict=True)
    }
    credit = credited.get((event.tx_hash, event.log_index))
    summary = _summary(event.name, arguments, wallet, credit, reward_name)
    if event.name == "ConsentChanged" and event.tx_hash in enrollments:
        # The registry says the enrollment form's consent in the enrollment's transaction.
        summary = summary.replace(f"by {arguments['by']}", "given at enrollment")
    return HistoryEvent(
        block=event.block,
        log_index=event.log_index,
        timestamp=event.timestamp,
        tx_hash=event.tx_hash,
        name=_name(event.name, arguments),
        summary=summary,
        arguments=arguments,
        reward_event=credit.event_id if credit else None,
    )


def _credit_event_ids(
    index: ChainIndex, journal: Journal, wallet: str, events: list[StoredEvent]
) -> dict[tuple[str, int], CreditedEvent]:
    """For each mint to `wallet`, the reward event it paid. A credit transaction's
    `BatchCredited` names the batch by its content hash, which is the journal's batch id;
    the batch's rows for the wallet, less those the chain skipped (`CreditSkipped`,
    `CreditRoundedToZero`, by event tag), are its mints to the wallet in order."""
    mints: dict[str, list[StoredEvent]] = {}
    skipped: dict[str, set[bytes]] = {}
    for event in events:
        if event.name == "Transfer" and _is_mint(event):
            mints.setdefault(event.tx_hash, []).append(event)
        elif event.name in ("CreditSkipped", "CreditRoundedToZero"):
            skipped.setdefault(event.tx_hash, set()).add(_bytes(event.arguments()["eventTag"]))
    found: dict[tuple[str, int], CreditedEvent] = {}
    for tx_hash, credits in mints.items():
        applied = [
            event
            for event in index.transaction_events(credits[0].block, tx_hash)
            if event.name == "BatchCredited"
        ]
        if len(applied) != 1:
            continue
        batch = journal.get("0x" + _bytes(applied[0].arguments()["contentHash"]).hex())
        if batch is None:  # credited by another vault's journal, or by hand
            continue
        passed = skipped.get(tx_hash, set())
        entries = [
            entry
            for entry in batch.credits
            if entry.wallet.lower() == wallet.lower() and entry.tag not in passed
        ]
        ordered = sorted(credits, key=lambda event: event.log_index)
        for event, entry in zip(ordered, entries, strict=False):
            if not entry.event_id.startswith("#"):  # learnt from the chain: no id, only a tag
                found[(event.tx_hash, event.log_index)] = CreditedEvent(
                    entry.event_id, entry.points
                )
    return found


def _bytes(value: Any) -> bytes:
    """A fixed-bytes value as the index decodes it ("0x…" text or bytes)."""
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def _is_mint(event: StoredEvent) -> bool:
    return str(event.arguments()["from"]).lower() == ZERO_ADDRESS.lower()


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
    reward_name: RewardNamer = _default_reward_name,
) -> str:
    match name:
        case "MemberEnrolled":
            return f"enrolled, tier {_tier(args['tier'])}, commitment {args['commitment']}"
        case "CommitmentRotated":
            return f"commitment {args['oldCommitment']} -> {args['newCommitment']}"
        case "TierChanged":
            return f"tier {_tier(args['oldTier'])} -> {_tier(args['newTier'])}"
        case "ConsentChanged":
            by = "the member" if args["by"] == wallet else f"by {args['by']}"
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
        case "CreditSkipped":
            status = ChainStatus(int(args["status"])).word
            return f"a credit of {args['amount']} points skipped: the membership was {status}"
        case "CreditRoundedToZero":
            times = int(args["multiplierBps"]) / 10_000
            return (
                f"a credit of {args['amount']} points skipped: it rounds to nothing at the "
                f"tier's multiplier ({times:g}x)"
            )
        case "NonceIncreased":
            return f"cancelled the signatures not yet used (nonce now {args['newNonce']})"
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
    return f"{name}({', '.join(f'{key}={value}' for key, value in args.items())})"


def _tier(value: str | int) -> str:
    return TIERS.get(int(value), str(value))


def _consent(value: str | int) -> str:
    try:
        words = describe(int(value))
    except ValueError:
        return f"unknown flags {int(value):#x}"
    return ", ".join(words) if words else "nothing"


def _plain(abi_type: str, value: Any) -> str | int:
    """A value as the history shows it: addresses in their EIP-55 spelling."""
    if abi_type == "address" and isinstance(value, str):
        return checksum_address(value[2:])
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | str):
        return value
    return str(value)


def _json(value: Any) -> Any:
    """Numbers as decimal strings (a uint256 does not fit a JavaScript number)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return checksum_address(value[2:])
    return value
