"""Bulk work eases the garbage collector, and leaves it as it found it."""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from memberledger.bulk.gc_easing import (
    BULK_YOUNG_THRESHOLD,
    collector_eased,
    ease_collector_in_worker,
)


def test_collector_eased_freezes_the_heap_and_restores_everything_after() -> None:
    before = gc.get_threshold()
    with collector_eased():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (BULK_YOUNG_THRESHOLD, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_collector_eased_restores_the_collector_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collector_eased():
        raise RuntimeError("the run failed")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def _collector_state() -> tuple[int, int]:
    return gc.get_freeze_count(), gc.get_threshold()[0]


def test_validation_workers_freeze_what_they_inherit() -> None:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=ease_collector_in_worker) as pool:
        frozen, threshold = pool.submit(_collector_state).result()
    assert frozen > 1000  # the test process's own heap, inherited
    assert threshold == BULK_YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0  # the parent is untouched
