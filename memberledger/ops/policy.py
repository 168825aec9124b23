"""Publishing a new privacy policy: its hash goes on chain, its text is kept and served.

Members give consent against a policy version; the registry keeps each version's SHA-256,
so anyone holding a text can check which version it is. Publishing keeps the exact text
beside the deployment manifest (`<chain id>.policies/v<N>.md`) and records it in the
manifest, and the member page serves and links that text. Publishing the text that is
already current sends nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.deployment import keep_policy_document, save_manifest
from memberledger.chain.reads import revert_reason, tx_hex
from memberledger.errors import ChainRejected, ConfigError
from memberledger.programme import Programme

#: A policy text larger than this is not a privacy policy (and would not be served whole).
MAX_POLICY_BYTES = 1_000_000


@dataclass(frozen=True)
class PolicyOutcome:
    version: int
    document_hash: str
    kept: Path
    sent: bool
    tx_hash: str | None = None
    block: int | None = None


def publish_policy(programme: Programme, document: Path) -> PolicyOutcome:
    """Publish `document` as the next policy version (or, if it is the current one already,
    only make sure its text is kept)."""
    if not document.is_file():
        raise ConfigError(f"{document} is not a file: name the policy's text")
    text = document.read_bytes()
    if not text.strip():
        raise ConfigError(f"{document} is empty: members cannot consent to nothing")
    if len(text) > MAX_POLICY_BYTES:
        raise ConfigError(f"{document} is larger than {MAX_POLICY_BYTES:,} bytes")
    digest = hashlib.sha256(text).digest()
    registry = programme.registry
    current = int(registry.policyVersion())
    sent, tx_hash, block = False, None, None
    if current and bytes(registry.policyHash(current)) == digest:
        version = current
    else:
        sender = str(programme.sender.address)
        if registry.paused():
            raise ChainRejected(
                "the contracts are paused, so the chain would refuse: `ape run roles unpause` first"
            )
        if not registry.hasRole(b"\x00" * 32, sender):
            raise ChainRejected(
                f"{sender} is not the registry's admin (the admin is {registry.defaultAdmin()}), "
                "so the chain would refuse to publish: sign with the admin's account (--account)"
            )
        try:
            receipt = registry.publishPolicy(digest, sender=programme.sender)
        except (ContractLogicError, TransactionError) as exc:
            raise ChainRejected(f"the chain refused the policy: {revert_reason(exc)}") from exc
        version = int(registry.policyVersion())
        sent, tx_hash, block = True, tx_hex(receipt.txn_hash), int(receipt.block_number)
    deployment = programme.deployment
    relative = keep_policy_document(deployment.chain_id, version, document)
    updated = replace(
        deployment,
        policy_version=version,
        policy_hash="0x" + digest.hex(),
        policy_document=relative,
    )
    manifest = save_manifest(updated)
    programme.deployment = updated
    return PolicyOutcome(
        version, "0x" + digest.hex(), manifest.parent / relative, sent, tx_hash, block
    )
