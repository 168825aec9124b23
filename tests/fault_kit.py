"""What the fault-injection tests share: a node that can be killed and restarted with its
state kept, an operator for it, and scripts started in the background to be killed."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from operator_kit import ROOT, Operator, new_operator
from web3 import Web3

from memberledger.chain.local_node import (
    anvil_command,
    free_port,
    local_url,
    start_node,
    stop_node,
)


@dataclass
class Node:
    """An Anvil that keeps its chain in `state` across restarts on the same port."""

    state: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return local_url(self.port)

    def start(self) -> None:
        options = ["--state", str(self.state), "--state-interval", "1", *self.extra]
        self.process = start_node(anvil_command(self.port, *options), self.url)

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        """SIGTERM: Anvil writes its state on the way out; SIGKILL: it does not (the file
        then holds the state of up to a second before)."""
        if self.process is not None:
            stop_node(self.process, how=how)
        self.process = None

    def web3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url))


def operator_for(url: str, workdir: Path) -> Operator:
    """An operator with a fresh vault and manifest folder on the node at `url`, deployed."""
    return new_operator(url, workdir)


def start_script(operator: Operator, script: str, *args: str | Path) -> subprocess.Popen[str]:
    """`ape run SCRIPT ...` in the background, as an operator's terminal would run it."""
    command = ["ape", "run", script, *map(str, args), "--network", operator.url]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=operator.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_lock(operator: Operator, process: subprocess.Popen[str], timeout: float = 60) -> bool:
    """Wait until the script holds the vault's run lock (its real work has begun); False if
    it ended first."""
    lock = operator.vault_path.with_name(operator.vault_path.name + ".lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if f"pid {process.pid}," in lock.read_text():
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise AssertionError("the script never started its work")
