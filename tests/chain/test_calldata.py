"""The hand-packed calldata of bulk sending, byte for byte against Ape's own encoder."""

from __future__ import annotations

from typing import Any

from memberledger.chain import calldata


def test_calldata_matches_apes_encoding(registry: Any, points: Any, members: list[Any]) -> None:
    wallets = [str(member.address) for member in members[:3]]
    rows = [(w, bytes([i + 1]) * 20, i, 3 - i) for i, w in enumerate(wallets)]
    batch = bytes.fromhex("ab" * 32)

    assert calldata.enroll_batch([calldata.Enrollment(*row) for row in rows]) == bytes(
        registry.enrollBatch.encode_input(rows)
    )
    assert calldata.credit(batch, wallets, [1, 2**64 - 1, 7]) == bytes(
        points.credit.encode_input(batch, wallets, [1, 2**64 - 1, 7])
    )
    assert calldata.statuses_and_tiers(wallets) == bytes(
        registry.statusesAndTiers.encode_input(wallets)
    )
    assert calldata.member_of(wallets[0]) == bytes(registry.memberOf.encode_input(wallets[0]))
