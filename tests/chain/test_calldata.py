"""The hand-packed calldata of bulk sending, byte for byte against Ape's own encoder, with
the packed rows checked against eth_abi's `encode_packed` (an independent packer)."""

from __future__ import annotations

from typing import Any

from eth_abi.packed import encode_packed

from memberledger.chain import calldata
from memberledger.identifiers import event_tag, packed_credit_rows


def test_calldata_matches_apes_encoding(registry: Any, points: Any, members: list[Any]) -> None:
    wallets = [str(member.address) for member in members[:3]]
    rows = [(w, bytes([i + 1]) * 20, i, 3 - i) for i, w in enumerate(wallets)]
    packed_enrollments = b"".join(
        encode_packed(["address", "bytes20", "uint16", "uint8"], row) for row in rows
    )
    credits = [(w, amount, event_tag(f"e-{i}")) for i, (w, amount) in enumerate(
        zip(wallets, [1, 2**64 - 1, 7], strict=True)
    )]  # fmt: skip
    packed_credits = b"".join(
        encode_packed(["address", "uint64", "bytes16"], row) for row in credits
    )

    assert calldata.enroll_batch([calldata.Enrollment(*row) for row in rows]) == bytes(
        registry.enrollBatch.encode_input(packed_enrollments)
    )
    assert packed_credit_rows(credits) == packed_credits
    assert calldata.credit(packed_credits) == bytes(points.credit.encode_input(packed_credits))
    assert calldata.statuses_and_tiers(wallets) == bytes(
        registry.statusesAndTiers.encode_input(wallets)
    )
    assert calldata.member_of(wallets[0]) == bytes(registry.memberOf.encode_input(wallets[0]))


def test_decode_credit_reads_back_the_rows_and_refuses_other_calls() -> None:
    rows = [("0x" + "ab" * 20, 5, event_tag("x")), ("0x" + "cd" * 20, 2**64 - 1, event_tag("y"))]
    data = calldata.credit(packed_credit_rows(rows))

    decoded = calldata.decode_credit(data)

    assert decoded is not None
    assert [(row.wallet.lower(), row.amount, row.tag) for row in decoded] == rows
    assert calldata.decode_credit(calldata.statuses_and_tiers(["0x" + "ab" * 20])) is None
    assert calldata.decode_credit(data[:-40]) is None
