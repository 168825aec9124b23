"""A member's history from the index (`memberledger.ops.history`): in words for the operator,
and as the member page's operator source reads it (`GET <historyUrl>/<wallet>`)."""

from __future__ import annotations

import json

from index_kit import Life, OpenIndex, live_a_month


def test_member_history_tells_each_event_with_checksummed_addresses(
    open_index: OpenIndex, life: Life
) -> None:
    from memberledger.ops.history import member_history

    live_a_month(life, "words")
    index = open_index()
    index.catch_up()
    member = life.members[0]

    events = member_history(index, member.address.lower())

    assert [e.name for e in events][:4] == [
        "MemberEnrolled",
        "ConsentChanged",
        "ConsentChanged",
        "PointsCredited",
    ]
    assert events[1].summary.endswith("(policy v1, given at enrollment)")
    assert events[2].summary.endswith("(policy v1, the member)")
    assert events[3].summary == "+150 points credited"
    skipped = member_history(index, life.members[1].address)
    assert any(e.summary.endswith("the membership was suspended") for e in skipped)
    transfer = next(e for e in events if e.name == "Transfer")
    assert transfer.arguments["to"] == life.members[1].address  # EIP-55, as everywhere
    assert transfer.summary == f"-10 points to {life.members[1].address}"
    assert [(e.block, e.log_index) for e in events] == sorted(
        (e.block, e.log_index) for e in events
    )


def test_history_document_is_what_the_member_page_reads(open_index: OpenIndex, life: Life) -> None:
    from memberledger.ops.history import history_document

    live_a_month(life, "page")
    index = open_index()
    index.catch_up()

    document = json.loads(json.dumps(history_document(index, life.members[0].address)))

    first = document["events"][0]
    assert set(first) == {
        "eventName",
        "args",
        "blockNumber",
        "logIndex",
        "transactionHash",
        "timestamp",
    }
    assert first["eventName"] == "MemberEnrolled"
    assert first["args"]["member"] == life.members[0].address
    assert first["args"]["tier"] == "2" and first["blockNumber"].isdigit()
    mint = document["events"][3]
    assert (mint["eventName"], mint["args"]["value"]) == ("Transfer", "150")
