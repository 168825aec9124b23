"""The loyalty programme an operator works on: one chain, its two contracts, one vault.

Every script after `deploy` opens the programme the same way: the settings, the deployment
manifest of the connected chain, the vault file with its vault and send journal, and (only
when something is signed) the operator's account. This is where the rooms meet: it may
import `store` and `chain`; `bulk` and `ops` work on the `Programme` it opens.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from memberledger.chain.accounts import is_development_chain, operator_account
from memberledger.chain.calldata import ErrorDecoder
from memberledger.chain.deployment import Deployment, attach
from memberledger.chain.rpc import NodeClient, node_url
from memberledger.chain.signer import Signer, signer_for
from memberledger.programme_file import ProgrammeFile, load_programme_file
from memberledger.settings import settings
from memberledger.store.access_log import AccessLog
from memberledger.store.changes_applied import ChangesApplied
from memberledger.store.database import Database
from memberledger.store.fulfilments import Fulfilments
from memberledger.store.journal import Journal
from memberledger.store.letters_sent import LettersSent
from memberledger.store.member_notes import MemberNotes
from memberledger.store.vault import Vault


@dataclass
class Programme:
    """What a script works with; `sender` is resolved on first use, so read-only scripts
    never need an account."""

    chain: Any
    accounts: Any
    deployment: Deployment
    registry: Any
    points: Any
    database: Database
    vault: Vault
    journal: Journal
    account_alias: str | None = None
    console: Console = field(default_factory=Console)

    @cached_property
    def sender(self) -> Any:
        return operator_account(self.accounts, self.chain.chain_id, self.account_alias)

    @property
    def from_block(self) -> int:
        """Where the programme's logs start: the registry's deploy block."""
        return self.deployment.deploy_block

    @cached_property
    def node(self) -> NodeClient:
        """The node itself, for bulk work (see `memberledger.chain.rpc`)."""
        console = Console(stderr=True, soft_wrap=True)
        return NodeClient(
            node_url(self.chain.provider),
            on_wait=lambda text: console.print(f"[yellow]warning:[/] {escape(text)}"),
        )

    @cached_property
    def signer(self) -> Signer:
        """Signs bulk transactions for `sender`, locally."""
        return signer_for(self.sender, self.chain.provider.network.ecosystem)

    @cached_property
    def errors(self) -> ErrorDecoder:
        """The two contracts' custom errors, to explain a refusal."""
        items = [
            abi.model_dump(mode="json", by_alias=True)
            for contract in (self.registry, self.points)
            for abi in contract.contract_type.abi
        ]
        return ErrorDecoder(items)

    @cached_property
    def fulfilments(self) -> Fulfilments:
        """Rewards handed out, recorded in the vault file."""
        return Fulfilments(self.database)

    @cached_property
    def changes_applied(self) -> ChangesApplied:
        """Rows of changes files already carried out (`members apply`)."""
        return ChangesApplied(self.database)

    @cached_property
    def access_log(self) -> AccessLog:
        """Who viewed which member's personal data on the staff dashboard, and why."""
        return AccessLog(self.database)

    @cached_property
    def letters_sent(self) -> LettersSent:
        return LettersSent(self.database)

    @cached_property
    def notes(self) -> MemberNotes:
        """The operator's sealed notes on members (a suspension's reason)."""
        return MemberNotes(self.database, self.vault.sealer)

    @cached_property
    def programme_file(self) -> ProgrammeFile | None:
        """The programme file (`MEMBERLEDGER_PROGRAMME`, else programme.toml): reward names,
        the page's facts. None when there is none; a file with mistakes is refused."""
        path = settings().programme_file
        return load_programme_file(path) if path.is_file() else None

    def reward_name(self, reward_id: int) -> str:
        """What the operator's lists call a reward: its name in the programme file."""
        found = self.programme_file
        return found.reward_name(reward_id) if found else f"reward {reward_id}"

    @property
    def phone_region(self) -> str | None:
        """`MEMBERLEDGER_PHONE_REGION` (e.g. "DE"): phone numbers may omit the country code."""
        return settings().phone_region


@contextmanager
def open_programme(
    project: Any,
    chain: Any,
    accounts: Any,
    account_alias: str | None = None,
    *,
    vault_path: Path | None = None,
    deployments_root: Path | None = None,
    console: Console | None = None,
) -> Iterator[Programme]:
    """The programme on the connected chain; the vault closes when the block ends.

    On a local development chain without `MEMBERLEDGER_VAULT_KEY`, the vault uses a
    development key kept beside it, and a warning says so.
    """
    console = console or Console()
    deployment, registry, points = attach(project, chain, deployments_root)
    database = Database(vault_path or settings().vault_path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            vault = Vault.open(
                database=database, allow_dev_key=is_development_chain(chain.chain_id)
            )
        for warning in caught:
            Console(stderr=True, soft_wrap=True).print(
                f"[yellow]warning:[/] {escape(str(warning.message))}", highlight=False
            )
        vault.bind_to(deployment.identity)
        yield Programme(
            chain=chain,
            accounts=accounts,
            deployment=deployment,
            registry=registry,
            points=points,
            database=database,
            vault=vault,
            journal=Journal(database),
            account_alias=account_alias,
            console=console,
        )
    finally:
        database.close()
