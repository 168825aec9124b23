"""The four groups, as the registry's and `MembershipProofs`' events define them.

The rule, which anyone can apply to the chain alone (`ape run proofs audit` does):

- A member's status and tier follow the registry's events in chain order (enrolled: Active
  at the enrolled tier; suspended, reinstated, revoked, left, erased; tier changed).
- A member's identity commitment is the one in their latest `IdentityRegistered` event;
  erasure forgets it (an erased wallet can never come back).
- Group 0 holds the commitments of Active members with an identity; group g (1..3) those of
  Active members of tier >= g.
- Within a group, commitments are ordered by the position (block, log index) of the
  registration that counts; a commitment already in the group (two wallets registered the
  same one) is kept once, at its first position.

The leaves of each group at block B are the rule applied to every event up to and including
block B; `RootsPublished(B, roots, sizes)` must carry the LeanIMT roots of exactly those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from memberledger.proofs.events import ChainEvent
from memberledger.tiers import TIERS

GROUP_COUNT = 4
#: Registry status numbers (`IMembershipRegistry.Status`).
ACTIVE, SUSPENDED, REVOKED, ERASED, MOVED = 1, 2, 3, 4, 5
#: The status each registry event leaves a member in (MemberEnrolled and TierChanged aside).
STATUS_AFTER: dict[str, int] = {
    "MemberSuspended": SUSPENDED,
    "MemberReinstated": ACTIVE,
    "MemberRevoked": REVOKED,
    "MemberLeft": REVOKED,
    "MemberErased": ERASED,
}


@dataclass
class GroupReplay:
    """The registry and identity state after the events applied so far (in chain order)."""

    status: dict[str, tuple[int, int]] = field(default_factory=dict)
    identity: dict[str, tuple[int, tuple[int, int]]] = field(default_factory=dict)
    applied_through: tuple[int, int] = (-1, -1)

    def apply(self, event: ChainEvent) -> None:
        if event.position <= self.applied_through:
            raise ValueError(f"events out of order at block {event.block}")
        self.applied_through = event.position
        name = event.name
        member = str(event.subject)
        if name == "MemberEnrolled":
            self.status[member] = (ACTIVE, int(event.args[1]))
        elif name == "TierChanged":
            status, _ = self.status.get(member, (0, 0))
            self.status[member] = (status, int(event.args[1]))
        elif name in STATUS_AFTER:
            _, tier = self.status.get(member, (0, 0))
            after = STATUS_AFTER[name]
            self.status[member] = (after, 0 if after == ERASED else tier)
            if after == ERASED:
                self.identity.pop(member, None)
        elif name == "MemberMoved":
            # The record goes to the new wallet (which registers an identity of its own);
            # the old wallet is a tombstone, in no group (`completeMove`).
            self.status[str(event.args[0])] = self.status.get(member, (0, 0))
            self.status[member] = (MOVED, 0)
        elif name == "IdentityRegistered":
            self.identity[member] = (int(event.args[0]), event.position)

    def apply_through(self, events: Sequence[ChainEvent], block: int, start: int = 0) -> int:
        """Apply `events[start:]` up to and including `block`; the index of the first event
        left unapplied."""
        index = start
        while index < len(events) and events[index].block <= block:
            if events[index].name != "RootsPublished":
                self.apply(events[index])
            index += 1
        return index

    def leaves(self) -> list[list[int]]:
        """The identity commitments of each group, in the rule's order."""
        ordered = sorted(self.identity.items(), key=lambda item: item[1][1])
        groups: list[list[int]] = [[] for _ in range(GROUP_COUNT)]
        seen: list[set[int]] = [set() for _ in range(GROUP_COUNT)]
        for member, (commitment, _) in ordered:
            status, tier = self.status.get(member, (0, 0))
            if status != ACTIVE:
                continue
            for group in range(min(tier, GROUP_COUNT - 1) + 1):
                if commitment not in seen[group]:
                    seen[group].add(commitment)
                    groups[group].append(commitment)
        return groups

    def members(self) -> list[str]:
        return sorted(self.status)


def group_name(group: int) -> str:
    """A group in words, for tables and the page: 0 'active members', 2 'gold or higher'."""
    if group == 0:
        return "active members"
    return f"{TIERS.get(group, str(group))} or higher"
