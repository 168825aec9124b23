"""Starting a development node: a node that dies or never answers is a clear error, not a
hang, and is not left running; a node never outlives what started it, whether that stops
normally, on Ctrl-C, on SIGTERM or killed outright, and whether the node is one process or
a launcher with the real node under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web3 import Web3

from memberledger.chain.local_node import (
    SESSION_VARIABLE,
    anvil_command,
    free_port,
    leftover_nodes,
    local_url,
    running_nodes,
    start_node,
    stop_node,
)

ROOT = Path(__file__).resolve().parents[2]
#: A script that starts its own Anvil, says where, and waits to be stopped.
HOLDS_A_NODE = (
    "import signal, sys, time\n"
    # As started from a terminal: a suite run under `nohup` passes SIGHUP on ignored, and a
    # program that ignores SIGHUP is rightly not stopped by it.
    "signal.signal(signal.SIGHUP, signal.SIG_DFL)\n"
    "from memberledger.chain.local_node import running_anvil\n"
    "with running_anvil() as url:\n"
    "    print(url, flush=True)\n"
    "    time.sleep(300)\n"
)
#: A test that starts a node and forgets to stop it.
LEAKS_A_NODE = (
    "from memberledger.chain.local_node import anvil_command, free_port, local_url, start_node\n"
    "def test_leaks():\n"
    "    port = free_port()\n"
    "    start_node(anvil_command(port), local_url(port))\n"
    "    print('leaked port', port)\n"
)


def _nodes_on(port: int) -> list[int]:
    """Pids of this session's live node processes listening on `port`."""
    return [node.pid for node in leftover_nodes() if f"--port {port}" in node.command]


def _gone_within(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _nodes_on(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _answers(url: str) -> bool:
    return bool(Web3(Web3.HTTPProvider(url)).is_connected())


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
    assert process.pid not in running_nodes()


def test_stop_node_stops_a_launcher_and_the_node_under_it() -> None:
    """The npx case: the launcher's own child is the node; stopping must take both."""
    port = free_port()
    launcher = ["sh", "-c", " ".join(anvil_command(port)) + " & wait"]
    node = start_node(launcher, local_url(port))
    assert len(_nodes_on(port)) == 2  # the launcher (its command line names anvil) and anvil

    stop_node(node)

    assert _nodes_on(port) == []
    assert node.pid not in running_nodes()


def test_leftover_nodes_finds_a_node_until_it_is_stopped() -> None:
    port = free_port()
    node = start_node(anvil_command(port), local_url(port))

    assert _nodes_on(port) == [node.pid]
    assert node.pid in running_nodes()  # (beside the nodes of session fixtures)
    stop_node(node)
    assert _nodes_on(port) == []
    assert node.pid not in running_nodes()


@pytest.mark.parametrize(
    "how",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
    ids=["ctrl-c", "sigterm", "sighup", "sigkill"],
)
def test_a_program_stopped_by_a_signal_takes_its_node_along(how: signal.Signals) -> None:
    program = subprocess.Popen(
        [sys.executable, "-c", HOLDS_A_NODE], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert program.stdout is not None
        port = int(program.stdout.readline().strip().rsplit(":", 1)[1])
        assert len(_nodes_on(port)) == 1

        program.send_signal(how)
        program.wait(timeout=30)

        assert _gone_within(port, 10), f"the node on {port} outlived its program ({how.name})"
    finally:
        program.kill()
        program.wait()


def test_a_session_that_leaves_a_node_running_fails_at_its_end(tmp_path: Path) -> None:
    """The suite's own last check (tests/node_watch.py), run on a session that leaks."""
    (tmp_path / "test_leak.py").write_text(LEAKS_A_NODE)
    environment = {k: v for k, v in os.environ.items() if k != SESSION_VARIABLE}
    environment["PYTHONPATH"] = str(ROOT / "tests")

    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "node_watch", "-q", "-s", "test_leak.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert session.returncode == pytest.ExitCode.TESTS_FAILED, session.stdout + session.stderr
    assert "1 passed" in session.stdout  # the test itself passed: the watch failed the session
    assert "node processes outlived the tests that started them" in session.stdout
    port = int(session.stdout.split("leaked port ", 1)[1].split()[0])
    assert f"anvil --port {port}" in session.stdout
    assert not _answers(local_url(port))  # and the watch killed it
