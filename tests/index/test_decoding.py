"""The catalogue of events: every event of the project's ABIs classified and stored
losslessly; the hand decoder agrees with eth_abi on real logs."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi.abi import decode
from index_kit import Life, catalogue_of, live_a_month

from memberledger.chain.rpc import NodeClient
from memberledger.errors import ChainIndexError
from memberledger.index.decoding import (
    ACTOR_FIELDS,
    SLOTS,
    WALLET_FIELDS,
    ZERO_WALLET,
    event_spec,
)


def test_every_address_field_of_every_event_is_classified(registry: Any, points: Any) -> None:
    unclassified = [
        f"{spec.contract_name}.{spec.name}.{f.name}"
        for spec in catalogue_of(registry, points).specs.values()
        for f in spec.fields
        if f.type == "address" and f.name not in WALLET_FIELDS | ACTOR_FIELDS
    ]

    assert not unclassified, (
        "say whether these fields name the member an event is about (WALLET_FIELDS) or "
        f"someone who acted (ACTOR_FIELDS) in memberledger/index/decoding.py: {unclassified}"
    )


def test_the_hand_decoder_agrees_with_eth_abi_on_real_logs(
    life: Life, node: NodeClient, registry: Any, points: Any
) -> None:
    live_a_month(life, "decoder")
    catalogue = catalogue_of(registry, points)
    logs = node.call(
        "eth_getLogs",
        {
            "address": [str(registry.address), str(points.address)],
            "fromBlock": "0x0",
            "toBlock": "latest",
        },
    )

    decoded = [catalogue.decode(log) for log in logs]

    assert len(decoded) > 30 and None not in decoded
    for log, event in zip(logs, decoded, strict=True):
        assert event is not None
        spec = event.spec
        data = decode(
            [f.type for f in spec.fields if not f.indexed], bytes.fromhex(log["data"][2:])
        )
        expected = iter(data)
        topics = iter(log["topics"][1:])
        for f, value in zip(spec.fields, event.values, strict=True):
            want = _plain(f.type, next(topics) if f.indexed else next(expected), f.indexed)
            assert value == want, (spec.name, f.name)


def _plain(abi_type: str, value: Any, from_topic: bool) -> Any:
    if from_topic:
        word = bytes.fromhex(value[2:])
        (value,) = decode([abi_type], word)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if abi_type == "address":
        return str(value).lower()
    return int(value)


def test_columns_give_back_the_values_they_were_made_from(registry: Any, points: Any) -> None:
    chooser = random.Random(7)
    for spec in catalogue_of(registry, points).specs.values():
        for _ in range(20):  # every mix of zero and other wallets of a Transfer
            values = tuple(_random_value(f.type, chooser) for f in spec.fields)

            assert spec.values_from(spec.columns(values)) == values, spec.name
            row = spec.make_row(7, 3, 2, values)
            placed = dict(zip(spec.stored_slots, row[3:], strict=True))
            assert row[:3] == (7, 3, 2)
            assert [placed.get(slot) for slot in range(len(SLOTS))] == spec.columns(values)


def _random_value(abi_type: str, chooser: random.Random) -> Any:
    if abi_type == "address":
        return chooser.choice([ZERO_WALLET, "0x" + chooser.randbytes(20).hex()])
    if abi_type.startswith("bytes"):
        return "0x" + chooser.randbytes(int(abi_type[5:])).hex()
    if abi_type == "bool":
        return chooser.randint(0, 1)
    return chooser.choice([0, 1, 2**256 - 1, chooser.getrandbits(64)])


def test_an_event_with_a_dynamic_field_is_decoded_by_eth_abi() -> None:
    from eth_abi.abi import encode

    item = {
        "type": "event",
        "name": "Noted",
        "inputs": [
            {"name": "member", "type": "address", "indexed": True},
            {"name": "note", "type": "string", "indexed": False},
            {"name": "amount", "type": "uint256", "indexed": False},
        ],
    }
    spec = event_spec(0, item)
    member = "0x" + "ab" * 20
    data = "0x" + encode(["string", "uint256"], ["hello", 5]).hex()

    values = spec.decode_values([spec.topic, "0x" + "00" * 12 + "ab" * 20], data)

    assert values == (member, "hello", 5)
    assert spec.values_from(spec.columns(values)) == values


def test_an_event_with_more_fields_than_columns_is_refused() -> None:
    item = {
        "type": "event",
        "name": "Crowded",
        "inputs": [{"name": f"n{i}", "type": "uint256", "indexed": False} for i in range(5)],
    }

    with pytest.raises(ChainIndexError, match="more number fields"):
        event_spec(0, item)
