"""The chain index of one programme: opened beside its vault, brought up to date, read.

    with open_index(programme) as index:
        index.catch_up()                      # a progress bar when far behind
        index.member(wallet), index.history(wallet), index.redemptions(), ...

Every read command brings the index up to date first and then reads only from it: a report
of a million members is a few `GROUP BY`s instead of a million calls, and a member's history
is one indexed lookup instead of eth_getLogs from the deploy block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from rich.console import Console

from memberledger.chain.accounts import is_development_chain
from memberledger.chain.deployment import Deployment
from memberledger.chain.rpc import NodeClient
from memberledger.index.cursor import Position
from memberledger.index.decoding import Catalogue
from memberledger.index.events import StoredEvent
from memberledger.index.follower import CatchUp, Follower, OnRange, catch_up_progress
from memberledger.index.members import IndexedMember, PointTotals, StateCount
from memberledger.index.redemptions import Redemption
from memberledger.index.rules import RoleHolding
from memberledger.index.schema import INDEX_SCHEMA, index_path
from memberledger.programme import Programme
from memberledger.store.database import Database

#: Confirmations on a development chain (a block there is final once mined) and elsewhere
#: (Ethereum's proof of stake finalises in about two epochs, 64 blocks; reorganisations of
#: more than a few blocks have not happened since the merge).
DEVELOPMENT_CONFIRMATIONS = 1
PUBLIC_CONFIRMATIONS = 12


def default_confirmations(chain_id: int) -> int:
    return DEVELOPMENT_CONFIRMATIONS if is_development_chain(chain_id) else PUBLIC_CONFIRMATIONS


@dataclass(frozen=True)
class IndexStatus:
    path: Path
    read_block: int
    final_block: int
    events: int
    wallets: int


class ChainIndex:
    """The index's tables in their database, and the follower that fills them."""

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        node: NodeClient,
        origin: Position,
        *,
        confirmations: int,
        console: Console | None = None,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.confirmations = confirmations
        self.console = console
        self.follower = Follower(database, catalogue, node, origin)

    @classmethod
    def open(
        cls,
        path: Path,
        node: NodeClient,
        *,
        chain_id: int,
        registry: str,
        points: str,
        deploy_block: int,
        abis: tuple[list[dict[str, Any]], list[dict[str, Any]]],
        confirmations: int | None = None,
        console: Console | None = None,
    ) -> ChainIndex:
        catalogue = Catalogue([registry, points], abis)
        origin = Position(
            chain_id=chain_id,
            registry=registry,
            points=points,
            deploy_block=deploy_block,
            catalogue=catalogue.fingerprint,
            read_block=deploy_block - 1,
            read_hash=None,
            final_block=deploy_block - 1,
        )
        database = Database(path, INDEX_SCHEMA)
        return cls(
            database,
            catalogue,
            node,
            origin,
            confirmations=confirmations or default_confirmations(chain_id),
            console=console,
        )

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ following

    def catch_up(
        self, on_range: OnRange | None = None, stop: Callable[[], bool] | None = None
    ) -> CatchUp:
        """Bring the index up to the chain's head (a progress bar on the console when it
        takes more than a moment). Says so when a reorganisation was rolled back. `stop`,
        asked after each range, ends it early."""
        bar = (
            catch_up_progress(self.console)
            if self.console is not None and on_range is None
            else nullcontext(on_range)
        )
        with bar as hear:
            done = self.follower.catch_up(self.confirmations, hear, stop)
        if self.console is not None:
            for note in notes(done):
                self.console.print(f"[yellow]index:[/] {note}", highlight=False)
        return done

    def rebuild(self, on_range: OnRange | None = None) -> CatchUp:
        """Drop every row and read the chain again from the deploy block."""
        self.follower.clear()
        return self.catch_up(on_range)

    def follow(
        self,
        interval: float,
        on_update: Callable[[CatchUp], None],
        stop: Callable[[], bool],
        sleep: Callable[[float], None],
    ) -> None:
        """Catch up, then again every `interval` seconds, until `stop()` (asked between
        ranges and between looks at the chain)."""
        while not stop():
            on_update(self.catch_up(stop=stop))
            waited = 0.0
            while waited < interval and not stop():
                sleep(min(0.1, interval))
                waited += 0.1

    def status(self) -> IndexStatus:
        position = self.follower.cursor.get()
        return IndexStatus(
            path=self.database.path,
            read_block=position.read_block if position else -1,
            final_block=position.final_block if position else -1,
            events=self.follower.events.count(),
            wallets=self.follower.members.count(),
        )

    # ------------------------------------------------------------------ reading

    def member(self, wallet: str) -> IndexedMember | None:
        return self.follower.members.get(wallet)

    def history(self, wallet: str) -> list[StoredEvent]:
        """Every event about `wallet`, oldest first."""
        return self.follower.events.of_wallet(wallet)

    def transaction_events(self, block: int, tx_hash: str) -> list[StoredEvent]:
        """Every event of one transaction, in log order."""
        return self.follower.events.in_transaction(block, tx_hash)

    def redemptions(self, member: str | None = None) -> Iterator[Redemption]:
        """Every redemption (of one member, if named), oldest first."""
        return self.follower.redemptions.redemptions(member)

    def redemptions_by_reward(self) -> dict[int, tuple[int, int]]:
        return self.follower.redemptions.by_reward()

    def weekly(self, series: str) -> list[tuple[int, int, int]]:
        """(week, group, value) of one of `memberledger.index.weekly.SERIES`, oldest first:
        counters the writer keeps, not a GROUP BY over the events."""
        return self.follower.weekly.series(series)

    def consent_weekly(self, flags: list[int]) -> list[tuple[int, list[int], list[int]]]:
        """Per week, the registry's consent changes that gave and withdrew each flag."""
        return self.follower.weekly.consent(flags)

    def state_counts(self) -> list[StateCount]:
        return self.follower.members.state_counts()

    def point_totals(self) -> PointTotals:
        return self.follower.members.point_totals()

    def members_in_chunks(self, chunk: int = 4_000) -> Iterator[list[IndexedMember]]:
        return self.follower.members.iter_all(chunk)

    def members_near(self, wallets: list[str]) -> list[IndexedMember]:
        return self.follower.members.at_or_after(wallets)

    def role_holders(self) -> list[RoleHolding]:
        return self.follower.rules.role_holders()

    def rewards(self) -> dict[int, int]:
        return self.follower.rules.rewards()

    def multipliers(self) -> dict[int, int]:
        return self.follower.rules.multipliers()

    def policies(self) -> dict[int, str]:
        return self.follower.rules.policies()

    def switched_on(self, rule: str, contract: str) -> bool:
        return self.follower.rules.switched_on(rule, contract)


def notes(done: CatchUp) -> list[str]:
    """What an operator should hear about a catch-up besides its figures."""
    said = []
    if done.rebuilt:
        said.append(f"rebuilt from the deploy block: {done.rebuilt}")
    for reorganisation in done.reorganisations:
        depth = (
            "deeper than the confirmations asked for, "
            if (reorganisation.deeper_than_confirmations)
            else ""
        )
        said.append(
            f"the chain reorganised ({depth}after block {reorganisation.fork_block:,}): "
            f"{reorganisation.rolled_back:,} blocks rolled back and read again"
        )
    return said


def abis_of(*contracts: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The registry's and the points token's ABIs (Ape contracts) as plain JSON items."""

    def items(contract: Any) -> list[dict[str, Any]]:
        return [abi.model_dump(mode="json", by_alias=True) for abi in contract.contract_type.abi]

    registry, points = contracts
    return items(registry), items(points)


@contextmanager
def open_index(
    programme: Programme,
    *,
    path: Path | None = None,
    confirmations: int | None = None,
    quiet: bool = False,
) -> Iterator[ChainIndex]:
    """The programme's index (`<vault>.index.db`), closed when the block ends. Its catch-ups
    show progress and notes on the standard error unless `quiet`."""
    with open_deployment_index(
        programme.node,
        programme.deployment,
        programme.registry,
        programme.points,
        path or index_path(programme.database.path),
        confirmations=confirmations,
        quiet=quiet,
    ) as index:
        yield index


@contextmanager
def open_deployment_index(
    node: NodeClient,
    deployment: Deployment,
    registry: Any,
    points: Any,
    path: Path,
    *,
    confirmations: int | None = None,
    quiet: bool = False,
) -> Iterator[ChainIndex]:
    """The index of a deployment (`registry` and `points` are its Ape contracts), for
    commands that read the chain without opening the vault (`roles list`)."""
    index = ChainIndex.open(
        path,
        node,
        chain_id=deployment.chain_id,
        registry=deployment.registry,
        points=deployment.points,
        deploy_block=deployment.deploy_block,
        abis=abis_of(registry, points),
        confirmations=confirmations,
        console=None if quiet else Console(stderr=True, soft_wrap=True),
    )
    try:
        yield index
    finally:
        index.close()
