"""`ape run proofs audit`: recompute every published root from the chain alone.

For each `RootsPublished(throughBlock, roots, sizes)` the groups are rebuilt from the
registry's and `MembershipProofs`' events up to and including `throughBlock` (the rule in
`memberledger.proofs.groups`) and their LeanIMT roots compared with what was published.
Nothing here trusts the operator's vault or database: only the node's logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memberledger.chain.rpc import NodeClient
from memberledger.proofs.deployment import ProofsDeployment
from memberledger.proofs.events import read_events
from memberledger.proofs.groups import GroupReplay
from memberledger.proofs.zk import group_roots


@dataclass(frozen=True)
class AuditedPublication:
    through_block: int
    published_in_block: int
    tx_hash: str
    published_roots: tuple[int, ...]
    published_sizes: tuple[int, ...]
    recomputed_roots: tuple[int, ...]
    recomputed_sizes: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return (
            self.published_roots == self.recomputed_roots
            and self.published_sizes == self.recomputed_sizes
        )

    @property
    def mismatched_groups(self) -> tuple[int, ...]:
        return tuple(
            g
            for g, (a, b, c, d) in enumerate(
                zip(
                    self.published_roots,
                    self.recomputed_roots,
                    self.published_sizes,
                    self.recomputed_sizes,
                    strict=True,
                )
            )
            if a != b or c != d
        )


@dataclass(frozen=True)
class AuditResult:
    publications: list[AuditedPublication]
    head: int

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.publications)


def audit(
    node: NodeClient,
    deployment: ProofsDeployment,
    on_blocks: Callable[[int], None] | None = None,
) -> AuditResult:
    """Every publication so far, each with the roots recomputed from the events."""
    head = node.block_number()
    events = read_events(
        node, deployment.registry, deployment.proofs, deployment.registry_block, head, on_blocks
    )
    publications = [e for e in events if e.name == "RootsPublished"]
    replay = GroupReplay()
    checked: list[AuditedPublication] = []
    cursor = 0
    for publication in publications:
        through = int(publication.subject)
        cursor = replay.apply_through(events, through, cursor)
        recomputed = group_roots(replay.leaves())
        roots, sizes = publication.args
        checked.append(
            AuditedPublication(
                through_block=through,
                published_in_block=publication.block,
                tx_hash=publication.tx_hash,
                published_roots=tuple(int(r) for r in roots),
                published_sizes=tuple(int(s) for s in sizes),
                recomputed_roots=recomputed.roots,
                recomputed_sizes=recomputed.sizes,
            )
        )
    return AuditResult(checked, head)
