"""ape run journal rebuild: record in the send journal what the chain credited that it lacks."""

from __future__ import annotations

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.bulk.chain_credits import rebuild_journal
from memberledger.bulk.progress import block_progress
from memberledger.cli.boundary import reports_errors
from memberledger.cli.render import rebuild_table, skipped_credits_table
from memberledger.programme import open_programme
from memberledger.store.journal import BatchKind
from memberledger.store.lock import shared_run


@click.command(cls=ConnectedProviderCommand, short_help="Rebuild the send journal from the chain")
@click.argument("action", type=click.Choice(["rebuild", "skipped"]))
@click.option(
    "--account",
    "alias",
    help="Ape account whose credits are ours (default locally: test account 0).",
)
@reports_errors
def cli(action: str, alias: str | None) -> None:
    """Keep the send journal (in the vault file) true to the chain.

    \b
    ape run journal rebuild   read every credit batch the chain applied since the journal
                              last looked; record those it does not know (their events, by
                              tag, as credited or skipped). Needed after the vault was
                              restored from a backup or lost, or when another machine credits
                              this programme with its own journal; issue_rewards refuses to
                              send until it is done.
    ape run journal skipped   the credits the chain skipped (member not active) that wait
                              for `ape run issue_rewards --retry-skipped`
    """
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        if action == "skipped":
            console.print(
                skipped_credits_table(
                    programme.journal.skipped_credits(), "Skipped credits, waiting"
                )
            )
            return
        with shared_run(programme.database, BatchKind.CREDIT.value, "a journal rebuild"):
            head = programme.node.block_number()
            with block_progress(
                console, "reading credit batches", programme.from_block, head
            ) as seen:
                rebuilt = rebuild_journal(programme, seen)
    console.print(rebuild_table(rebuilt))
