"""The reward catalogue and tier multipliers: the chain's costs beside the programme file's
names, and changing both together.

Costs and multipliers that count are the chain's (`LoyaltyPoints.rewardCost`,
`multiplierBps`); names and descriptions are the programme's own words in its programme file.
`programme rewards set|retire` and `programme multipliers set` send the change to the chain
first (skipped when the chain already holds it) and then record it in the file, so running a
command again after an interruption finishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.reads import event_logs, revert_reason, tx_hex
from memberledger.errors import ChainRejected, ConfigError, InvalidField
from memberledger.programme import Programme
from memberledger.programme_file import MAX_MULTIPLIER_BPS, ProgrammeFileEditor
from memberledger.settings import settings
from memberledger.tiers import TIERS


def reward_name(programme: Programme, reward_id: int) -> str:
    """The name the operator's lists show for a reward id."""
    return programme.reward_name(reward_id)


@dataclass(frozen=True)
class CatalogueLine:
    """One reward as the chain and the programme file see it."""

    reward_id: int
    chain_cost: int
    file_cost: int | None
    name: str
    description: str
    retired: bool

    @property
    def agrees(self) -> bool:
        return self.file_cost is None or self.file_cost == self.chain_cost


def catalogue(programme: Programme) -> list[CatalogueLine]:
    """Every reward the programme file names or the chain has a cost for (the file's ids,
    and any id a `RewardSet` event ever set)."""
    points = programme.points
    known = programme.programme_file.rewards if programme.programme_file else {}
    ids = set(known)
    for log in event_logs(programme.chain, points.RewardSet, programme.from_block):
        ids.add(int(log.rewardId))
    lines = []
    for reward_id in sorted(ids):
        entry = known.get(reward_id)
        lines.append(
            CatalogueLine(
                reward_id,
                int(points.rewardCost(reward_id)),
                entry.cost if entry else None,
                entry.name if entry else f"reward {reward_id} (not in the programme file)",
                entry.description if entry else "",
                entry.retired if entry else False,
            )
        )
    return lines


@dataclass(frozen=True)
class CatalogueChange:
    what: str
    sent: bool
    tx_hash: str | None = None
    block: int | None = None


def set_reward(programme: Programme, reward_id: int, cost: int, name: str) -> CatalogueChange:
    """Offer reward `reward_id` for `cost` points under `name`: the cost on chain, the name
    (and cost) in the programme file."""
    if reward_id < 1:
        raise InvalidField("ID", "a reward id is a whole number from 1")
    if cost < 1:
        raise InvalidField("COST", "a reward costs at least 1 point (`retire` takes one away)")
    if not name.strip():
        raise InvalidField("NAME", "is empty")
    editor = _editor(programme)
    change = _set_on_chain(programme, reward_id, cost, f"reward {reward_id} costs {cost:,} points")
    editor.set_reward(reward_id, cost, name.strip())
    return change


def retire_reward(programme: Programme, reward_id: int) -> CatalogueChange:
    """Stop offering a reward: cost 0 on chain (redeeming it is refused); the file keeps
    its name, marked retired, so past redemptions still show it."""
    editor = _editor(programme)
    known = programme.programme_file.rewards if programme.programme_file else {}
    current = int(programme.points.rewardCost(reward_id))
    if current == 0 and reward_id not in known:
        raise InvalidField("ID", f"reward {reward_id} is not offered and not in the catalogue")
    change = _set_on_chain(programme, reward_id, 0, f"reward {reward_id} retired")
    editor.set_reward(reward_id, 0, None if reward_id in known else f"reward {reward_id}", True)
    return change


def multipliers(programme: Programme) -> list[tuple[str, int, int | None]]:
    """Per tier: its name, the chain's basis points, the programme file's."""
    known = programme.programme_file.multipliers if programme.programme_file else {}
    return [
        (name, int(programme.points.multiplierBps(tier)), known.get(tier))
        for tier, name in TIERS.items()
    ]


def set_multiplier(programme: Programme, tier: int, bps: int) -> CatalogueChange:
    if not 0 < bps <= MAX_MULTIPLIER_BPS:
        raise InvalidField("BPS", f"basis points from 1 to {MAX_MULTIPLIER_BPS:,} (10000 = 1.00x)")
    editor = _editor(programme)
    what = f"{TIERS[tier]} multiplier {bps:,} bps ({bps / 10_000:.2f}x)"
    points = programme.points
    if int(points.multiplierBps(tier)) == bps:
        change = CatalogueChange(f"{what}: the chain already holds it", False)
    else:
        _require_admin(programme)
        receipt = _send(lambda: points.setTierMultiplier(tier, bps, sender=programme.sender), what)
        change = CatalogueChange(what, True, tx_hex(receipt.txn_hash), int(receipt.block_number))
    editor.set_multiplier(tier, bps)
    return change


def _set_on_chain(programme: Programme, reward_id: int, cost: int, what: str) -> CatalogueChange:
    points = programme.points
    if int(points.rewardCost(reward_id)) == cost:
        return CatalogueChange(f"{what}: the chain already holds it", False)
    _require_admin(programme)
    receipt = _send(lambda: points.setReward(reward_id, cost, sender=programme.sender), what)
    return CatalogueChange(what, True, tx_hex(receipt.txn_hash), int(receipt.block_number))


def _editor(programme: Programme) -> ProgrammeFileEditor:
    path = settings().programme_file
    if programme.programme_file is None:
        raise ConfigError(
            f"{path} is missing: the catalogue's names live in the programme file; copy "
            "examples/programme.toml there (or set MEMBERLEDGER_PROGRAMME) first"
        )
    return ProgrammeFileEditor(path)


def _require_admin(programme: Programme) -> None:
    points, sender = programme.points, str(programme.sender.address)
    if programme.registry.paused():
        raise ChainRejected(
            "the contracts are paused, so the chain would refuse: `ape run roles unpause` first"
        )
    if not points.hasRole(b"\x00" * 32, sender):
        raise ChainRejected(
            f"{sender} is not the admin of the points token (the admin is "
            f"{points.defaultAdmin()}), so the chain would refuse: sign with the admin's "
            "account (--account)"
        )


def _send(transaction: Callable[[], Any], what: str) -> Any:
    try:
        return transaction()
    except (ContractLogicError, TransactionError) as exc:
        raise ChainRejected(f"the chain refused {what}: {revert_reason(exc)}") from exc
