"""Redemptions: what members redeemed on chain, and which of them were handed out.

A member redeems from their wallet (`LoyaltyPoints.redeem`): the chain burns the reward's cost
and emits `Redeemed(member, rewardId, cost)`. The reward itself is handed over off the chain,
so the operator needs the list (who, what, for how many points, when) and a record of what
was handed out: the fulfilments, kept in the vault (`memberledger.store.fulfilments`). A
redemption is named `<block>-<log index>` of its event.

Logs are read in block ranges that adapt to what the provider allows (`chain.logs`), and the
times of their blocks in one batched request.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from eth_utils.address import to_checksum_address

from memberledger.chain.logs import LogReader
from memberledger.errors import ConfigError, InvalidField, RpcError
from memberledger.hashing import keccak256
from memberledger.ops.catalogue import reward_name
from memberledger.ops.documents import iso_utc
from memberledger.programme import Programme
from memberledger.store.fulfilments import (
    Fulfilment,
    is_redemption_id,
    now_text,
    redemption_id,
)

REDEEMED_TOPIC = "0x" + keccak256(b"Redeemed(address,uint256,uint256)").hex()
#: Spreadsheets run cells starting with these as formulas.
_FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Redemption:
    redemption_id: str
    block: int
    log_index: int
    tx_hash: str
    wallet: str
    member_id: str | None
    reward_id: int
    reward: str
    points: int
    when: str
    fulfilled_at: str | None

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None


def list_redemptions(programme: Programme, *, open_only: bool = False) -> list[Redemption]:
    """Every redemption since the deployment, oldest first (only those not handed out yet
    with `open_only`)."""
    node = programme.node
    head = int(node.call("eth_blockNumber"), 16)
    logs = [
        log
        for chunk in LogReader(node).read(
            [programme.deployment.points], [REDEEMED_TOPIC], programme.from_block, head
        )
        for log in chunk.logs
    ]
    times = _block_times(programme, sorted({int(log["blockNumber"], 16) for log in logs}))
    fulfilled = programme.fulfilments.all()
    found = []
    for log in logs:
        block, index = int(log["blockNumber"], 16), int(log["logIndex"], 16)
        wallet = to_checksum_address("0x" + str(log["topics"][1])[-40:])
        stored = programme.vault.get_by_wallet(wallet)
        reward_id = int(str(log["topics"][2]), 16)
        identity = redemption_id(block, index)
        done = fulfilled.get(identity)
        found.append(
            Redemption(
                redemption_id=identity,
                block=block,
                log_index=index,
                tx_hash=str(log["transactionHash"]).lower(),
                wallet=wallet,
                member_id=stored.member_id if stored else None,
                reward_id=reward_id,
                reward=reward_name(programme, reward_id),
                points=int(str(log["data"]), 16),
                when=iso_utc(times[block]),
                fulfilled_at=done.fulfilled_at if done else None,
            )
        )
    return [r for r in found if r.is_open] if open_only else found


@dataclass(frozen=True)
class FulfilOutcome:
    fulfilled: list[Redemption]
    already: list[Redemption]


def fulfil(programme: Programme, identities: Sequence[str]) -> FulfilOutcome:
    """Record these redemptions as handed out. Every id is checked first: one that is not a
    redemption on chain refuses them all; one already handed out is reported and kept."""
    if not identities:
        raise ConfigError("name the redemption IDs to mark handed out (`redemptions list`)")
    for identity in identities:
        if not is_redemption_id(identity):
            raise InvalidField(
                "ID",
                f"{identity!r} is not a redemption id (BLOCK-INDEX, as `redemptions list` shows)",
            )
    known = {r.redemption_id: r for r in list_redemptions(programme)}
    unknown = [identity for identity in identities if identity not in known]
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise InvalidField(
            "ID",
            f"no redemption {unknown[0]!r} on chain{more}: nothing was recorded; "
            "`ape run redemptions list` shows the ids",
        )
    chosen = [known[identity] for identity in dict.fromkeys(identities)]
    already = [r for r in chosen if not r.is_open]
    fresh = [r for r in chosen if r.is_open]
    now = now_text()
    programme.fulfilments.record(
        Fulfilment(r.redemption_id, r.tx_hash, r.log_index, r.wallet, r.reward_id, r.points, now)
        for r in fresh
    )
    return FulfilOutcome([replace(r, fulfilled_at=now) for r in fresh], already)


def write_redemptions_csv(path: Path, redemptions: Sequence[Redemption]) -> Path:
    """The list as CSV for a spreadsheet (cells that would run as formulas are made inert).
    No personal data: member ids and wallets only."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "id",
                "member_id",
                "wallet",
                "reward_id",
                "reward",
                "points",
                "redeemed_at",
                "tx_hash",
                "fulfilled_at",
            ]
        )
        for r in redemptions:
            writer.writerow(
                [
                    r.redemption_id,
                    _inert(r.member_id or ""),
                    r.wallet,
                    r.reward_id,
                    _inert(r.reward),
                    r.points,
                    r.when,
                    r.tx_hash,
                    r.fulfilled_at or "",
                ]
            )
    return path


def _block_times(programme: Programme, blocks: list[int]) -> dict[int, int]:
    answers = programme.node.batch(
        [("eth_getBlockByNumber", [hex(block), False]) for block in blocks]
    )
    times = {}
    for block, answer in zip(blocks, answers, strict=True):
        if isinstance(answer, RpcError):
            raise answer
        times[block] = int(answer["timestamp"], 16)
    return times


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_PREFIXES) else cell
