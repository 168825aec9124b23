"""Starting a development node: a node that dies or never answers is a clear error, not a
hang, and is not left running."""

from __future__ import annotations

import subprocess
import sys

import pytest

from memberledger.chain.local_node import free_port, local_url, start_node


def test_a_node_that_exits_at_once_is_named_with_what_it_printed() -> None:
    command = [sys.executable, "-c", "import sys; sys.stderr.write('port in use'); sys.exit(3)"]
    with pytest.raises(
        RuntimeError, match=r"did not start at http://127\.0\.0\.1:\d+: port in use"
    ):
        start_node(command, local_url(free_port()), quiet=True)


def test_a_node_that_never_answers_is_killed_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def remember(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process = popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process  # type: ignore[no-any-return]

    monkeypatch.setattr(subprocess, "Popen", remember)
    command = [sys.executable, "-c", "import time; time.sleep(60)"]

    with pytest.raises(RuntimeError, match="did not start"):
        start_node(command, local_url(free_port()), timeout=0.5)

    (process,) = started
    assert process.wait(timeout=5) != 0  # killed, not left sleeping
