"""What the member page needs for private proofs, served by the member site.

- `GET /proofs/groups/<n>.json`: the published group n as the chain defines it (its leaves
  in order, root, size, the block through which it was built). The page builds the Merkle
  path itself from all leaves, so the server never learns which member is proving.
- the page's `config.json` gains a `proofs` entry: the contract, the tree depth, where the
  proving files are (copied by web/build.mjs into the page's own folder, `zk/`), the groups'
  URL and the minimum group size below which the page warns.

Groups are rebuilt from the chain's events for the published block and kept until the next
publication (one rebuild per publication, not per request).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from memberledger.chain.rpc import NodeClient, node_url
from memberledger.proofs.deployment import ProofsDeployment, attach_proofs, proofs_manifest_path
from memberledger.proofs.groups import GROUP_COUNT
from memberledger.proofs.publish import groups_at, read_publication
from memberledger.proofs.settings import TREE_DEPTH, proof_settings
from memberledger.site.identity_relay import IDENTITY_RELAY_PATH, IdentityRelay
from memberledger.site.relay import RelaySettings

GROUPS_PATH = "/proofs/groups/"
#: Where web/build.mjs puts the depth's proving files, relative to the page.
ARTIFACTS_URL = f"zk/semaphore-{TREE_DEPTH}"


@dataclass
class ProofsSite:
    """The groups of the latest publication, as JSON bodies, rebuilt when it changes."""

    node: NodeClient
    deployment: ProofsDeployment
    proofs: Any
    min_group: int
    relay: IdentityRelay | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _cached_block: int = field(default=-1, init=False, repr=False)
    _bodies: list[bytes] = field(default_factory=list, init=False, repr=False)

    def page_config(self) -> dict[str, Any]:
        return {
            "address": self.deployment.proofs,
            "depth": TREE_DEPTH,
            "wasmUrl": f"{ARTIFACTS_URL}.wasm",
            "zkeyUrl": f"{ARTIFACTS_URL}.zkey",
            "groupsUrl": GROUPS_PATH,
            "minGroup": self.min_group,
            "relayUrl": IDENTITY_RELAY_PATH if self.relay else None,
        }

    def group_body(self, group: int) -> bytes | None:
        """The JSON of published group `group`, or None if there is no such group."""
        if not 0 <= group < GROUP_COUNT:
            return None
        with self._lock:
            publication = read_publication(self.proofs)
            if publication.through_block != self._cached_block:
                self._bodies = self._build(publication.through_block, publication.roots)
                self._cached_block = publication.through_block
            return self._bodies[group]

    def _build(self, through_block: int, roots: tuple[int, ...]) -> list[bytes]:
        if through_block == 0:
            leaves: list[list[int]] = [[] for _ in range(GROUP_COUNT)]
        else:
            leaves = groups_at(self.node.clone(), self.deployment, through_block).leaves
        return [
            json.dumps(
                {
                    "group": group,
                    "throughBlock": through_block,
                    "root": str(roots[group]),
                    "size": len(members),
                    "leaves": [str(leaf) for leaf in members],
                }
            ).encode()
            for group, members in enumerate(leaves)
        ]


def open_proofs_site(
    project: Any,
    chain: Any,
    registry: Any,
    relay_sender: Any | None,
    limits: RelaySettings,
) -> ProofsSite | None:
    """The private-proofs part of the member site, when proofs are deployed on this chain;
    with `relay_sender`, gas-free identity registrations are relayed as that account."""
    if not proofs_manifest_path(int(chain.chain_id)).exists():
        return None
    deployment, proofs = attach_proofs(project, chain)
    node = NodeClient(node_url(chain.provider))
    relay = (
        IdentityRelay(proofs, registry, relay_sender, int(chain.chain_id), limits)
        if relay_sender is not None
        else None
    )
    return ProofsSite(node, deployment, proofs, proof_settings().min_group, relay)
