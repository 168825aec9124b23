"""The suite's watch over its nodes, as pytest hooks (`tests/conftest.py` takes them in): every
node started during the session is tagged, and the session fails at its very end if one is
still alive. A plugin module of its own so that a test can run it on a session that leaks.
"""

from __future__ import annotations

import pytest

from memberledger.chain.local_node import kill_leftovers, leftover_nodes, session_tag


def pytest_configure(config: pytest.Config) -> None:
    """Name this session's nodes before anything starts one: every node the tests start, and
    every node a script run by a test starts, carries the tag (see `local_node`)."""
    session_tag()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The last check of `make test`, after every fixture has been torn down: no node this
    session started (through `memberledger.chain.local_node`, directly or in a script it ran)
    may still be alive. Ape's own provider node is Ape's to stop, after this hook. A leftover
    fails the session, is named, and is killed so the next run starts clean."""
    leftovers = leftover_nodes(ignore=_ape_provider_pids())
    if not leftovers:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"  pid {n.pid} (parent {n.parent}): {n.command}" for n in leftovers]
    message = "node processes outlived the tests that started them:\n" + "\n".join(lines)
    if reporter is not None:
        reporter.write_line(message, red=True, bold=True)
    else:
        print(message)
    kill_leftovers(leftovers)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _ape_provider_pids() -> list[int]:
    """Nodes Ape started for `--network ethereum:local:foundry` (it stops them on unconfigure)."""
    from ape.api.networks import ProviderContextManager

    providers = ProviderContextManager.connected_providers.values()
    processes = (getattr(provider, "process", None) for provider in providers)
    return [int(process.pid) for process in processes if process is not None]
