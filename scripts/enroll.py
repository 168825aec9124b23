"""ape run enroll FILE.csv: enroll the members of a CSV file (vault first, then the chain)."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.console import Console

from memberledger.enrollment import enroll_file
from memberledger.journal import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from memberledger.operator import reports_errors
from memberledger.programme import open_programme
from memberledger.tables import deliveries_table, enrollment_summary


@click.command(cls=ConnectedProviderCommand, short_help="Enroll the members of a CSV file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Enroll the valid rows and write the invalid ones' errors to the rejects file, "
    "instead of refusing the whole file.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-invalid writes line,field,reason (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH_SIZE),
    help="Members per enrollBatch transaction.",
)
@click.option(
    "--account", "alias", help="Ape account that signs (default locally: test account 0)."
)
@reports_errors
def cli(
    file: Path, skip_invalid: bool, rejects: Path | None, batch_size: int, alias: str | None
) -> None:
    """Enroll the members listed in FILE.

    Columns: member_id,wallet,full_name,email (required) and phone,birth_date,tier,
    consent_marketing,consent_analytics,consent_partners (optional; consents are
    yes/no, true/false or 1/0). The whole file is checked first; any bad row is reported with
    its line and field and nothing is stored or sent (unless --skip-invalid). Personal data
    goes into the encrypted vault (MEMBERLEDGER_VAULT); only a salted commitment, consent and
    tier go on chain. Running the same file again is safe: members already enrolled are
    skipped, and a run that was interrupted is finished without enrolling anyone twice.
    """
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = enroll_file(
            programme, file, skip_invalid=skip_invalid, rejects_path=rejects, batch_size=batch_size
        )
    console.print(enrollment_summary(result))
    if result.deliveries:
        console.print(deliveries_table(result.deliveries))
