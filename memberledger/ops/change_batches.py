"""The status and tier rows of a changes file, sent in batches: `changeBatch` on the registry.

Each batch is recorded in the vault before it is broadcast (`store.changes_applied`: its tag,
its rows, the lines it carries out), and confirmed in the same vault transaction that records
those lines as done. The batch's tag is keccak256 of a domain, the file's SHA-256 and the lines
it carries out, so the registry's record of applied batches (`changeBatchApplied(registrar,
keccak256(tag ‖ rows))`) names this file's rows and no other file's: a run that stopped after
sending asks the chain first and never applies a batch twice, even with its vault record lost
(the registry refuses the same tag and rows again), while "suspend" in next month's file is a
batch of its own.

The chain decides each row when the batch lands: a member who changed since the file was
checked (left, was revoked, erased or moved) is skipped with `ChangeSkipped` and reported, and
a row already true changes nothing; the other rows emit what the single actions emit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ape.exceptions import ContractLogicError, TransactionError

from memberledger.chain.reads import ChainStatus, revert_reason, tx_hex
from memberledger.errors import ChainRejected
from memberledger.hashing import keccak256
from memberledger.ops.lifecycle import ActionOutcome, require_registrar
from memberledger.programme import Programme
from memberledger.store.changes_applied import ChangeBatchRecord
from memberledger.tiers import TIERS

#: The registry's action byte of each batched action (`IMembershipRegistry.ChangeAction`).
CHANGE_ACTIONS = {"tier": 0, "suspend": 1, "reinstate": 2, "revoke": 3}
_ACTION_NAMES = {code: name for name, code in CHANGE_ACTIONS.items()}
#: What each applied action emits, by action byte.
_EVENTS = {0: "TierChanged", 1: "MemberSuspended", 2: "MemberReinstated", 3: "MemberRevoked"}
#: Rows per batch unless told otherwise. A row costs about 8,100-8,300 gas
#: (`change_batch_100_*` in snapshots/gas.json), so 250 rows take about 2.1M gas: a small
#: part of a 30M-gas block and of the 16.7M-gas cap on one transaction (EIP-7825).
DEFAULT_BATCH_SIZE = 250
_TAG_DOMAIN = b"MemberLedger/change-batch/v1"
#: How the outcome of a row the chain skipped begins.
SKIPPED = "skipped: "
_ROW_BYTES = 22


@dataclass(frozen=True)
class StatusRow:
    """One status or tier row of a checked changes file, ready to pack."""

    line: int
    member_id: str | None
    wallet: str
    action: str
    tier: int = 0
    reason: str = ""


def batch_tag(file_digest: str, lines: Sequence[int]) -> bytes:
    """The batch's name on chain: the file and the lines it carries out."""
    return keccak256(
        _TAG_DOMAIN + bytes.fromhex(file_digest) + ",".join(map(str, lines)).encode("ascii")
    )


def pack(rows: Sequence[StatusRow]) -> bytes:
    """`changeBatch` rows: wallet (20) ‖ action (1) ‖ value (1: the tier, else 0)."""
    return b"".join(
        bytes.fromhex(row.wallet.removeprefix("0x"))
        + bytes([CHANGE_ACTIONS[row.action], row.tier if row.action == "tier" else 0])
        for row in rows
    )


def send_status_rows(
    programme: Programme, file_digest: str, rows: Sequence[StatusRow], batch_size: int
) -> list[ActionOutcome]:
    """Send `rows` in file order, `batch_size` a batch; one outcome per row."""
    outcomes: list[ActionOutcome] = []
    if rows:
        require_registrar(programme)
    for chunk in _chunks(rows, batch_size):
        lines = [row.line for row in chunk]
        packed = pack(chunk)
        tag = batch_tag(file_digest, lines)
        record = ChangeBatchRecord(
            tag,
            file_digest,
            tuple((row.line, row.action) for row in chunk),
            packed,
            keccak256(tag + packed),
        )
        programme.changes_applied.record_batch(record)
        receipt = _send(programme, record)
        tx_hash = tx_hex(receipt.txn_hash) if receipt is not None else None
        found = _row_events(receipt, chunk) if receipt is not None else [None] * len(chunk)
        for row, event in zip(chunk, found, strict=True):
            outcomes.append(_outcome(programme, row, event, receipt, tx_hash))
        programme.changes_applied.confirm_batch(record, tx_hash)
    return outcomes


def settle_open_batches(programme: Programme, file_digest: str) -> list[ActionOutcome]:
    """Batches of this file an earlier run recorded but never confirmed: confirmed if the
    chain holds them, else sent again (the same tag and rows: the registry takes them once)."""
    outcomes: list[ActionOutcome] = []
    for record in programme.changes_applied.open_batches(file_digest):
        if _applied(programme, record):
            receipt = None
            what = "applied by an earlier run (found on chain)"
        else:
            require_registrar(programme)
            receipt = _send(programme, record)
            what = "sent again: an earlier run stopped before the chain confirmed it"
        tx_hash = tx_hex(receipt.txn_hash) if receipt is not None else None
        for at in range(0, len(record.rows), _ROW_BYTES):
            wallet = "0x" + record.rows[at : at + 20].hex()
            action = _ACTION_NAMES[record.rows[at + 20]]
            outcomes.append(
                ActionOutcome(
                    None,
                    wallet,
                    action,
                    what,
                    receipt is not None,
                    tx_hash,
                    int(receipt.block_number) if receipt is not None else None,
                )
            )
        programme.changes_applied.confirm_batch(record, tx_hash)
    return outcomes


def _chunks(rows: Sequence[StatusRow], size: int) -> Iterator[Sequence[StatusRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _applied(programme: Programme, record: ChangeBatchRecord) -> bool:
    registrar = str(programme.sender.address)
    return bool(programme.registry.changeBatchApplied(registrar, record.content_hash))


def _send(programme: Programme, record: ChangeBatchRecord) -> Any:
    """The receipt, or None if the chain refused the batch because it already holds it (a
    copy sent by an earlier run got there first)."""
    try:
        return programme.registry.changeBatch(
            record.batch_tag, record.rows, sender=programme.sender
        )
    except (ContractLogicError, TransactionError) as exc:
        if _applied(programme, record):
            return None
        lines = ", ".join(str(line) for line, _ in record.lines)
        raise ChainRejected(
            f"the chain refused the change batch of lines {lines}: {revert_reason(exc)}; "
            "nothing in it changed"
        ) from exc


def _row_events(receipt: Any, rows: Sequence[StatusRow]) -> list[Any]:
    """The event of each row, in order (None: the row was already true). Each row emits at
    most one event, in row order: its action's event or `ChangeSkipped`."""
    events = [
        log for log in receipt.events if log.event_name in (*_EVENTS.values(), "ChangeSkipped")
    ]
    found: list[Any] = []
    for row in rows:
        event = events[0] if events else None
        if event is not None and _belongs(event, row):
            found.append(events.pop(0))
        else:
            found.append(None)
    return found


def _belongs(event: Any, row: StatusRow) -> bool:
    if str(event.member).lower() != row.wallet.lower():
        return False
    code = CHANGE_ACTIONS[row.action]
    if event.event_name == "ChangeSkipped":
        return int(event.action) == code
    if event.event_name != _EVENTS[code]:
        return False
    return row.action != "tier" or int(event.newTier) == row.tier


def _outcome(
    programme: Programme, row: StatusRow, event: Any, receipt: Any, tx_hash: str | None
) -> ActionOutcome:
    block = int(receipt.block_number) if receipt is not None else None
    if receipt is None:
        text = "applied by an earlier copy of this batch (found on chain)"
        return ActionOutcome(row.member_id, row.wallet, row.action, text, False, tx_hash, block)
    if event is None:
        return ActionOutcome(
            row.member_id,
            row.wallet,
            row.action,
            "already true: nothing changed",
            False,
            tx_hash,
            block,
        )
    if event.event_name == "ChangeSkipped":
        status = ChainStatus(int(event.status)).word
        text = f"{SKIPPED}the member was {status} when the batch landed"
        return ActionOutcome(row.member_id, row.wallet, row.action, text, False, tx_hash, block)
    text = {
        "tier": f"tier -> {TIERS.get(row.tier, str(row.tier))}",
        "suspend": "suspended: points frozen",
        "reinstate": "reinstated: active again",
        "revoke": "revoked",
    }[row.action]
    if row.member_id is not None and row.action == "tier":
        programme.vault.set_tier(row.member_id, row.tier)
    if row.action == "suspend" and row.reason.strip():
        if row.member_id is None:
            text += " (reason not kept: no vault record)"
        else:
            programme.notes.add(row.member_id, "suspend", row.reason.strip(), tx_hash)
            text += "; reason kept in the vault"
    return ActionOutcome(row.member_id, row.wallet, row.action, text, True, tx_hash, block)
