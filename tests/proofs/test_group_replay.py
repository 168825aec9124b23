"""The groups as the registry's events leave them (`memberledger.proofs.groups.GroupReplay`):
a moved membership leaves every group with its old wallet and joins them with its new one
once that wallet registers an identity."""

from __future__ import annotations

from memberledger.proofs.events import ChainEvent
from memberledger.proofs.groups import ACTIVE, MOVED, GroupReplay

OLD = "0x" + "11" * 20
NEW = "0x" + "22" * 20


def _event(block: int, name: str, subject: str, *args: object) -> ChainEvent:
    return ChainEvent(block, 0, name, subject, tuple(args), "0x" + f"{block:064x}")


def test_a_moved_membership_leaves_the_groups_with_its_old_wallet() -> None:
    replay = GroupReplay()
    replay.apply(_event(1, "MemberEnrolled", OLD, b"\x00" * 20, 2))
    replay.apply(_event(2, "IdentityRegistered", OLD, 111))
    assert replay.leaves() == [[111], [111], [111], []]

    replay.apply(_event(3, "MemberMoved", OLD, NEW))

    assert replay.status[OLD] == (MOVED, 0)
    assert replay.status[NEW] == (ACTIVE, 2)
    assert replay.leaves() == [[], [], [], []]
    replay.apply(_event(4, "IdentityRegistered", NEW, 222))
    assert replay.leaves() == [[222], [222], [222], []]
