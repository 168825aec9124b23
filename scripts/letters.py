"""ape run letters MEMBER...|--all-new --output DIR: welcome letters, printable HTML."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.errors import ConfigError
from memberledger.ops.letters import programme_facts, write_letters
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Write members' welcome letters (HTML)")
@click.argument("members", nargs=-1)
@click.option(
    "--all-new",
    is_flag=True,
    help="Every enrolled member without a letter for their current record (new members, "
    "and members whose data changed).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the letters (created readable by you only).",
)
@click.option("--account", "alias", help="Ape account (unused: this command only reads).")
@reports_errors
def cli(members: tuple[str, ...], all_new: bool, output: Path, alias: str | None) -> None:
    """Write a welcome letter per member (ids or wallets), or per new member with --all-new:
    their member id and wallet, the salt for "Check my data", how to connect MetaMask, what is
    and is not on chain, and their privacy rights and how to use them.

    Letters are HTML pages that print as they show (print to PDF from a browser). They hold
    personal data and the salt: they are written only when asked, readable by you only, and
    never logged. Hand each to its member only."""
    if not members and not all_new:
        raise ConfigError("name the MEMBERS to write letters for, or pass --all-new")
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        written = write_letters(
            programme, list(members), output, programme_facts(programme), all_new=all_new
        )
    for letter in written:
        console.print(f"{letter.member_id}: {letter.path}", highlight=False)
    console.print(
        f"{len(written)} letter{'s' if len(written) != 1 else ''} written"
        if written
        else "nothing to do: every enrolled member has the letter for their current record"
    )
