"""Fault-injection fixtures: a private Anvil each test module may kill and restart (its
state persisted to a file), and an operator whose scripts can be killed at any instant.

Each test module gets its own node and vault, so a test that breaks things on purpose never
disturbs another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_kit import Node, operator_for
from operator_kit import Operator


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder = tmp_path_factory.mktemp("node")
    anvil = Node(folder / "state.json", ["--block-time", "0.25"])
    anvil.start()
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture(scope="module")
def operator(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Operator:
    return operator_for(node.url, tmp_path_factory.mktemp("operator"))
