"""Settings of private proofs (read once by `memberledger.settings`), checked here.

`MEMBERLEDGER_PROOF_ROOT_VALIDITY`: seconds a replaced group root stays accepted, so proofs
made just before a publication still verify; it is also, with the publication interval, how
long a member who was suspended, revoked, erased or lowered in tier can still prove the old
fact. `MEMBERLEDGER_PROOF_MIN_GROUP`: below this many members the member page warns that a
proof hides the member among too few others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memberledger.errors import ConfigError
from memberledger.settings import settings

#: The circuit's tree depth: 2**20 = 1,048,576 members. Only this depth's proving files are
#: shipped to the page; proofs at this depth verify for any group of up to 2**20 members.
TREE_DEPTH = 20
MAX_GROUP_SIZE = 2**TREE_DEPTH
DEFAULT_ROOT_VALIDITY = 3_600
DEFAULT_MIN_GROUP = 50
ROOT_VALIDITY_VARIABLE = "MEMBERLEDGER_PROOF_ROOT_VALIDITY"
MIN_GROUP_VARIABLE = "MEMBERLEDGER_PROOF_MIN_GROUP"
#: The repository's root (this package is installed editable from it by `make setup`).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where npm puts Semaphore's proving files (`@zk-kit/semaphore-artifacts`, pinned).
ARTIFACTS_DIR = PROJECT_ROOT / "node_modules" / "@zk-kit" / "semaphore-artifacts"


@dataclass(frozen=True)
class ProofSettings:
    root_validity: int = DEFAULT_ROOT_VALIDITY
    min_group: int = DEFAULT_MIN_GROUP


def proof_settings() -> ProofSettings:
    """The settings (`memberledger.settings`), checked."""
    read = settings()
    return ProofSettings(
        root_validity=_whole(
            ROOT_VALIDITY_VARIABLE, read.proof_root_validity, DEFAULT_ROOT_VALIDITY, 2**32 - 1
        ),
        min_group=_whole(
            MIN_GROUP_VARIABLE, read.proof_min_group, DEFAULT_MIN_GROUP, MAX_GROUP_SIZE
        ),
    )


def artifact_paths(depth: int = TREE_DEPTH) -> tuple[Path, Path]:
    """The circuit (.wasm) and proving key (.zkey) for `depth`, from node_modules; a missing
    file is a `ConfigError` (nothing is ever downloaded at run time)."""
    wasm = ARTIFACTS_DIR / f"semaphore-{depth}.wasm"
    zkey = ARTIFACTS_DIR / f"semaphore-{depth}.zkey"
    for path in (wasm, zkey):
        if not path.is_file():
            raise ConfigError(f"the proving file {path} is missing: run `make setup`")
    return wasm, zkey


def _whole(variable: str, text: str, default: int, largest: int) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) > largest:
        raise ConfigError(f"{variable} must be a whole number from 0 to {largest}, not {text!r}")
    return int(text)
