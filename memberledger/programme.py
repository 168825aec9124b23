"""The loyalty programme an operator works on: one chain, its two contracts, one vault.

Every script after `deploy` opens the programme the same way: settings from the environment
(or `.env`), the deployment manifest of the connected chain, the vault and its send journal,
and (only when something is signed) the operator's account.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dotenv import find_dotenv, load_dotenv
from rich.console import Console
from rich.markup import escape

from memberledger.calldata import ErrorDecoder
from memberledger.courier import BatchTarget, Courier, SendSettings
from memberledger.deployment import Deployment, attach
from memberledger.journal import Journal
from memberledger.operator import is_development_chain, operator_account
from memberledger.rpc import NodeClient, node_url
from memberledger.signer import Signer, signer_for
from memberledger.vault import Vault

PHONE_REGION_VARIABLE = "MEMBERLEDGER_PHONE_REGION"


@dataclass
class Programme:
    """What a script works with; `sender` is resolved on first use, so read-only scripts
    never need an account."""

    chain: Any
    accounts: Any
    deployment: Deployment
    registry: Any
    points: Any
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
        """The node itself, for bulk work (see `memberledger.rpc`)."""
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

    def courier(self, target: BatchTarget, settings: SendSettings) -> Courier:
        return Courier(
            self.journal, self.vault, self.node, self.signer, target, self.errors, settings
        )


def phone_region() -> str | None:
    """`MEMBERLEDGER_PHONE_REGION` (e.g. "DE"): phone numbers may then omit the country code."""
    region = os.environ.get(PHONE_REGION_VARIABLE, "").strip().upper()
    return region or None


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
    load_dotenv(find_dotenv(usecwd=True))
    console = console or Console()
    deployment, registry, points = attach(project, chain, deployments_root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vault = Vault.open(vault_path, allow_dev_key=is_development_chain(chain.chain_id))
    for warning in caught:
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]warning:[/] {escape(str(warning.message))}", highlight=False
        )
    try:
        yield Programme(
            chain=chain,
            accounts=accounts,
            deployment=deployment,
            registry=registry,
            points=points,
            vault=vault,
            journal=Journal(vault),
            account_alias=account_alias,
            console=console,
        )
    finally:
        vault.close()
