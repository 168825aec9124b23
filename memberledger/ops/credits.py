"""What a credit run actually paid: points after the tier multipliers, from the chain.

A rewards file holds base points; the token multiplies each by the member's tier multiplier
as it credits, and says how many points a batch minted in its `BatchCredited` event. The
operator is shown that figure, read back from the chain, not a sum computed off-chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from memberledger.chain import calldata
from memberledger.chain.logs import LogReader
from memberledger.programme import Programme


def credited_points(programme: Programme, batches: Sequence[tuple[str, int]]) -> int:
    """Points minted by the credit batches `(batch id, block)` (the tier multipliers
    applied), as their `BatchCredited` events say."""
    if not batches:
        return 0
    wanted = {batch_id.lower() for batch_id, _ in batches}
    first = min(block for _, block in batches)
    last = max(block for _, block in batches)
    total = 0
    reader = LogReader(programme.node)
    for chunk in reader.read(
        [programme.deployment.points], [calldata.BATCH_CREDITED_TOPIC, sorted(wanted)], first, last
    ):
        for log in chunk.logs:
            if str(log["topics"][1]).lower() in wanted:
                # data: count (uint256), total (uint256)
                total += int(str(log["data"])[2 + 64 : 2 + 128], 16)
    return total
