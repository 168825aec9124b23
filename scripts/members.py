"""ape run members ...: change a membership after day one (tier, suspension, revocation,
changed personal data, a lost wallet), one member at a time or from a changes file."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.cli.boundary import OperatorCommand, OperatorGroup, reports_errors
from memberledger.cli.confirm import confirm_by_typing
from memberledger.cli.render import action_line, actions_table
from memberledger.ops.change_batches import DEFAULT_BATCH_SIZE
from memberledger.ops.changes import apply_changes_file
from memberledger.ops.letters import programme_facts, write_letters
from memberledger.ops.lifecycle import (
    change_tier,
    reinstate_member,
    revoke_member,
    suspend_member,
    update_member,
)
from memberledger.ops.move import move_member
from memberledger.programme import open_programme
from memberledger.tiers import parse_tier

LETTERS_DIR = Path("data/letters")

account_option = click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)


@click.group(cls=OperatorGroup, short_help="Change a membership: tier, suspension, data, ...")
def cli() -> None:
    """Change memberships after day one. Each command reads what the chain holds first: one
    already true sends nothing and says so, one the chain would refuse is refused with what to
    do instead. The signing account needs the registrar role."""


@cli.command("tier", cls=OperatorCommand, short_help="Give a member another tier")
@click.argument("member")
@click.argument("tier")
@account_option
@reports_errors
def tier_command(member: str, tier: str, alias: str | None) -> None:
    """Give MEMBER the tier TIER (basic, silver, gold, platinum or 0-3): their future credits
    use its multiplier. MEMBER is a member id or a wallet address."""
    number = parse_tier(tier)
    with open_programme(project, chain, accounts, alias) as programme:
        outcome = change_tier(programme, member, number)
    Console().print(action_line(outcome), highlight=False)


@cli.command(cls=OperatorCommand, short_help="Suspend a membership (points frozen)")
@click.argument("member")
@click.option("--reason", help="Why (kept sealed in the vault, never on chain).")
@account_option
@reports_errors
def suspend(member: str, reason: str | None, alias: str | None) -> None:
    """Suspend MEMBER: no credit, redemption or transfer of their points until `members
    reinstate`. The reason is kept encrypted in the vault and erased with the member's data.
    MEMBER is a member id or a wallet address."""
    with open_programme(project, chain, accounts, alias) as programme:
        outcome = suspend_member(programme, member, reason)
    Console().print(action_line(outcome), highlight=False)


@cli.command(cls=OperatorCommand, short_help="Lift a suspension")
@click.argument("member")
@account_option
@reports_errors
def reinstate(member: str, alias: str | None) -> None:
    """Make a suspended MEMBER active again. MEMBER is a member id or a wallet address."""
    with open_programme(project, chain, accounts, alias) as programme:
        outcome = reinstate_member(programme, member)
    Console().print(action_line(outcome), highlight=False)


@cli.command(cls=OperatorCommand, short_help="End a membership")
@click.argument("member")
@account_option
@reports_errors
def revoke(member: str, alias: str | None) -> None:
    """End MEMBER's membership (the wallet may be enrolled again later). Personal data stays
    in the vault until `ape run erase`. MEMBER is a member id or a wallet address."""
    with open_programme(project, chain, accounts, alias) as programme:
        outcome = revoke_member(programme, member)
    Console().print(action_line(outcome), highlight=False)


@cli.command(cls=OperatorCommand, short_help="Change a member's personal data")
@click.argument("member")
@click.option("--name", "full_name", help="The full name, as the member writes it.")
@click.option("--email", help="The e-mail address.")
@click.option("--phone", help='The phone number with its country code ("" removes it).')
@click.option("--birth-date", help='YYYY-MM-DD ("" removes it).')
@click.option(
    "--letters",
    "letters_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=LETTERS_DIR,
    show_default=True,
    help="Folder for the member's new letter (created readable by you only).",
)
@account_option
@reports_errors
def update(
    member: str,
    full_name: str | None,
    email: str | None,
    phone: str | None,
    birth_date: str | None,
    letters_dir: Path,
    alias: str | None,
) -> None:
    """MEMBER's personal data changed: it is checked, sealed again in the vault under a fresh
    salt, the commitment on chain is rotated to match, and the member's new letter (with the
    new salt) is written. Give only what changed. Run it again with no option to finish an
    update that was interrupted. MEMBER is a member id or a wallet address."""
    changes = {
        name: value
        for name, value in (
            ("full_name", full_name),
            ("email", email),
            ("phone", phone),
            ("birth_date", birth_date),
        )
        if value is not None
    }
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        outcome = update_member(programme, member, changes)
        letters = []
        if outcome.letter_due:
            letters = write_letters(
                programme, [outcome.member_id], letters_dir, programme_facts(programme)
            )
    console.print(action_line(outcome.action), highlight=False)
    if outcome.changed_fields:
        console.print(f"changed: {', '.join(outcome.changed_fields)}")
    for letter in letters:
        console.print(f"new letter for {letter.member_id}: {letter.path}", highlight=False)


@cli.command("apply", cls=OperatorCommand, short_help="Carry out a changes file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--letters",
    "letters_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=LETTERS_DIR,
    show_default=True,
    help="Folder for the new letters of members whose data changed.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Status and tier rows per transaction (about 8,300 gas a row).",
)
@account_option
@reports_errors
def apply_command(file: Path, letters_dir: Path, batch_size: int, alias: str | None) -> None:
    """Carry out the rows of FILE (columns member,action,value): tier, suspend (value: the
    reason), reinstate, revoke, name, email, phone, birth_date. The whole file is checked
    first, against the vault and the chain, and any problem is reported with its line and
    nothing is sent. Then a member's data rows become one update (one transaction each), and
    the tier and status rows go out in file order, many to a transaction (--batch-size); a
    member who changed since the check is skipped and reported. Each row done is recorded:
    running the same file again skips it."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = apply_changes_file(programme, file, batch_size)
        letters = (
            write_letters(programme, result.letters_due, letters_dir, programme_facts(programme))
            if result.letters_due
            else []
        )
    if result.skipped_lines:
        console.print(
            f"{len(result.skipped_lines)} row(s) were carried out by an earlier run of this "
            f"file: skipped (lines {', '.join(map(str, result.skipped_lines))})"
        )
    if result.outcomes:
        console.print(actions_table(result.outcomes, f"Changes of {file.name}"))
    if skipped := result.skipped_by_chain:
        console.print(
            f"{len(skipped)} row(s) skipped by the chain, the member having changed since the "
            f"check: {', '.join(skipped)}",
            highlight=False,
        )
    elif not result.skipped_lines:
        console.print("nothing to do: the file has no rows")
    for letter in letters:
        console.print(f"new letter for {letter.member_id}: {letter.path}", highlight=False)


@cli.command("move", cls=OperatorCommand, short_help="Move a membership to a new wallet")
@click.argument("member")
@click.argument("new_wallet", required=False)
@click.option("--complete", is_flag=True, help="Complete the pending move (after the delay).")
@click.option("--cancel", is_flag=True, help="Cancel the pending move.")
@click.option("--yes", is_flag=True, help="Do not ask to type the member id to confirm.")
@click.option(
    "--letters",
    "letters_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=LETTERS_DIR,
    show_default=True,
    help="Folder for the member's new letter once the move is complete.",
)
@account_option
@reports_errors
def move_command(
    member: str,
    new_wallet: str | None,
    complete: bool,
    cancel: bool,
    yes: bool,
    letters_dir: Path,
    alias: str | None,
) -> None:
    """MEMBER lost their wallet: move the membership (record, consent, tier, since, points)
    to NEW_WALLET; the old wallet can never be used again.

    \b
    Step 1 proposes the move on chain. For the registry's move delay the member's old wallet
    can veto it (if it was not lost but stolen, say) and a registrar can cancel it (--cancel).
    Step 2, run the same command again (or --complete) after the delay: the move completes,
    the points are carried over, the vault's record follows, and the new letter is written.
    You are asked to type the member id to confirm, unless --yes."""
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        if not (yes or cancel):
            confirm_by_typing(programme, member, "move", console)
        outcome = move_member(programme, member, new_wallet, complete=complete, cancel=cancel)
        letters = (
            write_letters(programme, [outcome.member_id], letters_dir, programme_facts(programme))
            if outcome.letter_due
            else []
        )
    console.print(
        f"{outcome.member_id}: {outcome.old_wallet} -> {outcome.new_wallet or '?'} "
        f"({outcome.state})",
        highlight=False,
    )
    for step in outcome.steps:
        sent = f"; tx {step.tx_hash}, block {step.block}" if step.tx_hash else ""
        console.print(f"{outcome.member_id}: {step.what}{sent}", highlight=False)
    for letter in letters:
        console.print(f"new letter for {letter.member_id}: {letter.path}", highlight=False)
