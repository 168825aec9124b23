"""ape run enroll FILE.csv: enroll the members of a CSV file (vault first, then the chain)."""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from rich.console import Console

from memberledger.bulk.enrollment import enroll_file
from memberledger.chain.gas import ENROLL_GAS
from memberledger.cli.boundary import OperatorCommand, reports_errors
from memberledger.cli.options import bulk_options, run_options
from memberledger.cli.render import deliveries_table, enrollment_summary, estimate_table
from memberledger.programme import open_programme


@click.command(cls=OperatorCommand, short_help="Enroll the members of a CSV file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@bulk_options(ENROLL_GAS, "Members")
@reports_errors
def cli(file: Path, alias: str | None, **options: object) -> None:
    """Enroll the members listed in FILE.

    Columns: member_id,wallet,full_name,email (required) and phone,birth_date,tier,
    consent_marketing,consent_analytics,consent_partners (optional; consents are
    yes/no, true/false or 1/0). The whole file is checked first; any bad row is reported with
    its line and field and nothing is stored or sent (unless --skip-invalid). Personal data
    goes into the encrypted vault (MEMBERLEDGER_VAULT); only a salted commitment, consent and
    tier go on chain, in batches, several transactions in flight. Running the same file again
    is safe: members already enrolled are skipped, and a run that was interrupted (even
    killed) is finished without enrolling anyone twice. One run per vault at a time.
    """
    console = Console()
    with open_programme(project, chain, accounts, alias, console=console) as programme:
        result = enroll_file(programme, file, run_options(**options))  # type: ignore[arg-type]
    console.print(enrollment_summary(result))
    if result.estimate is not None:
        console.print(estimate_table(result.estimate, "enrollBatch"))
    if result.deliveries:
        console.print(deliveries_table(result.deliveries))
