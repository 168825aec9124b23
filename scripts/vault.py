"""ape run vault prune|archive|compact: keep the vault small over the years;
ape run vault copy-to-postgresql: move a programme from its SQLite file to PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.bulk.chain_credits import require_known_credits
from memberledger.bulk.progress import row_progress
from memberledger.cli.boundary import reports_errors
from memberledger.cli.render import compaction_table, retention_table, vault_copy_table
from memberledger.errors import ConfigError
from memberledger.ops.upkeep import compact_vault, prune_journal
from memberledger.programme import open_programme
from memberledger.settings import settings
from memberledger.store.database import Database
from memberledger.store.retention import DEFAULT_DEPTH, RetentionPolicy
from memberledger.store.transfer import copy_vault, rows_to_copy

_OLDER_THAN = click.option(
    "--older-than",
    "days",
    default=90.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Only batches confirmed more than this many days ago.",
)
_CONFIRMATIONS = click.option(
    "--confirmations",
    default=DEFAULT_DEPTH,
    show_default=True,
    type=click.IntRange(1),
    help="Only batches mined at least this many blocks below the chain's head. The default "
    "lies below the window in which enroll and issue_rewards still re-check confirmed batches "
    "for a reorganisation; lower it only on a chain that cannot reorganise that deep. Either "
    "way a batch leaves only once the journal has compared the chain's credit batches past it "
    "(done first, up to 256 blocks below the head).",
)


@click.group(short_help="Retention and compaction of the vault")
def cli() -> None:
    """Keep the vault small: confirmed journal rows leave it once the chain answers for them
    (archived to a file first, or pruned), and `compact` gives their space back.

    \b
    ape run vault archive --older-than 90 --to /backups/memberledger --network ...
    ape run vault prune --older-than 90 --network ...
    ape run vault compact

    A removed reward event can never be credited again: its event id, wallet and points stay
    in the vault (about 70 bytes, against about 300 for the journal row).
    """


@cli.command(cls=ConnectedProviderCommand, short_help="Archive, then remove, old journal rows")
@_OLDER_THAN
@_CONFIRMATIONS
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the archive (default: journal-archive/ beside the vault).",
)
@reports_errors
def archive(days: float, confirmations: int, folder: Path | None) -> None:
    """Write the confirmed journal batches older than --older-than days (and at least
    --confirmations blocks deep) to a new gzip'd JSON Lines file, readable by you only, and
    once it is safely on disk remove them from the vault's journal."""
    console = Console()
    policy = RetentionPolicy(dt.timedelta(days=days), confirmations)
    with open_programme(project, chain, accounts, console=console) as programme:
        target = folder or programme.database.path.with_name("journal-archive")
        require_known_credits(programme)  # the chain's credits first: see prune_journal
        outcome = prune_journal(programme, policy, archive_to=target)
    console.print(retention_table(outcome, "Journal archived"))


@cli.command(cls=ConnectedProviderCommand, short_help="Remove old journal rows, no archive")
@_OLDER_THAN
@_CONFIRMATIONS
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reports_errors
def prune(days: float, confirmations: int, yes: bool) -> None:
    """Remove the confirmed journal batches older than --older-than days (and at least
    --confirmations blocks deep) from the vault, keeping no copy of their transactions (use
    `archive` to keep one)."""
    console = Console()
    policy = RetentionPolicy(dt.timedelta(days=days), confirmations)
    question = f"Remove journal batches confirmed more than {days:g} days ago, keeping no archive?"
    if not yes and not click.confirm(question, default=False):
        console.print("Nothing removed.")
        return
    with open_programme(project, chain, accounts, console=console) as programme:
        require_known_credits(programme)  # the chain's credits first: see prune_journal
        outcome = prune_journal(programme, policy)
    console.print(retention_table(outcome, "Journal pruned"))


@cli.command(short_help="Give the space of removed rows back")
@reports_errors
def compact() -> None:
    """Rebuild the vault file (MEMBERLEDGER_VAULT) without the space removed or erased rows
    left behind, and print its size before and after. Needs as much free disk space as the
    vault takes, and no enroll or issue_rewards running on it."""
    database = Database(settings().vault_path)
    try:
        Console().print(compaction_table(compact_vault(database)))
    finally:
        database.close()


@cli.command("copy-to-postgresql", short_help="Copy the SQLite vault into PostgreSQL")
@reports_errors
def copy_to_postgresql() -> None:
    """Copy the vault file (MEMBERLEDGER_VAULT) into the empty PostgreSQL database of
    MEMBERLEDGER_DATABASE_URL: members, send journal and everything else, row for row, in one
    transaction (a failed copy leaves the database empty). The sealed records are copied as
    they are: every machine of the programme needs the same MEMBERLEDGER_VAULT_KEY. The file
    is left as it was; the chain index is rebuilt in the database on the first read.

    \b
    MEMBERLEDGER_DATABASE_URL=postgresql://USER:PASSWORD@HOST:PORT/DATABASE \\
        ape run vault copy-to-postgresql
    """
    config = settings()
    if not config.database_url:
        raise ConfigError(
            "set MEMBERLEDGER_DATABASE_URL to the PostgreSQL database to copy the vault into "
            "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
        )
    path = config.vault_path
    if not path.exists():
        raise ConfigError(f"no vault file at {path} (MEMBERLEDGER_VAULT) to copy")
    console = Console()
    source = Database(path, url="")
    try:
        target = Database(path, url=config.database_url)
        try:
            with row_progress(console, "copying", rows_to_copy(source)) as advance:
                copies = copy_vault(source, target, on_rows=advance)
        finally:
            target.close()
    finally:
        source.close()
    console.print(vault_copy_table(path, copies))
    console.print(
        "[green]copied.[/] Every machine of the programme now sets MEMBERLEDGER_DATABASE_URL "
        "and the same MEMBERLEDGER_VAULT_KEY; keep the file as the switch's backup, then "
        "retire it (it holds the members' sealed records)."
    )
