"""The gas model of bulk sending against the committed gas snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memberledger.chain.gas import CREDIT_GAS, ENROLL_GAS

SNAPSHOT = Path(__file__).resolve().parents[2] / "snapshots" / "gas.json"


def test_gas_model_matches_the_snapshot() -> None:
    """The model predicts the snapshot's batches within 1%, and fits the cap."""
    snapshot = json.loads(SNAPSHOT.read_text())

    for model, one, hundred in (
        (ENROLL_GAS, "enroll_batch_1", "enroll_batch_100"),
        (CREDIT_GAS, "credit_batch_1_first", "credit_batch_100_first"),
    ):
        assert model.predict(1) == pytest.approx(snapshot[one], rel=0.01)
        assert model.predict(100) == pytest.approx(snapshot[hundred], rel=0.01)
    assert abs(ENROLL_GAS.largest_batch - snapshot["largest_enroll_batch"]) <= 5
    assert abs(CREDIT_GAS.largest_batch - snapshot["largest_credit_batch"]) <= 5
    for model in (ENROLL_GAS, CREDIT_GAS):
        assert model.default_batch < model.largest_batch
        assert model.gas_limit(model.largest_batch) <= 16_777_216
