"""ape run index: follow the contracts' events into the chain index; rebuild it; verify it."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.cli.boundary import reports_errors
from memberledger.cli.render import audit_tables, catch_up_line
from memberledger.index.audit import audit
from memberledger.index.chain_index import open_index
from memberledger.index.follower import CatchUp
from memberledger.ops.verification import has_bulk_view
from memberledger.programme import open_programme

ACTIONS = ("update", "rebuild", "verify")


@click.command(cls=ConnectedProviderCommand, short_help="Follow the chain into the index")
@click.argument("action", type=click.Choice(ACTIONS), default="update")
@click.option(
    "--follow",
    is_flag=True,
    help="After catching up, keep following new blocks until interrupted (Ctrl-C).",
)
@click.option(
    "--interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="With --follow: seconds between looks at the chain.",
)
@click.option(
    "--confirmations",
    type=click.IntRange(1, 1000),
    help="Blocks (the block itself included) before a block counts as final "
    "[default: 1 on a development chain, 12 elsewhere].",
)
@click.option(
    "--sample",
    default=1_000,
    show_default=True,
    type=click.IntRange(1),
    help="verify: how many random wallets to compare with the contracts.",
)
@click.option("--all", "every", is_flag=True, help="verify: compare every wallet.")
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(
    action: str,
    follow: bool,
    interval: float,
    confirmations: int | None,
    sample: int,
    every: bool,
    alias: str | None,
) -> None:
    """The chain index: both contracts' events in a database beside the vault
    (`<vault>.index.db`), which every read command uses.

    \b
    ape run index                  catch up with the chain (a progress bar when far behind)
    ape run index --follow         and keep following it
    ape run index rebuild          drop everything and read the chain again
    ape run index verify [--all]   compare a sample (or all) with the contracts' storage

    The index is derived data: deleting its file loses nothing. Blocks with fewer than
    --confirmations are provisional; a reorganisation is noticed by block hash and rolled
    back, and one deeper than the confirmations is said out loud.
    """
    console = Console()
    with (
        open_programme(project, chain, accounts, alias, console=console) as programme,
        open_index(programme, confirmations=confirmations) as index,
    ):
        if action == "rebuild":
            console.print(catch_up_line(index.rebuild(), index.status()))
        else:
            console.print(catch_up_line(index.catch_up(), index.status()))
        if action == "verify":
            result = audit(
                index,
                programme.node,
                registry=programme.deployment.registry,
                points=programme.deployment.points,
                bulk_view=has_bulk_view(programme),
                sample=None if every else sample,
            )
            console.print(*audit_tables(result))
            if not result.ok:
                sys.exit(1)
            return
        if follow:

            def tell(done: CatchUp) -> None:
                if done.events or done.reorganisations:
                    console.print(catch_up_line(done, index.status()))

            # Ctrl-C (or SIGTERM) is heard between two ranges: the range being stored is
            # finished, so the index is consistent, and the next run carries on.
            index.follow(interval, tell, _interrupted(), time.sleep)
            console.print(f"stopped following at block {index.status().read_block:,}")


def _interrupted() -> Callable[[], bool]:
    """Whether Ctrl-C or SIGTERM has been received (from now on)."""
    received: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        received.append(number)

    signal.signal(signal.SIGINT, note)
    signal.signal(signal.SIGTERM, note)
    return lambda: bool(received)
