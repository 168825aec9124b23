"""The programme's rules as they changed: the owner of `index_rules`.

Who holds which role, the privacy-policy versions, the reward catalogue's costs, the tier
multipliers, and the switches (paused, member-to-member transfers) are each a few dozen
events over a programme's life. They are kept as the events said them (rule, item, value,
in chain order) and the current state is folded when asked: the table stays append-only, so
a reorganisation only deletes rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memberledger.index.decoding import CONTRACTS, DecodedEvent
from memberledger.store.database import Database


@dataclass(frozen=True)
class RuleChange:
    block: int
    log_index: int
    rule: str
    item: str
    value: str


def changes_in(events: Iterable[DecodedEvent]) -> list[RuleChange]:
    """The rule changes a range of events makes."""
    found = []
    for event in events:
        spec, values = event.spec, event.values
        contract = CONTRACTS[spec.contract]
        rule: tuple[str, str, str] | None = None
        match spec.name:
            case "RoleGranted" | "RoleRevoked":
                role, account = spec.value(values, "role"), spec.value(values, "account")
                granted = "1" if spec.name == "RoleGranted" else "0"
                rule = ("role", f"{contract}:{role}:{account}", granted)
            case "PolicyPublished":
                version = spec.value(values, "version")
                rule = ("policy", str(version), str(spec.value(values, "documentHash")))
            case "RewardSet":
                rule = (
                    "reward",
                    str(spec.value(values, "rewardId")),
                    str(spec.value(values, "cost")),
                )
            case "TierMultiplierSet":
                rule = (
                    "multiplier",
                    str(spec.value(values, "tier")),
                    str(spec.value(values, "bps")),
                )
            case "TransfersEnabledSet":
                rule = ("transfers", contract, str(int(spec.value(values, "enabled"))))
            case "Paused" | "Unpaused":
                rule = ("paused", contract, "1" if spec.name == "Paused" else "0")
        if rule is not None:
            found.append(RuleChange(event.block, event.log_index, *rule))
    return found


@dataclass(frozen=True)
class RoleHolding:
    contract: str
    role: str
    account: str


class PolicyTimeline:
    """Which policy version was in force at each point of the chain."""

    def __init__(self, published: Sequence[tuple[int, int, int]] = ()) -> None:
        self._at: list[tuple[int, int]] = [(block, log) for block, log, _ in published]
        self._versions = [version for _, _, version in published]

    def extend(self, changes: Iterable[RuleChange]) -> None:
        for change in changes:
            if change.rule == "policy":
                self._at.append((change.block, change.log_index))
                self._versions.append(int(change.item))

    def __call__(self, block: int, log_index: int) -> int:
        """The version in force at (block, log index): the last published before it."""
        position = bisect.bisect_left(self._at, (block, log_index))
        return self._versions[position - 1] if position else 0


class RuleBook:
    """The rules' changes in the index's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, changes: Sequence[RuleChange]) -> None:
        self._db.executemany(
            "INSERT INTO index_rules (block, log_index, rule, item, value) VALUES (?, ?, ?, ?, ?)",
            [(c.block, c.log_index, c.rule, c.item, c.value) for c in changes],
        )

    def roll_back(self, after_block: int) -> None:
        self._db.execute("DELETE FROM index_rules WHERE block > ?", (after_block,))

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_rules")

    # ------------------------------------------------------------------ reading

    def current(self, rule: str) -> dict[str, str]:
        """Item -> its latest value, for one rule."""
        rows = self._db.rows(
            "SELECT item, value FROM index_rules WHERE rule = ? ORDER BY block, log_index",
            (rule,),
        )
        return {str(item): str(value) for item, value in rows}

    def role_holders(self) -> list[RoleHolding]:
        holders = []
        for item, value in self.current("role").items():
            if value == "1":
                contract, role, account = item.split(":")
                holders.append(RoleHolding(contract, role, account))
        return holders

    def rewards(self) -> dict[int, int]:
        """Reward id -> cost in points (0: withdrawn from the catalogue)."""
        return {int(item): int(value) for item, value in self.current("reward").items()}

    def multipliers(self) -> dict[int, int]:
        """Tier -> multiplier in basis points, for tiers whose multiplier was set."""
        return {int(item): int(value) for item, value in self.current("multiplier").items()}

    def policies(self) -> dict[int, str]:
        """Version -> document hash."""
        return {int(item): value for item, value in self.current("policy").items()}

    def switched_on(self, rule: str, contract: str) -> bool:
        return self.current(rule).get(contract) == "1"

    def policy_timeline(self) -> PolicyTimeline:
        rows = self._db.rows(
            "SELECT block, log_index, item FROM index_rules WHERE rule = 'policy' "
            "ORDER BY block, log_index"
        )
        return PolicyTimeline([(int(b), int(i), int(v)) for b, i, v in rows])
