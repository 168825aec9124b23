"""The options `enroll` and `issue_rewards` share, and how they become `RunOptions`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from memberledger.bulk.courier import SendSettings
from memberledger.bulk.run import RunOptions
from memberledger.chain.gas import GasModel

F = TypeVar("F", bound=Callable[..., Any])

#: The most transactions a run keeps in flight. Anvil takes a thousand from one sender
#: without complaint; a public node's pool holds far fewer per sender (see --in-flight).
MAX_IN_FLIGHT = 1024


def bulk_options(gas: GasModel, unit: str) -> Callable[[F], F]:
    """--skip-invalid, --rejects, --batch-size, --confirmations, --in-flight, --stuck-after,
    --dry-run, --account."""

    def decorate(command: F) -> F:
        options = [
            click.option(
                "--skip-invalid",
                is_flag=True,
                help="Send the valid rows and write the invalid ones' errors to the rejects "
                "file, instead of refusing the whole file.",
            ),
            click.option(
                "--rejects",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Where --skip-invalid writes line,field,reason (default: FILE.rejects.csv).",
            ),
            click.option(
                "--batch-size",
                default=gas.default_batch,
                show_default=True,
                type=click.IntRange(1, gas.largest_batch),
                help=f"{unit} per transaction (at most {gas.largest_batch}, the most that fit "
                "the per-transaction gas cap).",
            ),
            click.option(
                "--confirmations",
                default=1,
                show_default=True,
                type=click.IntRange(1, 1000),
                help="Blocks (the transaction's own included) before a batch counts as done.",
            ),
            click.option(
                "--in-flight",
                default=8,
                show_default=True,
                type=click.IntRange(1, MAX_IN_FLIGHT),
                help="Transactions sent and not yet confirmed at any moment. About two "
                "blocks' worth keeps every block full: 2 x block gas limit / gas per "
                f"transaction (a default batch of {gas.default_batch} takes about "
                f"{gas.predict(gas.default_batch) / 1e6:.1f}M gas). A local Anvil with "
                "1G-gas blocks: 128 (what make bench uses). An L2: two of its blocks' gas "
                "over a batch's, and no more than its sequencer accepts from one sender. "
                "Mainnet: 4-8 (a block of 45-60M gas holds about three full batches, and "
                "geth's pool guarantees only 16 pending transactions per sender). At most "
                f"{MAX_IN_FLIGHT}.",
            ),
            click.option(
                "--stuck-after",
                default=30.0,
                show_default=True,
                type=click.FloatRange(0.1),
                help="Seconds before an unmined transaction is replaced with fees 12.5% higher.",
            ),
            click.option(
                "--dry-run",
                is_flag=True,
                help="Check the file and show the batches, gas and cost at today's fee; store "
                "and send nothing.",
            ),
            click.option(
                "--account",
                "alias",
                help="Ape account that signs (default locally: test account 0).",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def run_options(
    skip_invalid: bool,
    rejects: Path | None,
    batch_size: int,
    confirmations: int,
    in_flight: int,
    stuck_after: float,
    dry_run: bool,
) -> RunOptions:
    return RunOptions(
        skip_invalid=skip_invalid,
        rejects_path=rejects,
        batch_size=batch_size,
        dry_run=dry_run,
        send=SendSettings(
            confirmations=confirmations, in_flight=in_flight, stuck_after=stuck_after
        ),
    )
