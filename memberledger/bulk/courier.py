"""Settling and sending journaled batches: several transactions in flight, each exactly once.

For every open batch the courier first asks what the chain already knows (`settle`):

- a batch with a transaction on record: if any of its hashes has a receipt, that is the
  outcome; if the node still holds one, it is waited for; if the node knows none of them, a
  batch the chain already holds is confirmed from the chain's own logs, and any other is sent
  again (under its recorded nonce while that nonce is still free, so the hash is the same);
- a batch planned by an earlier run, never sent: confirmed from the chain if the chain holds
  it (someone sent it behind the journal's back), else sent.

Sending keeps up to `SendSettings.in_flight` transactions out at once, with nonces counted
locally from the node's pending nonce; each is signed, recorded in the journal, and only then
broadcast (by a background thread, so signing the next overlaps the node's work). Receipts are
collected in batched requests; a batch is confirmed once its block has `confirmations`
blocks on top (itself included). A transaction the node has not mined after `stuck_after`
seconds is replaced: same nonce, fees +12.5%, recorded before broadcast. One the node has
forgotten (a restart, a dropped mempool) is broadcast again.

The contracts refuse a batch twice (`AlreadyEnrolled`, `BatchAlreadyApplied`), so even a
transaction re-sent while the first copy was still somewhere in flight cannot apply twice;
a refusal is checked against the chain before the batch is called failed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from eth_utils.address import to_checksum_address

from memberledger.chain.calldata import ErrorDecoder
from memberledger.chain.gas import Fees, GasModel
from memberledger.chain.rpc import NodeClient, Receipt
from memberledger.chain.signer import Signer, UnsignedTx
from memberledger.errors import BatchFailed, ChainRejected, JournalError, RpcError
from memberledger.store.database import Database
from memberledger.store.journal import (
    OPEN_STATUSES,
    Batch,
    BatchKind,
    BatchStatus,
    ChainCredit,
    Journal,
    SentTransaction,
    now_text,
)

#: Confirmed batches this many blocks below the head are re-checked on start (a node restarted
#: from an older state, a reorganisation).
ROLLBACK_WINDOW = 256
#: How often a transaction without a receipt is looked up, to notice that the node lost it.
LOST_CHECK_SECONDS = 1.0
#: How often confirmed batches of this run are checked against the chain while sending.
RECONCILE_SECONDS = 5.0
#: How often the fee suggestion is refreshed.
FEE_REFRESH_SECONDS = 2.0
#: Batches planned ahead of need while the node mines (see `Courier.deliver`'s `planned`).
PLAN_AHEAD = 8
#: What nodes answer when they already hold the very transaction sent (geth, Anvil, Hardhat).
_ALREADY_KNOWN = ("already known", "known transaction", "already imported")


class BatchTarget(Protocol):
    """One kind of batch on its contract."""

    kind: BatchKind
    contract: str
    gas: GasModel
    #: First topics of the receipt logs `outcome` reads (the rest of a receipt is dropped).
    receipt_topics: frozenset[str]

    def calldata(self, batch: Batch) -> bytes: ...

    def applied(self, batch: Batch) -> bool:
        """Whether the chain holds the batch's effect (`JournalError` if only part)."""
        ...

    def applying_transaction(self, batch: Batch) -> str | None:
        """Hash of the transaction that applied the batch, from the contract's logs."""
        ...

    def outcome(self, batch: Batch, receipt: Receipt) -> Outcome:
        """What the receipt says the batch did, row by row where rows can differ."""
        ...

    def on_confirmed(self, batch: Batch, receipt: Receipt) -> None:
        """Record in the vault what the receipt means (inside the journal's transaction)."""
        ...

    def on_reopened(self, batch: Batch, tx_hash: str) -> None:
        """Undo `on_confirmed` for a batch whose receipt the chain lost."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What a confirmed batch did: the rows the chain skipped (credits to members no longer
    active, or rounded down to nothing), and the points it credited (credits only)."""

    skipped: tuple[ChainCredit, ...] = ()
    points: int | None = None


@dataclass(frozen=True)
class SendSettings:
    confirmations: int = 1
    in_flight: int = 8
    stuck_after: float = 30.0
    poll_interval: float = 0.01


@dataclass(frozen=True)
class Delivery:
    """How a batch reached its final state in this run."""

    batch_id: str
    kind: BatchKind
    rows: int
    how: str  # "sent", "found on chain", "waited for", "sent again"
    tx_hash: str
    block: int
    gas_used: int
    outcome: Outcome = field(default_factory=Outcome)


@dataclass
class _Flight:
    """A batch whose transaction is out (or about to go out)."""

    batch: Batch
    txs: list[SentTransaction]
    how: str
    last_sent: float = 0.0
    last_check: float = 0.0
    broadcast: Future[str] | None = None
    hashes: list[str] = field(default_factory=list)
    #: The head at which the receipts were last looked up (-1: look at the next chance).
    checked_head: int = -1
    #: The node refused the last broadcast for its nonce (used by another transaction?).
    refused: bool = False

    @property
    def latest(self) -> SentTransaction:
        return self.txs[-1]


class Courier:
    """Brings journaled batches of one kind to `confirmed`, for one signer."""

    def __init__(
        self,
        database: Database,
        journal: Journal,
        node: NodeClient,
        signer: Signer,
        target: BatchTarget,
        errors: ErrorDecoder,
        settings: SendSettings | None = None,
    ) -> None:
        self.journal = journal
        self.database = database
        self.node = node
        self.signer = signer
        self.target = target
        self.errors = errors
        self.settings = settings or SendSettings()
        self.chain_id = node.chain_id()
        self._gas = target.gas
        self._fees: Fees | None = None
        self._fees_at = 0.0
        self._next_nonce: int | None = None
        self._reconnections = node.reconnections
        #: On PostgreSQL, whose confirmed batches this courier reconciles: its account's only
        #: (other machines reconcile theirs). On SQLite, every batch: the run is alone.
        self._owner = signer.address if database.is_postgres else None

    # ------------------------------------------------------------------ public

    def reconcile(self) -> list[str]:
        """Reopen confirmed batches (this account's, on PostgreSQL) whose block the chain no
        longer has (or has another block, or the block without their transaction); their
        ids. Asks for block headers only, a few per run, not for receipts (whose logs are
        large)."""
        head = self.node.block_number()
        recent = [
            confirmed
            for confirmed in self.journal.confirmed_since(
                self.target.kind, max(0, head - ROLLBACK_WINDOW), self._owner
            )
            if confirmed.block_hash != ""  # confirmed by state alone: nothing to lose
        ]
        numbers = sorted({confirmed.block for confirmed in recent})
        blocks = dict(zip(numbers, self.node.blocks(numbers), strict=True))
        reopened: list[str] = []
        for confirmed in recent:
            block = blocks[confirmed.block]
            kept = (
                block is not None
                and confirmed.tx_hash in block.tx_hashes
                and (confirmed.block_hash is None or block.block_hash == confirmed.block_hash)
            )
            if not kept:
                batch = self.journal.get(confirmed.batch_id)
                assert batch is not None
                with self.database.transaction():
                    self.journal.reopen(confirmed.batch_id)
                    self.target.on_reopened(batch, confirmed.tx_hash)
                reopened.append(confirmed.batch_id)
        return reopened

    def deliver(
        self,
        batch_ids: Sequence[str],
        *,
        planned: Iterator[Batch] | None = None,
        on_delivered: Callable[[Delivery], None] | None = None,
    ) -> list[Delivery]:
        """Bring every batch to `confirmed`. Each of `batch_ids` (journaled, perhaps by an
        earlier run) is first settled against the chain. `planned` plans more batches as it
        is iterated (each batch it yields is fresh and already committed to the journal):
        it is drawn from whenever fewer than `in_flight` batches wait to be sent, and while
        the node is busy mining, so storing later batches overlaps sending the first ones.
        A batch the chain refuses stops further sending and planning; the ones in flight
        are finished, then `BatchFailed` is raised."""
        run = _DeliveryRun(self, planned, on_delivered)
        run.settle_earlier_batches(batch_ids)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="broadcast") as broadcaster:
            run.start_sending(broadcaster)
            while run.has_work():
                progressed = run.reconcile_if_due()
                progressed = run.launch_while_room() or progressed
                progressed = run.collect_receipts() or progressed
                if run.finished_after_failure():
                    break
                progressed = run.plan_ahead_while_mining(progressed) or progressed
                if not progressed:
                    time.sleep(self.settings.poll_interval)
            run.stop_sending()
        if run.failure is not None:
            raise run.failure
        return run.delivered()

    # ------------------------------------------------------------------ settling

    def _resume(self, batch: Batch) -> _Flight | None:
        """A flight for a batch with a transaction on record (from an earlier run)."""
        txs = self.journal.transactions(batch.batch_id)
        if batch.status is not BatchStatus.SENT:
            return None
        if not txs and batch.tx_hash:
            known = self.node.call("eth_getTransactionByHash", batch.tx_hash)
            if not isinstance(known, dict):
                return None
            txs = [
                SentTransaction(
                    batch.tx_hash,
                    batch.batch_id,
                    int(known["nonce"], 16),
                    int(known["gas"], 16),
                    int(known.get("maxFeePerGas") or known.get("gasPrice") or "0x0", 16),
                    int(known.get("maxPriorityFeePerGas") or "0x0", 16),
                    now_text(),
                )
            ]
        if not txs:
            return None
        self._refuse_if_another_machines(batch, txs)
        flight = _Flight(batch, txs, "waited for", last_sent=time.monotonic())
        flight.hashes = [tx.tx_hash for tx in txs]
        return flight

    def _refuse_if_another_machines(self, batch: Batch, txs: Sequence[SentTransaction]) -> None:
        """A batch whose transaction another account signed (another operator machine
        sharing the journal on PostgreSQL, or this vault run earlier with another account)
        and that is not mined yet is that account's to finish: sent again or replaced from
        here, under another nonce sequence, both could be mined, and a credit batch from
        another issuer is a batch of its own on chain (paid twice). Mined, its receipt
        confirms it here as anywhere."""
        ours = self.signer.address.lower()
        sender: str | None = None
        for tx in txs:
            known = self.node.call("eth_getTransactionByHash", tx.tx_hash)
            if isinstance(known, dict):
                if str(known.get("from", "")).lower() == ours:
                    return
                sender = to_checksum_address(str(known.get("from")))
        if sender is None and self.database.is_postgres:
            latest = txs[-1]
            again = self.signer.sign(
                UnsignedTx(
                    chain_id=self.chain_id,
                    nonce=latest.nonce,
                    to=self.target.contract,
                    data=self.target.calldata(batch),
                    gas_limit=latest.gas_limit,
                    max_fee=latest.max_fee,
                    priority_fee=latest.priority_fee,
                )
            )
            if again.tx_hash.lower() != latest.tx_hash.lower():
                sender = "another account (the node no longer knows the transaction)"
        if sender is None:
            return
        for tx in txs:
            if isinstance(self.node.call("eth_getTransactionReceipt", tx.tx_hash), dict):
                return
        raise JournalError(
            f"{batch.kind.value} batch {batch.batch_id} was sent by {sender}, not by this "
            f"run's account {self.signer.address}, and is not mined yet: finish it with the "
            "account that sent it (run the same command on that operator machine), then run "
            "this one again"
        )

    def _preflight(self, batch: Batch) -> BatchFailed | None:
        """Estimate the first batch before anything is sent: a batch the chain would refuse
        (missing role, paused, a bad row) fails here, decoded, with no gas spent."""
        data = self.target.calldata(batch)
        try:
            measured = self.node.estimate_gas(self.signer.address, self.target.contract, data)
        except RpcError as exc:
            reason = self.errors.describe(exc.revert_data) or exc.message
            self.journal.record_failed(batch.batch_id, reason)
            return BatchFailed(batch.kind.value, batch.batch_id, reason)
        self._gas = self._gas.calibrated(len(batch.entries), measured)
        return None

    # ------------------------------------------------------------------ sending

    def _take_nonce(self) -> int:
        if self._next_nonce is None:
            self._next_nonce = self.node.nonce(self.signer.address, "pending")
        nonce = self._next_nonce
        self._next_nonce += 1
        return nonce

    def _current_fees(self) -> Fees:
        now = time.monotonic()
        if self._fees is None or now - self._fees_at > FEE_REFRESH_SECONDS:
            base, priority = self.node.fees()
            self._fees = Fees.for_base_fee(base, priority)
            self._fees_at = now
        return self._fees

    def _launch(
        self,
        flight: _Flight,
        broadcaster: ThreadPoolExecutor,
        sender_node: NodeClient,
        nonce: int,
        fees: Fees | None = None,
    ) -> None:
        """Sign, record, then broadcast one transaction for the flight's batch."""
        batch = flight.batch
        fees = fees or self._current_fees()
        tx = UnsignedTx(
            chain_id=self.chain_id,
            nonce=nonce,
            to=self.target.contract,
            data=self.target.calldata(batch),
            gas_limit=self._gas.gas_limit(len(batch.entries)),
            max_fee=fees.max_fee,
            priority_fee=fees.priority_fee,
        )
        signed = self.signer.sign(tx)
        sent = SentTransaction(
            signed.tx_hash,
            batch.batch_id,
            nonce,
            tx.gas_limit,
            fees.max_fee,
            fees.priority_fee,
            now_text(),
        )
        self.journal.record_sent(sent)
        flight.txs.append(sent)
        if signed.tx_hash not in flight.hashes:
            flight.hashes.append(signed.tx_hash)
        flight.last_sent = flight.last_check = time.monotonic()
        flight.checked_head = -1
        flight.broadcast = broadcaster.submit(sender_node.send_raw, signed.raw)

    def _resend(
        self, flight: _Flight, broadcaster: ThreadPoolExecutor, sender_node: NodeClient
    ) -> None:
        """Broadcast a transaction the node lost: its own nonce while that is still free
        (the same signed bytes, the same hash), else the next nonce."""
        latest = flight.latest
        confirmed_nonce = self.node.nonce(self.signer.address, "latest")
        nonce = latest.nonce if latest.nonce >= confirmed_nonce else self._take_nonce()
        fees = Fees(latest.max_fee, latest.priority_fee)
        if nonce != latest.nonce:
            fees = fees.at_least(self._current_fees())
        self._launch(flight, broadcaster, sender_node, nonce, fees)
        if flight.how == "waited for":
            flight.how = "sent again"

    def _bump(
        self, flight: _Flight, broadcaster: ThreadPoolExecutor, sender_node: NodeClient
    ) -> None:
        """Replace a stuck transaction: same nonce, fees +12.5% (or today's, if higher)."""
        latest = flight.latest
        fees = Fees(latest.max_fee, latest.priority_fee).bumped().at_least(self._current_fees())
        self._launch(flight, broadcaster, sender_node, latest.nonce, fees)

    # ------------------------------------------------------------------ collecting

    @dataclass
    class _Progress:
        progressed: bool = False
        failure: BatchFailed | None = None

    def _advance(
        self,
        flights: dict[str, _Flight],
        broadcaster: ThreadPoolExecutor,
        sender_node: NodeClient,
        delivered: Callable[[Delivery], None],
    ) -> Courier._Progress:
        outcome = Courier._Progress()
        for flight in list(flights.values()):
            if flight.broadcast is not None and flight.broadcast.done():
                error = flight.broadcast.exception()
                flight.broadcast = None
                if isinstance(error, RpcError):
                    self._broadcast_failed(flight, error, broadcaster, sender_node)
                elif error is not None:
                    raise error
        waiting = [f for f in flights.values() if f.broadcast is None]
        # Receipts only change with the chain's head: ask again only after a new block.
        head = self.node.block_number() if waiting else 0
        due = [flight for flight in waiting if flight.checked_head < head]
        hashes = [h for flight in due for h in flight.hashes]
        receipts = (
            dict(zip(hashes, self.node.receipts(hashes, self.target.receipt_topics), strict=True))
            if hashes
            else {}
        )
        now = time.monotonic()
        pending_nonce: int | None = None
        receipted: list[tuple[_Flight, Receipt]] = []
        for flight in waiting:
            receipt = next((r for h in flight.hashes if (r := receipts.get(h))), None)
            if flight in due:
                flight.checked_head = head
            identity = flight.batch.batch_id
            if receipt is not None and not receipt.succeeded:
                failure = self._reverted(flight, receipt, delivered)
                outcome.failure = outcome.failure or failure
                del flights[identity]
                outcome.progressed = True
            elif receipt is not None:
                if head < receipt.block + self.settings.confirmations - 1:
                    continue  # not deep enough yet: looked at again after the next block
                receipted.append((flight, receipt))
                del flights[identity]
                outcome.progressed = True
            elif now - flight.last_check > LOST_CHECK_SECONDS:
                flight.last_check = now
                # Lost? Cheap sign first: the node holds no transaction of ours with this
                # nonce. Then, for one refused or waiting long, ask about its hashes.
                if pending_nonce is None:
                    pending_nonce = self.node.nonce(self.signer.address, "pending")
                waited = now - flight.last_sent > self.settings.stuck_after
                suspect = flight.latest.nonce >= pending_nonce or flight.refused or waited
                flight.refused = False
                if suspect and not any(self.node.known(flight.hashes)):
                    if self.target.applied(flight.batch):
                        delivered(self._confirm_from_chain(flight.batch, "found on chain"))
                        del flights[identity]
                    else:
                        self._resend(flight, broadcaster, sender_node)
                    outcome.progressed = True
                elif waited:
                    self._bump(flight, broadcaster, sender_node)
                    outcome.progressed = True
        if receipted:
            # Every receipt of this look in one vault transaction: one commit (and one
            # fsync) for the dozens of batches a block confirms at once.
            with self.database.transaction():
                confirmed = [self._confirm(f.batch, f.how, receipt) for f, receipt in receipted]
            for delivery in confirmed:
                delivered(delivery)
        return outcome

    def _broadcast_failed(
        self,
        flight: _Flight,
        error: RpcError,
        broadcaster: ThreadPoolExecutor,
        sender_node: NodeClient,
    ) -> None:
        message = error.message.lower()
        if any(known in message for known in _ALREADY_KNOWN):
            return
        if "nonce too low" in message or "nonce has already been used" in message:
            # Used by another of our transactions? The receipts will say; if none of ours is
            # known to the node, the lost-transaction check sends it under a new nonce.
            flight.last_check = 0.0
            flight.refused = True
            return
        if "underpriced" in message:
            self._bump(flight, broadcaster, sender_node)
            return
        revert = self.errors.describe(error.revert_data)
        raise ChainRejected(
            f"the node refused a {flight.batch.kind} transaction: {revert or error.message}"
        )

    def _reverted(
        self, flight: _Flight, receipt: Receipt, delivered: Callable[[Delivery], None]
    ) -> BatchFailed | None:
        batch = flight.batch
        if self.target.applied(batch):  # an earlier copy of ours got there first
            delivered(self._confirm_from_chain(batch, "found on chain"))
            return None
        reason = self._revert_reason(batch, receipt)
        self.journal.record_failed(batch.batch_id, reason)
        return BatchFailed(batch.kind.value, batch.batch_id, reason)

    def _revert_reason(self, batch: Batch, receipt: Receipt) -> str:
        gas_limit = next(
            (tx.gas_limit for tx in reversed(self.journal.transactions(batch.batch_id))), 0
        )
        if gas_limit and receipt.gas_used >= gas_limit:
            return f"ran out of gas ({receipt.gas_used:,}): use a smaller --batch-size"
        try:
            self.node.eth_call(
                self.target.contract, self.target.calldata(batch), self.signer.address
            )
        except RpcError as exc:
            return self.errors.describe(exc.revert_data) or exc.message
        return f"reverted in block {receipt.block} (tx {receipt.tx_hash})"

    # ------------------------------------------------------------------ confirming

    def _confirm_from_chain(self, batch: Batch, how: str) -> Delivery:
        """Confirm a batch the chain's state holds: by the transaction its logs name, else by
        a journaled transaction of ours with a successful receipt. A node restarted from a
        saved state can hold the state without the history (Anvil writes its state file
        every second, not atomically with its blocks): then the batch is confirmed by our
        latest transaction for it, at the current head, and says so."""
        candidates = [tx.tx_hash for tx in self.journal.transactions(batch.batch_id)]
        named = self.target.applying_transaction(batch)
        hashes = [named, *candidates] if named else candidates
        topics = self.target.receipt_topics
        for receipt in self.node.receipts(hashes, topics) if hashes else []:
            if receipt is not None and receipt.succeeded:
                return self._confirm(batch, how, receipt)
        if not candidates:
            raise JournalError(
                f"{batch.kind} batch {batch.batch_id} is applied on chain, but neither the "
                "logs nor this journal say by which transaction (is the manifest's deploy "
                "block right?)"
            )
        head = self.node.block_number()
        unrecorded = Receipt(candidates[-1], head, "", 0, True)
        return self._confirm(batch, f"{how} (node history lost)", unrecorded)

    def _confirm(self, batch: Batch, how: str, receipt: Receipt) -> Delivery:
        outcome = self.target.outcome(batch, receipt)
        with self.database.transaction():
            self.journal.record_confirmed(
                batch.batch_id,
                receipt.tx_hash,
                receipt.block,
                receipt.gas_used,
                receipt.block_hash,
                outcome.skipped,
            )
            self.target.on_confirmed(batch, receipt)
        return Delivery(
            batch.batch_id,
            batch.kind,
            len(batch.entries),
            how,
            receipt.tx_hash,
            receipt.block,
            receipt.gas_used,
            outcome,
        )


class _DeliveryRun:
    """The state of one `Courier.deliver` call, advanced one step at a time: settle what
    earlier runs left, then, in a loop, reconcile with the chain when due, launch batches
    while there is room in flight, collect receipts, and plan ahead while the node mines."""

    def __init__(
        self,
        courier: Courier,
        planned: Iterator[Batch] | None,
        on_delivered: Callable[[Delivery], None] | None,
    ) -> None:
        self.courier = courier
        self.journal = courier.journal
        self.planned = planned
        self.on_delivered = on_delivered
        self.deliveries: dict[str, Delivery] = {}  # by batch: a batch reopened counts once
        self.flights: dict[str, _Flight] = {}
        # Ids (a batch's rows are loaded when it is sent), or batches just planned.
        self.queue: deque[str | Batch] = deque()
        self.failure: BatchFailed | None = None
        self.preflight_done = False
        self.last_reconcile = time.monotonic()
        self.broadcaster: ThreadPoolExecutor | None = None
        self.sender_node: NodeClient | None = None

    # ------------------------------------------------------------------ the steps

    def settle_earlier_batches(self, batch_ids: Sequence[str]) -> None:
        """Batches journaled before this call: those with a transaction on record are
        watched again, those the chain already holds are confirmed, the rest are queued."""
        courier = self.courier
        for identity in batch_ids:
            batch = self.journal.get(identity)
            if batch is None or batch.status not in OPEN_STATUSES:
                continue
            flight = courier._resume(batch)
            if flight is not None:
                self.flights[identity] = flight
            elif courier.target.applied(batch):
                self.delivered_one(courier._confirm_from_chain(batch, "found on chain"))
            else:
                self.queue.append(identity)
        if self.flights:  # nonces above those of transactions still out from an earlier run
            pending = courier.node.nonce(courier.signer.address, "pending")
            courier._next_nonce = max(
                pending, *(flight.latest.nonce + 1 for flight in self.flights.values())
            )

    def start_sending(self, broadcaster: ThreadPoolExecutor) -> None:
        self.broadcaster = broadcaster
        self.sender_node = self.courier.node.clone()

    def stop_sending(self) -> None:
        if self.sender_node is not None:
            self.sender_node.close()

    def has_work(self) -> bool:
        return bool(self.queue or self.flights or self.planned is not None)

    def reconcile_if_due(self) -> bool:
        """After a reconnection, or every `RECONCILE_SECONDS`: the node may have come back
        from an older state, so receipts this run confirmed may be gone, and their nonces
        free again. Reopened batches are watched or queued again."""
        courier, sender = self.courier, self._sender()
        now = time.monotonic()
        due = now - self.last_reconcile > RECONCILE_SECONDS
        if not (
            due or courier.node.reconnections != courier._reconnections or sender.reconnections
        ):
            return False
        courier._reconnections = courier.node.reconnections
        sender.reconnections = 0
        self.last_reconcile = now
        for identity in courier.reconcile():
            reopened = self.journal.get(identity)
            if reopened is None or identity in self.flights:
                continue
            flight = courier._resume(reopened)
            if flight is not None:
                self.flights[identity] = flight
            else:
                self.queue.appendleft(identity)
        return False

    def launch_while_room(self) -> bool:
        """Send queued (or freshly planned) batches while fewer than `in_flight` are out.
        Each batch goes out as soon as it is planned: planning all `in_flight` first kept the
        node idle for seconds at the start of a large run. The first batch of the call is
        estimated first (`_preflight`), so a batch the chain would refuse costs no gas."""
        courier = self.courier
        launched = False
        while self.failure is None and len(self.flights) < courier.settings.in_flight:
            if not self.queue:
                self._draw_planned()
            if not self.queue:
                break
            item = self.queue.popleft()
            batch = item if isinstance(item, Batch) else self.journal.get(item)
            if batch is None or batch.status not in OPEN_STATUSES:
                continue
            if not self.preflight_done:
                self.preflight_done = True
                self.failure = courier._preflight(batch)
                if self.failure is not None:
                    break
            flight = _Flight(batch, [], "sent")
            courier._launch(flight, self._broadcaster(), self._sender(), courier._take_nonce())
            self.flights[batch.batch_id] = flight
            launched = True
        return launched

    def collect_receipts(self) -> bool:
        """Look at what is in flight: receipts, refusals, lost and stuck transactions."""
        if not self.flights:
            return False
        outcome = self.courier._advance(
            self.flights, self._broadcaster(), self._sender(), self.delivered_one
        )
        self.failure = self.failure or outcome.failure
        return outcome.progressed

    def finished_after_failure(self) -> bool:
        """After a refusal nothing new is sent or planned; the loop ends once the batches
        already in flight are settled."""
        if self.failure is None:
            return False
        if not self.queue and not self.flights:
            return True
        self.queue.clear()
        self.planned = None
        return False

    def plan_ahead_while_mining(self, progressed: bool) -> bool:
        """The node is mining what is out: plan the next batches meanwhile (a few ahead only:
        each planned batch holds its rows in memory)."""
        if progressed or self.planned is None or len(self.queue) >= PLAN_AHEAD:
            return False
        self._draw_planned()
        return True

    # ------------------------------------------------------------------ helpers

    def delivered_one(self, delivery: Delivery) -> None:
        again = delivery.batch_id in self.deliveries
        self.deliveries[delivery.batch_id] = delivery
        if self.on_delivered is not None and not again:
            self.on_delivered(delivery)

    def delivered(self) -> list[Delivery]:
        return list(self.deliveries.values())

    def _draw_planned(self) -> None:
        if self.planned is None:
            return
        drawn = next(self.planned, None)
        if drawn is None:
            self.planned = None
        else:
            self.queue.append(drawn)

    def _broadcaster(self) -> ThreadPoolExecutor:
        assert self.broadcaster is not None, "start_sending() first"
        return self.broadcaster

    def _sender(self) -> NodeClient:
        assert self.sender_node is not None, "start_sending() first"
        return self.sender_node
