"""A development node (Anvil, or a Hardhat node) on a free local port, for the benchmark and
the tests: each of them needs a chain of its own, so none may assume port 8545 is free, and
each must wait until the node answers before deploying to it.

Also the address of the operator's persistent local node (`make node`), from the one setting
`MEMBERLEDGER_NODE_HOST`: `python -m memberledger.chain.local_node` prints the options that
start Anvil there, so `make node`, `make demo`, `make serve` and `ethereum:local:foundry`
(ape-config.yaml) all agree on it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from web3 import Web3

from memberledger.errors import ConfigError
from memberledger.settings import settings

#: Seconds a node may take to answer its first request.
START_SECONDS = 30.0
#: Seconds a node may take to stop once asked.
STOP_SECONDS = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def anvil_command(port: int, *options: str) -> list[str]:
    return ["anvil", "--port", str(port), "--silent", *options]


def start_node(
    command: Sequence[str],
    url: str,
    *,
    timeout: float = START_SECONDS,
    cwd: Path | None = None,
    quiet: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `command` and return once `url` answers JSON-RPC. `quiet` discards what the node
    prints, except that its error output goes into the `RuntimeError` raised (after the node
    is killed) when it exits early or does not answer within `timeout` seconds."""
    node = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.PIPE if quiet else None,
    )
    deadline = time.monotonic() + timeout
    while not Web3(Web3.HTTPProvider(url)).is_connected():
        if node.poll() is not None or time.monotonic() > deadline:
            node.kill()
            printed = node.stderr.read().decode(errors="replace") if node.stderr else ""
            raise RuntimeError(f"{command[0]} did not start at {url}: {printed}".rstrip(": "))
        time.sleep(0.05)
    return node


def stop_node(node: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait for the node to exit (Anvil writes its `--state` file on the way)."""
    if node.poll() is None:
        node.terminate()
        node.wait(timeout=STOP_SECONDS)


@contextmanager
def running_anvil(*options: str, cwd: Path | None = None) -> Iterator[str]:
    """An Anvil with these command-line options on a free port, for the duration of the
    block: its URL."""
    port = free_port()
    url = local_url(port)
    node = start_node(anvil_command(port, *options), url, cwd=cwd)
    try:
        yield url
    finally:
        stop_node(node)


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


if __name__ == "__main__":  # `make node`: the options, for the shell to pass on to Anvil
    try:
        print(" ".join(persistent_node_options()))
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
