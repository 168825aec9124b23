"""The bridge to Semaphore v4's own libraries, run in Node (`js/zk.mjs`).

Group roots, identity commitments and proofs must be computed exactly as the circuit and the
member page compute them (Poseidon, LeanIMT, Baby Jubjub); rather than re-implement them in
Python, every such value comes from `@semaphore-protocol/*` (npm, pinned), one process per
call with JSON on standard input and output.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memberledger.errors import MemberLedgerError
from memberledger.proofs.settings import PROJECT_ROOT, TREE_DEPTH, artifact_paths

HELPER = Path(__file__).resolve().with_name("js") / "zk.mjs"
#: Seconds one helper run may take (a depth-20 proof takes a few seconds on two cores).
HELPER_TIMEOUT = 300.0


class ProofError(MemberLedgerError):
    """A proof could not be made, read or checked; the sentence says why."""


@dataclass(frozen=True)
class GroupRoots:
    """Roots and sizes of groups, in the order asked."""

    roots: tuple[int, ...]
    sizes: tuple[int, ...]


def run_helper(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one command of `js/zk.mjs`; its error sentence becomes a `ProofError`."""
    try:
        done = subprocess.run(
            ["node", str(HELPER), command],
            input=json.dumps(payload).encode(),
            capture_output=True,
            cwd=PROJECT_ROOT,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ProofError("Node.js is not installed (`node` is not on PATH)") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProofError(f"the Semaphore helper took longer than {HELPER_TIMEOUT:.0f} s") from exc
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        printed = done.stderr.decode(errors="replace").strip().splitlines()
        reason = printed[-1] if printed else f"exit status {done.returncode}"
        raise ProofError(f"the Semaphore helper failed ({command}): {reason}") from None
    if not isinstance(answer, dict):
        raise ProofError(f"the Semaphore helper answered {command} with {answer!r}")
    if "error" in answer:
        raise ProofError(str(answer["error"]))
    return answer


def group_roots(groups: Sequence[Sequence[int]]) -> GroupRoots:
    """The LeanIMT root (0 when empty) and size of each group of identity commitments."""
    answer = run_helper("roots", {"groups": [[str(leaf) for leaf in g] for g in groups]})
    return GroupRoots(
        roots=tuple(int(root) for root in answer["roots"]),
        sizes=tuple(int(size) for size in answer["sizes"]),
    )


def identity_commitments(signatures: Sequence[bytes]) -> list[int]:
    """The identity commitment each wallet signature of `identity_message` derives."""
    answer = run_helper("identity", {"signatures": ["0x" + bytes(s).hex() for s in signatures]})
    return [int(value) for value in answer["commitments"]]


def identity_message(chain_id: int, proofs_address: str) -> str:
    """The text a member's wallet signs to derive their identity (`js/identity.mjs`)."""
    return str(run_helper("message", {"chainId": chain_id, "proofs": proofs_address})["message"])


def make_proof(
    signature: bytes, leaves: Sequence[int], group: int, scope: int, depth: int = TREE_DEPTH
) -> dict[str, Any]:
    """A Semaphore proof that the identity of `signature` is among `leaves`, with message
    `group` and `scope`, made from the local proving files (never downloaded)."""
    wasm, zkey = artifact_paths(depth)
    return run_helper(
        "prove",
        {
            "signature": "0x" + bytes(signature).hex(),
            "leaves": [str(leaf) for leaf in leaves],
            "message": str(group),
            "scope": str(scope),
            "depth": depth,
            "wasm": str(wasm),
            "zkey": str(zkey),
        },
    )
