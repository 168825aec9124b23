"""Development nodes (Anvil, a Hardhat node) on free local ports, and the promise that none of
them outlives what started it.

The benchmark, the demo and the tests each need a chain of their own, so none may assume port
8545 is free, and each must wait until its node answers before deploying to it. A node must
also stop when they stop, however they stop: a leaked node keeps a port, memory (Anvil grows
with every block it seals) and a CPU busy until someone notices. So every node started here

- runs in a process group (a session) of its own, and is stopped as a group: SIGTERM to every
  process in it, SIGKILL to whatever is left after `STOP_SECONDS`. `npx hardhat node` starts
  a second process (the real node) under npx; stopping npx alone left that one running;
- is kept in a registry until it is stopped: at interpreter exit (`atexit`, which also runs
  after Ctrl-C), on SIGTERM or SIGHUP (when nothing else has claimed those signals), every
  node still registered is stopped;
- is sent SIGTERM by the kernel if the thread that started it dies without any of the above
  (SIGKILL, a crash): `PR_SET_PDEATHSIG`, Linux only. Start nodes from a thread that lives as
  long as they should (the main thread, in every caller of this module);
- carries `LOCAL_NODE_SESSION` in its environment, inherited by the processes it starts, so a
  test session can look for any node of its own still alive at the end (`leftover_nodes`),
  even one reparented to init.

Also the address of the operator's persistent local node (`make node`), from the one setting
`MEMBERLEDGER_NODE_HOST`: `python -m memberledger.chain.local_node` prints the options that
start Anvil there, so `make node`, `make demo`, `make serve` and `ethereum:local:foundry`
(ape-config.yaml) all agree on it.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from web3 import Web3

from memberledger.errors import ConfigError
from memberledger.settings import settings

#: Seconds a node may take to answer its first request.
START_SECONDS = 30.0
#: Seconds a node may take to stop after SIGTERM (Anvil writes its `--state` file on the way)
#: before its group is killed.
STOP_SECONDS = 30.0
#: The environment variable every node started here carries, and passes on to its children.
SESSION_VARIABLE = "LOCAL_NODE_SESSION"
#: What a node's command line contains (how `leftover_nodes` tells nodes from other children).
NODE_PROGRAMS = ("anvil", "hardhat")

_PR_SET_PDEATHSIG = 1
_running: dict[int, subprocess.Popen[bytes]] = {}
_registry_lock = threading.RLock()  # re-entered by the signal handler
_cleanup_installed = False
_previous_handlers: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def anvil_command(port: int, *options: str) -> list[str]:
    return ["anvil", "--port", str(port), "--silent", *options]


def hardhat_command(port: int, project: Path, *options: str) -> list[str]:
    """A Hardhat node of the project's pinned `hardhat` (npm), run by Node.js directly: one
    process, where `npx hardhat node` is two (npx, and the node under it)."""
    node = shutil.which("node")
    cli = project / "node_modules" / "hardhat" / "internal" / "cli" / "bootstrap.js"
    if node is None or not cli.is_file():
        raise RuntimeError(f"no Hardhat to start: need `node` on PATH and {cli} (run make setup)")
    return [node, str(cli), "node", "--hostname", "127.0.0.1", "--port", str(port), *options]


def session_tag() -> str:
    """This process's node session: inherited from the parent that started it if it has one
    (a script run by a test belongs to the test's session), else new; set in the environment
    so that every child process inherits it."""
    tag = os.environ.get(SESSION_VARIABLE)
    if not tag:
        tag = f"{os.getpid()}-{time.time_ns()}"
        os.environ[SESSION_VARIABLE] = tag
    return tag


def start_node(
    command: Sequence[str],
    url: str,
    *,
    timeout: float = START_SECONDS,
    cwd: Path | None = None,
    quiet: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `command` in a process group of its own and return once `url` answers JSON-RPC.
    `quiet` discards what the node prints, except that its error output goes into the
    `RuntimeError` raised (after the node's group is killed) when it exits early or does not
    answer within `timeout` seconds. Stop it with `stop_node` (or leave that to the registry
    at exit)."""
    _install_cleanup()
    environment = {**os.environ, SESSION_VARIABLE: session_tag()}
    parent = os.getpid()
    node = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.PIPE if quiet else None,
        start_new_session=True,
        preexec_fn=_die_with_parent(parent),  # takes no lock: see the function
    )
    with _registry_lock:
        _running[node.pid] = node
    deadline = time.monotonic() + timeout
    while not Web3(Web3.HTTPProvider(url)).is_connected():
        if node.poll() is not None or time.monotonic() > deadline:
            stop_node(node, timeout=0)
            printed = node.stderr.read().decode(errors="replace") if node.stderr else ""
            raise RuntimeError(f"{command[0]} did not start at {url}: {printed}".rstrip(": "))
        time.sleep(0.05)
    return node


def stop_node(
    node: subprocess.Popen[bytes],
    *,
    timeout: float = STOP_SECONDS,
    how: signal.Signals = signal.SIGTERM,
) -> None:
    """Send `how` (SIGTERM: Anvil saves its `--state` on the way) to the node's whole process
    group, wait up to `timeout` seconds for the node to exit, then SIGKILL what is left of the
    group. Returns once no process of the group is alive. Stopping a stopped node does
    nothing."""
    with _registry_lock:
        _running.pop(node.pid, None)
    group = node.pid  # the session leader: its pid is the group's id
    _signal_group(group, how)
    with suppress(subprocess.TimeoutExpired):
        node.wait(timeout=timeout)
    _signal_group(group, signal.SIGKILL)
    node.wait()
    deadline = time.monotonic() + 5.0
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.02)  # children of the leader, reparented to init, being reaped


def stop_all(timeout: float = STOP_SECONDS) -> None:
    """Stop every node this process started and has not stopped."""
    while True:
        with _registry_lock:
            if not _running:
                return
            node = next(iter(_running.values()))
        stop_node(node, timeout=timeout)


def running_nodes() -> list[int]:
    """Pids of the nodes this process started and has not stopped."""
    with _registry_lock:
        return list(_running)


@contextmanager
def running_node(
    command: Sequence[str],
    url: str,
    *,
    timeout: float = START_SECONDS,
    cwd: Path | None = None,
    quiet: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """`start_node`, stopped (as a group) when the block ends, however it ends."""
    node = start_node(command, url, timeout=timeout, cwd=cwd, quiet=quiet)
    try:
        yield node
    finally:
        stop_node(node)


@contextmanager
def running_anvil(*options: str, cwd: Path | None = None, quiet: bool = False) -> Iterator[str]:
    """An Anvil with these command-line options on a free port, for the duration of the
    block: its URL."""
    port = free_port()
    url = local_url(port)
    with running_node(anvil_command(port, *options), url, cwd=cwd, quiet=quiet):
        yield url


def node_address(node_host: str | None = None) -> tuple[str, int]:
    """Host and port of `MEMBERLEDGER_NODE_HOST` ("http://127.0.0.1:8545" by default)."""
    text = node_host or settings().node_host
    if text == "auto":
        raise ConfigError(
            "MEMBERLEDGER_NODE_HOST is 'auto' (a throw-away node on a free port, for tests): "
            "set it to http://HOST:PORT for a persistent node"
        )
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ConfigError(
            f"MEMBERLEDGER_NODE_HOST {text!r} is not http://HOST:PORT (e.g. http://127.0.0.1:8545)"
        )
    return parts.hostname, port


def persistent_node_options(node_host: str | None = None) -> list[str]:
    """Anvil's options for the operator's persistent node: the configured host and port."""
    host, port = node_address(node_host)
    return ["--host", host, "--port", str(port)]


@dataclass(frozen=True)
class LeftoverNode:
    """A node process of this session still alive: its pid, parent and command line."""

    pid: int
    parent: int
    command: str


def leftover_nodes(tag: str | None = None, *, ignore: Sequence[int] = ()) -> list[LeftoverNode]:
    """Node processes (Anvil, Hardhat) still alive whose environment carries the node session
    `tag` (default: this process's): the ones this process started and every one started by
    its children, including those whose parent has died. `ignore` lists pids not to report
    (a node someone else stops later, such as Ape's own test provider)."""
    tag = tag or session_tag()
    marker = f"{SESSION_VARIABLE}={tag}".encode()
    found: list[LeftoverNode] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (os.getpid(), *ignore):
            continue
        try:
            environment = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            status = (entry / "stat").read_text()
        except OSError:  # gone meanwhile, or another user's
            continue
        fields = status.rsplit(")", 1)[1].split()
        if fields[0] == "Z" or marker not in environment.split(b"\0"):
            continue
        if any(program in command for program in NODE_PROGRAMS):
            found.append(LeftoverNode(int(entry.name), int(fields[1]), command))
    return found


def kill_leftovers(leftovers: Sequence[LeftoverNode]) -> None:
    """SIGKILL each leftover node (after reporting them, so the next run starts clean)."""
    for leftover in leftovers:
        with suppress(ProcessLookupError):
            os.kill(leftover.pid, signal.SIGKILL)


def _signal_group(group: int, how: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, how)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """What the child runs between fork and exec: ask the kernel for SIGTERM when the thread
    that forked it dies, and exit at once if that happened already. `prctl` is looked up
    here, before the fork, so the child takes no lock (no import, no logging)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the registry and the signals remain
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    term = int(signal.SIGTERM)

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, term, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def _install_cleanup() -> None:
    """Once per process: stop registered nodes at exit, and on SIGTERM or SIGHUP unless the
    program handles those itself (then it is its job to unwind, and `atexit` still runs)."""
    global _cleanup_installed
    if _cleanup_installed:
        return
    _cleanup_installed = True
    atexit.register(stop_all, 5.0)
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            _previous_handlers[number] = signal.signal(number, _stop_then_die)


def _stop_then_die(number: int, frame: FrameType | None) -> None:
    """Stop every node, then end the process the way the signal would have."""
    stop_all(timeout=5.0)
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)


if __name__ == "__main__":  # `make node`: the options, for the shell to pass on to Anvil
    try:
        print(" ".join(persistent_node_options()))
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
