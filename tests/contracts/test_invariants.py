"""The contracts' invariants, as a Hypothesis state machine driving the real contracts on Anvil.

Each step is one transaction (enroll, batch enroll, consent change by the member or by a relayed
EIP-712 signature, commitment rotation, tier change, suspend, reinstate, revoke, erase, leave,
nonce increase, moves proposed, vetoed, cancelled and completed, move delay, credit, redeem,
redemption by a relayed EIP-712 signature, forfeit, carry-over, transfer, catalogue and
multiplier changes, pause, unpause, policy publication, role grants, revocations and
renunciations; or time passing) sent by a random actor about a random member: half the time one
the call suits (a holder of the role it needs, a member in the status it needs), half the time
anyone. A Python model says whether the call is allowed;
the step asserts the transaction reverted exactly when the model says so, with the custom error
and arguments the model predicts. After every step the observable state of both contracts is
read back and checked, first on its own:

- the sum of all balances equals `totalSupply()`;
- a balance only grows for a member active before and after the step;
- every batch content an issuer applied reads as applied for that issuer and for no one else,
  and replaying it reverts `BatchAlreadyApplied(issuer, contentHash)`;
- an applied credit batch's `BatchCredited` counts the rows the model credited and skipped, and
  every skipped row has its `CreditSkipped` or `CreditRoundedToZero`;
- an erased or moved record holds no commitment and no consent and keeps its status for ever;
  `movedTo` names a wallet exactly for moved records, and a move is pending only for an active
  or suspended record;
- a move completes only if it was pending before the step (not vetoed, not cancelled), to a
  wallet never enrolled before; points move between wallets outside the member-to-member rules
  only by `carryOver`, to the wallet the membership moved to;
- consent changes only through the member's own call, the member's signature, enrollment
  (consent collected with the personal data), a move (the record, consent included, goes to the
  new wallet) or erasure (wiped); each change but a move or erasure is exactly one
  `ConsentChanged` with the old and new flags, and no-ops emit none;
- re-enrolling a revoked member never widens its consent;
- state changes only if the caller held the authority the call needs, read from the chain
  before the step (the role, the member's status, the member's signature);
- a redemption burns exactly the catalogue's cost, and only what the member signed at that
  cost, with their current nonce on the points token, before the deadline;
- while paused, every pause-guarded call reverts, a consent change only narrows, and a reverted
  call changes nothing;
- `memberCount()` equals the number of active and suspended records;

then against the model, field by field.

Speed. Ape's `registry.method(..., sender=acct)` costs ~80 ms per transaction and ~250 ms per
revert on Anvil (gas estimation, then a trace to enrich every revert), a web3 contract object
~15 ms. Here a step sends prepared calldata with Anvil's `eth_sendTransactionSync` over one
keep-alive HTTP connection (~1.5 ms, mined, receipt included), reads a revert's custom error by
replaying the call on the parent block, and reads the ~110 views of a check with one `eth_call`
to Multicall3 (Ape's copy, put at its usual address with `set_code` as Ape's `Multicall` does),
batched with the replays of applied batches: ~8-9 ms a step with Hypothesis' own work, about
100 s for the `ci` profile on two cores. Each example starts from a `chain.snapshot()` that
`teardown` restores.

Profiles (tests/contracts/conftest.py): `ci`, the default, derandomized, 200 examples of up to
50 steps; `fuzz` (`HYPOTHESIS_PROFILE=fuzz`), random and longer. The machine talks JSON-RPC to a
node, so it runs on Anvil and is skipped on Ape's in-process chain (~45 ms a transaction there).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest
from ape_ethereum.multicall.constants import MULTICALL3_ADDRESS, MULTICALL3_CODE
from batch_rows import (
    CREDIT_ROW_BYTES,
    change_rows,
    content_hash,
    credit_rows,
    enrollment_rows,
    event_tag,
)
from eth_abi.abi import decode, encode
from eth_abi.grammar import parse
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

T = TypeVar("T")


class Status(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3
    ERASED = 4
    MOVED = 5


ENROLLED = (Status.ACTIVE, Status.SUSPENDED)
OF_RECORD = (Status.ACTIVE, Status.SUSPENDED, Status.REVOKED)  # may change their consent
TOMBSTONES = (Status.ERASED, Status.MOVED)
MOVE_DELAYS = (0, 1_000, 3 * 24 * 3600)  # 3 days at deployment
TIME_PASSING = 4 * 24 * 3600  # longer than any move delay
ADMIN_ROLE = bytes(32)
REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
ROLE_NAMES = {
    ADMIN_ROLE: "admin",
    REGISTRAR_ROLE: "registrar",
    PAUSER_ROLE: "pauser",
    ISSUER_ROLE: "issuer",
}
REGISTRY_ROLES = (ADMIN_ROLE, REGISTRAR_ROLE, PAUSER_ROLE)
POINTS_ROLES = (ADMIN_ROLE, ISSUER_ROLE)
KNOWN_CONSENT_FLAGS = 0b111
BASE_MULTIPLIER_BPS = 10_000
MAX_MULTIPLIER_BPS = 1_000_000
POLICY_V1 = b"\x11" * 32  # published by the `registry` fixture
ZERO_ADDRESS = to_checksum_address(bytes(20))
GAS = hex(2_000_000)
VALID_DEADLINE = 2**40
EXPIRED_DEADLINE = 1_000_000  # in 1970
# Wallets no test key controls: the registrar may enroll them, credit reaches them, they never act.
KEYLESS = tuple(
    to_checksum_address(keccak(b"invariants-keyless" + bytes([i]))[:20]) for i in range(3)
)
BATCH_LABELS = tuple(f"invariants-batch-{i}" for i in range(6))
CONSENT_CHANGED = keccak(text="ConsentChanged(address,uint16,uint16,uint16,address)")
BATCH_CREDITED = keccak(text="BatchCredited(bytes32,address,uint256,uint256,uint256)")
CREDIT_SKIPPED = keccak(text="CreditSkipped(address,bytes16,uint256,uint8)")
CREDIT_ROUNDED_TO_ZERO = keccak(text="CreditRoundedToZero(address,bytes16,uint256,uint32)")
MOVE_PROPOSED = keccak(text="MoveProposed(address,address,uint40,address)")
COMMITMENTS = (bytes(20), *(keccak(b"invariants-commitment" + bytes([i]))[:20] for i in range(4)))
TIERS = range(4)
REWARDS = (1, 2, 3)
CONSENT_CHANGE_TYPES = {
    "ConsentChange": [
        {"name": "member", "type": "address"},
        {"name": "flags", "type": "uint16"},
        {"name": "policyVersion", "type": "uint16"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

REDEEM_REQUEST_TYPES = {
    "RedeemRequest": [
        {"name": "member", "type": "address"},
        {"name": "rewardId", "type": "uint256"},
        {"name": "cost", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

# An expected revert: (error name, arguments), or None for success.
Expected = tuple[str, tuple[Any, ...]] | None
Observation = dict[tuple[Any, ...], Any]


# ---------------------------------------------------------------------------- the node


@cache
def _function(signature: str) -> tuple[bytes, tuple[str, ...]]:
    """Selector and argument types of a function signature such as `f(address,uint8)`."""
    arguments = signature[signature.index("(") :]
    types = () if arguments == "()" else tuple(t.to_type_str() for t in parse(arguments).components)
    return keccak(text=signature)[:4], types


def calldata(signature: str, *args: Any) -> str:
    selector, types = _function(signature)
    return "0x" + (selector + encode(types, args)).hex()


def _word(raw: bytes, offset: int) -> int:
    return int.from_bytes(raw[offset : offset + 32], "big")


def _aggregate3_results(raw: bytes) -> list[bytes]:
    """Decode Multicall3's `(bool success, bytes returnData)[]` (eth_abi takes ~8x longer)."""
    results = []
    for i in range(_word(raw, 32)):
        item = 64 + _word(raw, 64 + 32 * i)
        data = item + _word(raw, item + 32)
        results.append(raw[data + 32 : data + 32 + _word(raw, data)])
    return results


class Node:
    """JSON-RPC to the node over one keep-alive connection: no gas estimation, no tracing."""

    def __init__(self, uri: str) -> None:
        url = urlparse(uri)
        self._connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
        self._connection.connect()
        self._connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _post(self, body: Any) -> Any:
        self._connection.request(
            "POST", "/", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        return json.loads(self._connection.getresponse().read())

    def request(self, method: str, params: list[Any]) -> Any:
        reply = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        if "error" in reply:
            raise RuntimeError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def calls(self, calls: Sequence[list[Any]]) -> list[dict[str, Any]]:
        """`eth_call` with each params list, in one batch; the replies in order."""
        body = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": params}
            for i, params in enumerate(calls)
        ]
        return sorted(self._post(body), key=lambda reply: reply["id"])

    def transact(self, sender: str, to: str, data: str) -> tuple[bytes | None, list[Log]]:
        """Mine the call as a transaction: (None, its logs) if it succeeded, else its revert
        data and no logs."""
        call = {"from": sender, "to": to, "data": data}
        # Anvil's eth_sendTransactionSync (EIP-7966) answers with the receipt once mined.
        receipt = self.request("eth_sendTransactionSync", [call | {"gas": GAS}])
        if receipt["status"] == "0x1":
            return None, [_log(entry) for entry in receipt["logs"]]
        # Automine puts each transaction in a block of its own: the parent block's state is the
        # state the transaction saw, so replaying the call there yields its revert data.
        parent = hex(int(receipt["blockNumber"], 16) - 1)
        (reply,) = self.calls([[call, parent]])
        assert "error" in reply, f"{receipt['transactionHash']} reverted, its replay did not"
        return bytes.fromhex(reply["error"].get("data", "0x")[2:]), []


@dataclass(frozen=True)
class Log:
    address: str
    topics: tuple[bytes, ...]
    data: bytes

    def word(self, index: int) -> int:
        return _word(self.data, 32 * index)

    def topic_address(self, index: int) -> str:
        return to_checksum_address(self.topics[index][12:])


def _log(entry: dict[str, Any]) -> Log:
    return Log(
        to_checksum_address(entry["address"]),
        tuple(bytes.fromhex(topic[2:]) for topic in entry["topics"]),
        bytes.fromhex(entry["data"][2:]),
    )


class Errors:
    """The custom errors of both contracts, from their ABIs."""

    def __init__(self, contract_types: Iterable[Any]) -> None:
        self._by_name: dict[str, tuple[bytes, list[str]]] = {}
        self._by_selector: dict[bytes, tuple[str, list[str]]] = {}
        for contract_type in contract_types:
            for abi in contract_type.errors:
                types = [argument.canonical_type for argument in abi.inputs]
                selector = keccak(text=abi.selector)[:4]
                self._by_name[abi.name] = (selector, types)
                self._by_selector[selector] = (abi.name, types)

    def encode(self, expected: Expected) -> bytes | None:
        if expected is None:
            return None
        name, args = expected
        selector, types = self._by_name[name]
        return selector + encode(types, args)

    def describe(self, data: bytes | None) -> str:
        if data is None:
            return "success"
        if data[:4] not in self._by_selector:
            return f"revert 0x{data.hex()}"
        name, types = self._by_selector[data[:4]]
        args = ", ".join(_show(arg) for arg in decode(types, data[4:]))
        return f"{name}({args})"


def _show(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Deployment:
    """What one run of the machine needs from the fixtures."""

    node: Node
    chain: Any
    registry: str
    points: str
    actors: tuple[str, ...]  # admin, registrar, issuer, pauser, outsider, then the 5 members
    keys: dict[str, str]
    names: dict[str, str]
    errors: Errors
    domain: dict[str, Any]
    points_domain: dict[str, Any]

    @property
    def admin(self) -> str:
        return self.actors[0]

    @property
    def outsider(self) -> str:
        return self.actors[4]

    @property
    def members(self) -> tuple[str, ...]:
        return self.actors[5:]

    @property
    def pool(self) -> tuple[str, ...]:
        """Every wallet that may ever be enrolled: the 5 signing members and 3 keyless ones."""
        return self.members + KEYLESS

    @property
    def holders(self) -> tuple[str, ...]:
        """Every address that could hold points or a nonce here."""
        return self.actors + KEYLESS

    def name(self, address: str) -> str:
        return self.names.get(address, address)


# ---------------------------------------------------------------------------- the model


@dataclass
class Record:
    commitment: bytes = bytes(20)
    consent: int = 0
    tier: int = 0
    status: Status = Status.NONE
    policy_version: int = 0
    since: int | None = 0  # None: enrolled this step; learnt from the chain at the next check


@dataclass
class Move:
    new_wallet: str
    executable_at: int
    since: int | None  # the `since` of the record it was proposed for
    ready: bool  # executable now: no delay, or time passed since it was proposed


@dataclass(frozen=True)
class Step:
    """What the checks need to know about the step just taken."""

    call: str
    reverted: bool
    pause_guarded: bool
    paused_before: bool
    statuses_before: dict[str, Status]
    consent_of: frozenset[str]
    authorised: Callable[[Observation], bool]
    logs: tuple[Log, ...]
    # A credit batch the model expects to apply: (rows credited, points, rows skipped).
    credited: tuple[int, int, int] | None
    # A completed move's old and new wallets; where carryOver sent points.
    moved: frozenset[str]
    carried_to: str | None


# A choice of actor or member: (pick one that suits the call?, index). Shrinks toward suiting.
CHOICE = st.tuples(st.booleans(), st.integers(0, 9))
# The same, suiting three times in four: for calls that need several suitable choices at once.
MOSTLY_SUITING = st.tuples(st.sampled_from((True, True, True, False)), st.integers(0, 9))
# What may follow a proposed move in the same rule (None: nothing, the move stays pending).
AFTER_PROPOSING = (
    None,
    "complete",
    "complete, carry over",
    "complete, carry over",
    "wait, complete",
    "veto",
    "veto",
    "cancel",
)
COMMITMENT = st.sampled_from(COMMITMENTS)
CONSENT = st.integers(0, KNOWN_CONSENT_FLAGS + 1)  # 8 names no purpose
TIER = st.sampled_from(TIERS)
VERSION_OFFSET = st.sampled_from((0,) * 6 + (-1, 1))
AMOUNT = st.sampled_from((1, 7, 100, 2_500) * 2 + (0,))
RARELY = st.sampled_from((False,) * 7 + (True,))


def anyone(_observed: Observation) -> bool:
    return True


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, deployment: Deployment) -> None:
        super().__init__()
        self.d = deployment
        self.snapshot = deployment.chain.snapshot()
        admin, registrar, issuer, pauser = deployment.actors[:4]
        # The model, as the fixtures deploy the contracts.
        self.paused = False
        self.policy_version = 1
        self.policy_hashes = {1: POLICY_V1}
        self.records: dict[str, Record] = {}
        self.nonces = dict.fromkeys(deployment.holders, 0)
        self.points_nonces = dict.fromkeys(deployment.holders, 0)
        self.registry_roles = {
            ADMIN_ROLE: {admin},
            REGISTRAR_ROLE: {admin, registrar},
            PAUSER_ROLE: {admin, pauser},
        }
        self.points_roles = {ADMIN_ROLE: {admin}, ISSUER_ROLE: {admin, issuer}}
        self.balances = dict.fromkeys(deployment.holders, 0)
        self.multipliers: dict[int, int] = {}
        self.rewards: dict[int, int] = {}
        self.transfers_enabled = False
        # Credit batches applied, as (issuer, packed rows), in order.
        self.applied: list[tuple[str, bytes]] = []
        #: Change batches applied: (registrar, tag, rows).
        self.change_batches: list[tuple[str, bytes, bytes]] = []
        # The chain as last checked, and the step since.
        self.previous: Observation | None = None
        self.last: Step | None = None
        self.ever_erased: set[str] = set()
        self.ever_moved: set[str] = set()
        # Moves: the latest proposed per old wallet, and where completed ones went.
        self.move_delay = MOVE_DELAYS[-1]
        self.moves: dict[str, Move] = {}
        self.moved_to: dict[str, str] = {}
        self.reads = self._reads()
        self.multicalls: dict[int, tuple[list[tuple[Any, ...]], list[Any]]] = {}

    def teardown(self) -> None:
        self.d.chain.restore(self.snapshot)

    # ------------------------------------------------------------------ choosing

    def record(self, member: str) -> Record:
        return self.records.get(member, Record())

    def status(self, member: str) -> Status:
        return self.record(member).status

    def pick(self, choice: tuple[bool, int], suitable: Iterable[T], everyone: Sequence[T]) -> T:
        suits, index = choice
        candidates = [account for account in everyone if account in set(suitable)]
        if suits and candidates:
            return candidates[index % len(candidates)]
        return everyone[index % len(everyone)]

    def actor(self, choice: tuple[bool, int], holders: Iterable[str]) -> str:
        """An actor; if the choice says so, one of `holders`."""
        return self.pick(choice, holders, self.d.actors)

    def member_actor(self, choice: tuple[bool, int], statuses: Iterable[Status]) -> str:
        """An actor; if the choice says so, a member wallet in one of `statuses`."""
        wanted = set(statuses)
        return self.actor(choice, [m for m in self.d.members if self.status(m) in wanted])

    def member(self, choice: tuple[bool, int], statuses: Iterable[Status]) -> str:
        """A pool wallet; if the choice says so, one in one of `statuses`."""
        wanted = set(statuses)
        suitable = [m for m in self.d.pool if self.status(m) in wanted]
        return self.pick(choice, suitable, self.d.pool)

    def enrollee(self, choice: tuple[bool, int]) -> str:
        """A pool wallet that may be enrolled if the choice says so; index 9: the zero address."""
        if choice == (False, 9):
            return ZERO_ADDRESS
        return self.member(choice, (Status.NONE, Status.REVOKED))

    def multiplier(self, tier: int) -> int:
        return self.multipliers.get(tier, BASE_MULTIPLIER_BPS)

    # ------------------------------------------------------------------ expectations

    @staticmethod
    def lacks(roles: dict[bytes, set[str]], role: bytes, sender: str) -> Expected:
        if sender in roles[role]:
            return None
        return ("AccessControlUnauthorizedAccount", (sender, role))

    def not_paused(self) -> Expected:
        return ("EnforcedPause", ()) if self.paused else None

    def consent_ready(self) -> Expected:
        if self.paused:
            return ("EnforcedPause", ())
        return ("NoPolicyPublished", ()) if self.policy_version == 0 else None

    def enrolled(self, member: str) -> Expected:
        status = self.status(member)
        return None if status in ENROLLED else ("WrongStatus", (member, status))

    @staticmethod
    def holds(contract: str, role: bytes, sender: str) -> Callable[[Observation], bool]:
        key = (contract, ROLE_NAMES[role], sender)
        return lambda observed: bool(observed[key])

    @staticmethod
    def in_status(member: str, statuses: Iterable[Status]) -> Callable[[Observation], bool]:
        wanted = set(statuses)
        return lambda observed: observed[("member", member)][3] in wanted

    def send(
        self,
        sender: str,
        contract: str,
        signature: str,
        args: Sequence[Any],
        expected: Expected,
        *,
        authorised: Callable[[Observation], bool],
        pause_guarded: bool = True,
        consent_of: Iterable[str] = (),
        credited: tuple[int, int, int] | None = None,
        moved: Iterable[str] = (),
        carried_to: str | None = None,
    ) -> bool:
        """Send the call; assert it reverted exactly as the model expects; True if it succeeded."""
        target = self.d.registry if contract == "registry" else self.d.points
        revert, logs = self.d.node.transact(sender, target, calldata(signature, *args))
        call = f"{contract}.{signature.split('(')[0]} by {self.d.name(sender)}"
        self.last = Step(
            call=call,
            reverted=revert is not None,
            pause_guarded=pause_guarded,
            paused_before=self.paused,
            statuses_before={holder: self.status(holder) for holder in self.d.holders},
            consent_of=frozenset(consent_of),
            authorised=authorised,
            logs=tuple(logs),
            credited=credited if revert is None else None,
            moved=frozenset(moved),
            carried_to=carried_to,
        )
        wanted = self.d.errors.encode(expected)
        assert revert == wanted, (
            f"{call}{tuple(_show(arg) for arg in args)}: the chain gave "
            f"{self.d.errors.describe(revert)}, the model expected {self.d.errors.describe(wanted)}"
        )
        return expected is None

    # ------------------------------------------------------------------ registrar rules

    def row_error(
        self, member: str, commitment: bytes, consent: int, in_batch: Iterable[str]
    ) -> Expected:
        if member == ZERO_ADDRESS:
            return ("ZeroAddress", ())
        if commitment == bytes(20):
            return ("ZeroCommitment", (member,))
        if consent & ~KNOWN_CONSENT_FLAGS:
            return ("UnknownConsentFlags", (consent,))
        status = Status.ACTIVE if member in in_batch else self.status(member)
        if status in ENROLLED:
            return ("AlreadyEnrolled", (member,))
        if status == Status.MOVED:
            return ("WalletMoved", (member, self.moved_to[member]))
        return ("MemberIsErased", (member,)) if status == Status.ERASED else None

    def enroll_rows(self, sender: str, rows: list[tuple[str, bytes, int, int]]) -> None:
        expected = self.lacks(self.registry_roles, REGISTRAR_ROLE, sender)
        if expected is None and not rows:
            expected = ("MalformedRows", (0,))
        expected = expected or self.consent_ready()
        for i, (member, commitment, consent, _tier) in enumerate(rows):
            in_batch = [row[0] for row in rows[:i]]
            expected = expected or self.row_error(member, commitment, consent, in_batch)
        if self.send(
            sender,
            "registry",
            "enrollBatch(bytes)",
            (enrollment_rows(rows),),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
            consent_of={row[0] for row in rows},
        ):
            for row in rows:
                self.apply_enroll(*row)

    def apply_enroll(self, member: str, commitment: bytes, consent: int, tier: int) -> None:
        """A fresh record takes the form's consent; a revoked one keeps at most what it had."""
        if self.status(member) == Status.REVOKED:
            consent &= self.records[member].consent
        self.records[member] = Record(
            commitment, consent, tier, Status.ACTIVE, self.policy_version, since=None
        )

    @initialize(
        who=st.lists(st.integers(0, 7), unique=True, max_size=8),
        commitment=COMMITMENT.filter(any),
        consent=st.integers(0, KNOWN_CONSENT_FLAGS),
        tier=TIER,
        amount=st.sampled_from((0, 7, 50, 2_500)),
        multiplier=st.sampled_from((None, 1, 5_000, 25_000)),
        costs=st.lists(st.sampled_from((0, 1, 40, 300)), min_size=3, max_size=3),
        transfers=st.sampled_from((True, True, True, False)),
        move_delay=st.sampled_from((0, 0, None)),
    )
    def programme_in_motion(
        self,
        who: list[int],
        commitment: bytes,
        consent: int,
        tier: int,
        amount: int,
        multiplier: int | None,
        costs: list[int],
        transfers: bool,
        move_delay: int | None,
    ) -> None:
        """Most examples start with members holding points, a catalogue and perhaps transfers:
        the registrar enrolls, the admin sets rewards and perhaps the members' tier multiplier,
        the issuer credits the first batch; most set no move delay, as a local chain does, so a
        move can complete (and its points follow) within an example. Each call is checked like
        a step."""
        admin, registrar, issuer = self.d.actors[:3]
        members = [self.d.pool[i] for i in who]
        if members:
            self.enroll_rows(registrar, [(m, commitment, consent, tier) for m in members])
            self.chain_keeps_its_promises()
        for reward, cost in zip(REWARDS, costs, strict=True):
            if cost:
                self.do_set_reward(admin, reward, cost)
                self.chain_keeps_its_promises()
        if transfers:
            self.do_set_transfers_enabled(admin, True)
            self.chain_keeps_its_promises()
        if multiplier:
            self.do_set_tier_multiplier(admin, tier, multiplier)
            self.chain_keeps_its_promises()
        if move_delay is not None:
            self.do_set_move_delay(admin, move_delay)
            self.chain_keeps_its_promises()
        if members and amount:
            self.do_credit(issuer, self.credit_batch(0, members, [amount] * len(members)))

    @rule(actor=CHOICE, who=CHOICE, commitment=COMMITMENT, consent=CONSENT, tier=TIER)
    def enroll(
        self,
        actor: tuple[bool, int],
        who: tuple[bool, int],
        commitment: bytes,
        consent: int,
        tier: int,
    ) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        member = self.enrollee(who)
        expected = (
            self.lacks(self.registry_roles, REGISTRAR_ROLE, sender)
            or self.consent_ready()
            or self.row_error(member, commitment, consent, ())
        )
        if self.send(
            sender,
            "registry",
            "enroll(address,bytes20,uint16,uint8)",
            (member, commitment, consent, tier),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
            consent_of={member},
        ):
            self.apply_enroll(member, commitment, consent, tier)

    @rule(
        actor=CHOICE,
        rows=st.lists(st.tuples(CHOICE, COMMITMENT, CONSENT, TIER), max_size=3),
    )
    def enroll_batch(
        self, actor: tuple[bool, int], rows: list[tuple[tuple[bool, int], bytes, int, int]]
    ) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        self.enroll_rows(
            sender,
            [
                (self.enrollee(who), commitment, consent, tier)
                for who, commitment, consent, tier in rows
            ],
        )

    @rule(actor=CHOICE, who=CHOICE, commitment=COMMITMENT)
    def rotate_commitment(
        self, actor: tuple[bool, int], who: tuple[bool, int], commitment: bytes
    ) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        member = self.member(who, ENROLLED)
        expected = self.lacks(self.registry_roles, REGISTRAR_ROLE, sender) or self.not_paused()
        if expected is None and commitment == bytes(20):
            expected = ("ZeroCommitment", (member,))
        if self.send(
            sender,
            "registry",
            "rotateCommitment(address,bytes20)",
            (member, commitment),
            expected or self.enrolled(member),
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
        ):
            self.records[member].commitment = commitment

    @rule(actor=CHOICE, who=CHOICE, tier=TIER)
    def set_tier(self, actor: tuple[bool, int], who: tuple[bool, int], tier: int) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        member = self.member(who, ENROLLED)
        if self.send(
            sender,
            "registry",
            "setTier(address,uint8)",
            (member, tier),
            self.lacks(self.registry_roles, REGISTRAR_ROLE, sender)
            or self.not_paused()
            or self.enrolled(member),
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
        ):
            self.records[member].tier = tier

    def change_status(
        self,
        actor: tuple[bool, int],
        who: tuple[bool, int],
        function: str,
        valid: tuple[Status, ...],
    ) -> str | None:
        """suspend, reinstate, revoke, erase: registrar, not paused, member in a `valid` status.
        Returns the member if the call succeeded."""
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        member = self.member(who, valid)
        status = self.status(member)
        expected = self.lacks(self.registry_roles, REGISTRAR_ROLE, sender) or self.not_paused()
        if expected is None and status not in valid:
            expected = ("WrongStatus", (member, status))
        succeeded = self.send(
            sender,
            "registry",
            f"{function}(address)",
            (member,),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
            consent_of={member} if function == "erase" else (),
        )
        return member if succeeded else None

    @rule(actor=CHOICE, who=CHOICE)
    def suspend(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        if member := self.change_status(actor, who, "suspend", (Status.ACTIVE,)):
            self.records[member].status = Status.SUSPENDED

    @rule(actor=CHOICE, who=CHOICE)
    def reinstate(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        if member := self.change_status(actor, who, "reinstate", (Status.SUSPENDED,)):
            self.records[member].status = Status.ACTIVE

    @rule(actor=CHOICE, who=CHOICE)
    def revoke(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        if member := self.change_status(actor, who, "revoke", ENROLLED):
            self.records[member].status = Status.REVOKED

    @rule(
        actor=CHOICE,
        changes=st.lists(st.tuples(CHOICE, st.integers(0, 3), TIER), min_size=1, max_size=4),
        tag=st.integers(0, 2),
    )
    def change_batch(
        self, actor: tuple[bool, int], changes: list[tuple[tuple[bool, int], int, int]], tag: int
    ) -> None:
        """Tier and status changes in one batch (action 0 tier, 1 suspend, 2 reinstate, 3
        revoke); few tags, so the same tag and rows come again."""
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        rows = change_rows(
            (self.member(who, ENROLLED), action, tier if action == 0 else 0)
            for who, action, tier in changes
        )
        self.do_change_batch(sender, keccak(text=f"change batch {tag}"), rows)

    @precondition(lambda self: self.change_batches)
    @rule(actor=CHOICE, which=st.integers(0, 20))
    def change_batch_again(self, actor: tuple[bool, int], which: int) -> None:
        """A change batch some registrar applied, sent again: refused if by the same
        registrar, whatever its members became since; another registrar's batch otherwise."""
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        _registrar, tag, rows = self.change_batches[which % len(self.change_batches)]
        self.do_change_batch(sender, tag, rows)

    def do_change_batch(self, sender: str, tag: bytes, rows: bytes) -> None:
        expected = self.lacks(self.registry_roles, REGISTRAR_ROLE, sender) or self.not_paused()
        if expected is None and (sender, tag, rows) in self.change_batches:
            expected = ("BatchAlreadyApplied", (sender, keccak(tag + rows)))
        if self.send(
            sender,
            "registry",
            "changeBatch(bytes32,bytes)",
            (tag, rows),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
        ):
            self.change_batches.append((sender, tag, rows))
            for at in range(0, len(rows), 22):
                member = to_checksum_address(rows[at : at + 20])
                action, value = rows[at + 20], rows[at + 21]
                if self.status(member) not in ENROLLED:
                    continue  # skipped: ChangeSkipped, or a revoke already true
                if action == 0:
                    self.records[member].tier = value
                else:
                    after = (Status.SUSPENDED, Status.ACTIVE, Status.REVOKED)[action - 1]
                    self.records[member].status = after

    @rule(actor=CHOICE, who=CHOICE)
    def erase(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        if member := self.change_status(actor, who, "erase", OF_RECORD):
            # The tombstone keeps only the status and the enrollment time.
            self.records[member] = Record(status=Status.ERASED, since=self.records[member].since)

    # ------------------------------------------------------------------ member rules

    def consent_error(self, member: str, flags: int, version: int) -> Expected:
        """Checked in this order; while paused only a change that asks for no new purpose goes
        through."""
        expected: Expected = None
        if self.policy_version == 0:
            expected = ("NoPolicyPublished", ())
        if expected is None and version != self.policy_version:
            expected = ("StalePolicy", (version, self.policy_version))
        if expected is None and flags & ~KNOWN_CONSENT_FLAGS:
            expected = ("UnknownConsentFlags", (flags,))
        if expected is None and self.status(member) not in OF_RECORD:
            expected = self.enrolled(member)
        if expected is None and self.widens(member, flags):
            expected = self.not_paused()
        return expected

    def widens(self, member: str, flags: int) -> bool:
        return bool(flags & ~self.record(member).consent)

    def apply_consent(self, member: str, flags: int, version: int) -> None:
        self.records[member].consent = flags
        self.records[member].policy_version = version

    @rule(actor=CHOICE, flags=CONSENT, offset=VERSION_OFFSET)
    def set_consent(self, actor: tuple[bool, int], flags: int, offset: int) -> None:
        sender = self.member_actor(actor, OF_RECORD)
        version = self.policy_version + offset
        if self.send(
            sender,
            "registry",
            "setConsent(uint16,uint16)",
            (flags, version),
            self.consent_error(sender, flags, version),
            authorised=self.in_status(sender, OF_RECORD),
            pause_guarded=self.widens(sender, flags),
            consent_of={sender},
        ):
            self.apply_consent(sender, flags, version)

    @rule(
        relayer=CHOICE,
        who=CHOICE,
        signer=st.one_of(st.none(), st.integers(0, 9)),
        nonce_offset=st.sampled_from((0, 0, 0, -1, 1)),
        expired=RARELY,
        flags=CONSENT,
        offset=VERSION_OFFSET,
    )
    def set_consent_by_sig(
        self,
        relayer: tuple[bool, int],
        who: tuple[bool, int],
        signer: int | None,
        nonce_offset: int,
        expired: bool,
        flags: int,
        offset: int,
    ) -> None:
        """A consent change signed by the member (or, as an attack, by someone else), relayed."""
        sender = self.actor(relayer, (self.d.outsider,))
        signers_of_record = [m for m in self.d.members if self.status(m) in OF_RECORD]
        member = self.pick(who, signers_of_record, self.d.pool)
        if signer is not None:
            signed_by = self.d.actors[signer]
        else:  # the member, if the member has a key
            signed_by = member if member in self.d.keys else self.d.outsider
        current = self.nonces[member]
        nonce = current + nonce_offset if current + nonce_offset >= 0 else current + 2
        deadline = EXPIRED_DEADLINE if expired else VALID_DEADLINE
        version = self.policy_version + offset
        change = (member, flags, version, nonce, deadline)
        message = dict(
            zip(("member", "flags", "policyVersion", "nonce", "deadline"), change, strict=True)
        )
        signature = Account.sign_typed_data(
            self.d.keys[signed_by], self.d.domain, CONSENT_CHANGE_TYPES, message
        ).signature
        expected: Expected = None
        if expired:
            expected = ("DeadlineExpired", (deadline,))
        elif nonce != current:
            expected = ("InvalidAccountNonce", (member, current))
        elif signed_by != member:
            expected = ("InvalidSignature", (member,))
        if self.send(
            sender,
            "registry",
            "setConsentBySig((address,uint16,uint16,uint256,uint256),bytes)",
            (change, signature),
            expected or self.consent_error(member, flags, version),
            authorised=lambda _observed: signed_by == member,
            pause_guarded=self.widens(member, flags),
            consent_of={member},
        ):
            self.nonces[member] += 1
            self.apply_consent(member, flags, version)

    @rule(actor=CHOICE)
    def increase_nonce(self, actor: tuple[bool, int]) -> None:
        sender = self.member_actor(actor, Status)
        if self.send(
            sender, "registry", "increaseNonce()", (), None, authorised=anyone, pause_guarded=False
        ):
            self.nonces[sender] += 1

    @rule(actor=CHOICE)
    def leave(self, actor: tuple[bool, int]) -> None:
        sender = self.member_actor(actor, ENROLLED)
        if self.send(
            sender,
            "registry",
            "leave()",
            (),
            self.enrolled(sender),
            authorised=self.in_status(sender, ENROLLED),
            pause_guarded=False,
        ):
            self.records[sender].status = Status.REVOKED

    # ------------------------------------------------------------------ move rules

    def pending(self, old: str) -> Move | None:
        """The move of `old` the registry would act on: proposed for the record `old` holds now,
        which is active or suspended."""
        move = self.moves.get(old)
        if move is None or self.status(old) not in ENROLLED:
            return None
        return move if move.since == self.record(old).since else None

    def no_pending(self, old: str) -> Expected:
        return None if self.pending(old) else ("NoPendingMove", (old,))

    @rule(
        actor=MOSTLY_SUITING,
        who=MOSTLY_SUITING,
        to=MOSTLY_SUITING,
        then=st.sampled_from(AFTER_PROPOSING),
    )
    def propose_move(
        self, actor: tuple[bool, int], who: tuple[bool, int], to: tuple[bool, int], then: str | None
    ) -> None:
        """A registrar proposes a move; perhaps, in the next transactions (each checked like a
        step), someone completes it, time passes first, the old wallet vetoes it or a registrar
        cancels it; the points may follow the completed move."""
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        # A member who may veto holds a key: one of the signing members, when it suits.
        old = self.member_actor(who, ENROLLED) if then == "veto" else self.member(who, ENROLLED)
        new = ZERO_ADDRESS if to == (False, 9) else self.member(to, (Status.NONE,))
        if not self.do_propose_move(sender, old, new) or then is None:
            return
        registrars = [a for a in self.d.actors if a in self.registry_roles[REGISTRAR_ROLE]]
        registrar = registrars[0] if registrars else self.d.outsider
        self.chain_keeps_its_promises()
        if then.startswith("wait"):
            self.time_passes()
            self.chain_keeps_its_promises()
        if "complete" in then:
            self.do_complete_move(self.d.outsider, old)
            if then.endswith("carry over"):
                self.chain_keeps_its_promises()
                self.do_carry_over(self.d.outsider, old)
        elif then == "veto":
            self.do_veto_move(old)
        else:
            self.do_cancel_move(registrar, old)

    def do_propose_move(self, sender: str, old: str, new: str) -> bool:
        expected = self.lacks(self.registry_roles, REGISTRAR_ROLE, sender) or self.not_paused()
        expected = expected or self.enrolled(old)
        if expected is None and new == ZERO_ADDRESS:
            expected = ("ZeroAddress", ())
        if expected is None and self.status(new) != Status.NONE:
            expected = ("WrongStatus", (new, self.status(new)))
        if expected is None and (move := self.pending(old)):
            expected = ("MovePending", (old, move.new_wallet, move.executable_at))
        if not self.send(
            sender,
            "registry",
            "proposeMove(address,address)",
            (old, new),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
        ):
            return False
        assert self.last is not None
        (log,) = [log for log in self.last.logs if log.topics[0] == MOVE_PROPOSED]
        since = self.record(old).since
        self.moves[old] = Move(new, log.word(0), since, ready=self.move_delay == 0)
        return True

    def any_pending(self) -> bool:
        return any(self.pending(m) for m in self.moves)

    # The rules below fire only once a move is pending (or done), else they would almost never
    # meet one; half the time they still pick any wallet, so refusals are exercised too.
    @precondition(any_pending)
    @rule(actor=CHOICE, who=CHOICE)
    def cancel_move(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        self.do_cancel_move(sender, self.pick(who, self.pending_olds(), self.d.pool))

    def do_cancel_move(self, sender: str, old: str) -> None:
        if self.send(
            sender,
            "registry",
            "cancelMove(address)",
            (old,),
            self.lacks(self.registry_roles, REGISTRAR_ROLE, sender) or self.no_pending(old),
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
            pause_guarded=False,
        ):
            del self.moves[old]

    @precondition(any_pending)
    @rule(actor=CHOICE)
    def veto_move(self, actor: tuple[bool, int]) -> None:
        self.do_veto_move(self.actor(actor, [m for m in self.d.members if self.pending(m)]))

    def do_veto_move(self, sender: str) -> None:
        """`sender` refuses its move; a keyless wallet cannot, someone else tries instead."""
        sender = sender if sender in self.d.keys else self.d.outsider
        if self.send(
            sender,
            "registry",
            "vetoMove()",
            (),
            self.no_pending(sender),
            authorised=anyone,  # only ever the caller's own move
            pause_guarded=False,
        ):
            del self.moves[sender]

    @precondition(any_pending)
    @rule(actor=CHOICE, who=CHOICE)
    def complete_move(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.d.actors)  # anyone
        self.do_complete_move(sender, self.pick(who, self.pending_olds(), self.d.pool))

    def pending_olds(self) -> list[str]:
        return [m for m in self.d.pool if self.pending(m)]

    def do_complete_move(self, sender: str, old: str) -> None:
        move = self.pending(old)
        expected = self.not_paused() or self.no_pending(old)
        if expected is None and move is not None and not move.ready:
            expected = ("MoveNotReady", (old, move.executable_at))
        new = move.new_wallet if move else ZERO_ADDRESS
        if expected is None and self.status(new) != Status.NONE:
            expected = ("WrongStatus", (new, self.status(new)))
        key = ("pendingMove", old)
        if self.send(
            sender,
            "registry",
            "completeMove(address)",
            (old,),
            expected,
            authorised=lambda observed: observed[key][0] == new != ZERO_ADDRESS,
            consent_of={old, new},
            moved={old, new},
        ):
            record = self.records[old]
            self.records[new] = Record(**vars(record))
            self.records[old] = Record(status=Status.MOVED, since=record.since)
            self.moved_to[old] = new

    @rule(actor=CHOICE, delay=st.sampled_from(MOVE_DELAYS))
    def set_move_delay(self, actor: tuple[bool, int], delay: int) -> None:
        self.do_set_move_delay(self.actor(actor, self.registry_roles[ADMIN_ROLE]), delay)

    def do_set_move_delay(self, sender: str, delay: int) -> None:
        if self.send(
            sender,
            "registry",
            "setMoveDelay(uint32)",
            (delay,),
            self.lacks(self.registry_roles, ADMIN_ROLE, sender) or self.not_paused(),
            authorised=self.holds("registry", ADMIN_ROLE, sender),
        ):
            self.move_delay = delay

    @rule()
    def time_passes(self) -> None:
        """Four days, longer than any delay: every move proposed so far becomes executable."""
        self.d.node.request("evm_increaseTime", [TIME_PASSING])
        for move in self.moves.values():
            move.ready = True
        self.last = None  # no transaction: nothing to check but the model

    # ------------------------------------------------------------------ admin and pauser rules

    @rule(actor=CHOICE, zero_hash=RARELY)
    def publish_policy(self, actor: tuple[bool, int], zero_hash: bool) -> None:
        sender = self.actor(actor, self.registry_roles[ADMIN_ROLE])
        document = (
            bytes(32) if zero_hash else keccak(b"policy" + self.policy_version.to_bytes(2, "big"))
        )
        expected = self.lacks(self.registry_roles, ADMIN_ROLE, sender) or self.not_paused()
        if expected is None and zero_hash:
            expected = ("ZeroPolicyHash", ())
        if self.send(
            sender,
            "registry",
            "publishPolicy(bytes32)",
            (document,),
            expected,
            authorised=self.holds("registry", ADMIN_ROLE, sender),
        ):
            self.policy_version += 1
            self.policy_hashes[self.policy_version] = document

    @rule(actor=CHOICE)
    def pause(self, actor: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.registry_roles[PAUSER_ROLE])
        if self.send(
            sender,
            "registry",
            "pause()",
            (),
            self.lacks(self.registry_roles, PAUSER_ROLE, sender) or self.not_paused(),
            authorised=self.holds("registry", PAUSER_ROLE, sender),
            pause_guarded=False,
        ):
            self.paused = True

    @rule(actor=CHOICE)
    def unpause(self, actor: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.registry_roles[PAUSER_ROLE])
        expected = self.lacks(self.registry_roles, PAUSER_ROLE, sender)
        if expected is None and not self.paused:
            expected = ("ExpectedPause", ())
        if self.send(
            sender,
            "registry",
            "unpause()",
            (),
            expected,
            authorised=self.holds("registry", PAUSER_ROLE, sender),
            pause_guarded=False,
        ):
            self.paused = False

    def roles_of(self, contract: str) -> tuple[dict[bytes, set[str]], tuple[bytes, ...]]:
        if contract == "registry":
            return self.registry_roles, REGISTRY_ROLES
        return self.points_roles, POINTS_ROLES

    @rule(
        actor=CHOICE,
        contract=st.sampled_from(("registry", "points")),
        role=st.integers(0, 2),
        account=st.integers(0, 9),
        grant=st.sampled_from((True, True, False)),
    )
    def grant_or_revoke_role(
        self, actor: tuple[bool, int], contract: str, role: int, account: int, grant: bool
    ) -> None:
        roles, role_ids = self.roles_of(contract)
        role_id = role_ids[role % len(role_ids)]
        grantee = self.d.actors[account]
        sender = self.actor(actor, roles[ADMIN_ROLE])
        expected: Expected = None
        if role_id == ADMIN_ROLE:  # changes only through the two-step admin transfer
            expected = ("AccessControlEnforcedDefaultAdminRules", ())
        if self.send(
            sender,
            contract,
            "grantRole(bytes32,address)" if grant else "revokeRole(bytes32,address)",
            (role_id, grantee),
            expected or self.lacks(roles, ADMIN_ROLE, sender),
            authorised=self.holds(contract, ADMIN_ROLE, sender),
            pause_guarded=False,
        ):
            if grant:
                roles[role_id].add(grantee)
            else:
                roles[role_id].discard(grantee)

    @rule(
        actor=CHOICE,
        contract=st.sampled_from(("registry", "points")),
        role=st.integers(0, 2),
        confirmation=st.one_of(st.none(), st.integers(0, 9)),
    )
    def renounce_role(
        self, actor: tuple[bool, int], contract: str, role: int, confirmation: int | None
    ) -> None:
        roles, role_ids = self.roles_of(contract)
        role_id = role_ids[role % len(role_ids)]
        sender = self.actor(actor, roles[role_id])
        account = sender if confirmation is None else self.d.actors[confirmation]
        expected: Expected = None
        if role_id == ADMIN_ROLE and account == self.d.admin:  # no admin transfer scheduled
            expected = ("AccessControlEnforcedDefaultAdminDelay", (0,))
        elif account != sender:
            expected = ("AccessControlBadConfirmation", ())
        if self.send(
            sender,
            contract,
            "renounceRole(bytes32,address)",
            (role_id, account),
            expected,
            authorised=lambda _observed: account == sender,
            pause_guarded=False,
        ):
            roles[role_id].discard(sender)

    # ------------------------------------------------------------------ points rules

    @rule(
        actor=CHOICE,
        batch=st.integers(0, len(BATCH_LABELS) - 1),
        who=st.tuples(st.booleans(), st.lists(st.integers(0, 9), min_size=1, max_size=3)),
        amounts=st.lists(AMOUNT, min_size=3, max_size=3),
        shape=st.sampled_from(("packed rows",) * 10 + ("empty", "one byte more")),
    )
    def credit(
        self,
        actor: tuple[bool, int],
        batch: int,
        who: tuple[bool, list[int]],
        amounts: list[int],
        shape: str,
    ) -> None:
        sender = self.actor(actor, self.points_roles[ISSUER_ROLE])
        suits, indices = who
        members = [self.member((suits, i), (Status.ACTIVE,)) for i in indices]
        rows = self.credit_batch(batch, members, amounts[: len(members)])
        if shape == "empty":
            rows = b""
        elif shape == "one byte more":
            rows += b"\x01"
        self.do_credit(sender, rows)

    @precondition(lambda self: self.applied)
    @rule(actor=CHOICE, which=st.integers(0, 20))
    def credit_again(self, actor: tuple[bool, int], which: int) -> None:
        """A batch some issuer applied, sent again: refused if by the same issuer; another
        issuer's own batch otherwise (no issuer can use up another's)."""
        sender = self.actor(actor, self.points_roles[ISSUER_ROLE])
        _issuer, rows = self.applied[which % len(self.applied)]
        self.do_credit(sender, rows)

    @staticmethod
    def credit_batch(batch: int, members: list[str], amounts: list[int]) -> bytes:
        label = BATCH_LABELS[batch]
        return credit_rows(
            (member, amount, event_tag(f"{label}#{i}"))
            for i, (member, amount) in enumerate(zip(members, amounts, strict=True))
        )

    def do_credit(self, sender: str, rows: bytes) -> None:
        expected = self.lacks(self.points_roles, ISSUER_ROLE, sender) or self.not_paused()
        if expected is None and (not rows or len(rows) % CREDIT_ROW_BYTES):
            expected = ("MalformedRows", (len(rows),))
        if expected is None and (sender, rows) in self.applied:
            expected = ("BatchAlreadyApplied", (sender, content_hash(rows)))
        parsed = _credit_rows(rows) if expected is None else []
        for i, (member, amount) in enumerate(parsed):
            if expected is None and amount == 0:
                expected = ("ZeroAmount", (i, member))
        # Inactive recipients and credits that round down to nothing are skipped.
        paid = [
            (member, self.credited(member, amount))
            for member, amount in parsed
            if self.status(member) == Status.ACTIVE
        ]
        paid = [(member, points) for member, points in paid if points]
        total = sum(points for _member, points in paid)
        if self.send(
            sender,
            "points",
            "credit(bytes)",
            (rows,),
            expected,
            authorised=self.holds("points", ISSUER_ROLE, sender),
            credited=(len(paid), total, len(parsed) - len(paid)),
        ):
            self.applied.append((sender, rows))
            for member, points in paid:
                self.balances[member] += points

    def credited(self, member: str, amount: int) -> int:
        """Points for `amount` base points: times the tier multiplier, rounded down."""
        return amount * self.multiplier(self.record(member).tier) // BASE_MULTIPLIER_BPS

    @rule(actor=CHOICE, reward=CHOICE)
    def redeem(self, actor: tuple[bool, int], reward: tuple[bool, int]) -> None:
        sender = self.member_actor(actor, (Status.ACTIVE,))
        balance = self.balances[sender]
        affordable = [r for r in REWARDS if 0 < self.rewards.get(r, 0) <= balance]
        reward_id = self.pick(reward, affordable, REWARDS)
        status = self.status(sender)
        cost = self.rewards.get(reward_id, 0)
        expected = self.not_paused()
        if expected is None and status != Status.ACTIVE:
            expected = ("NotActiveMember", (sender, status))
        if expected is None and cost == 0:
            expected = ("UnknownReward", (reward_id,))
        if expected is None and balance < cost:
            expected = ("ERC20InsufficientBalance", (sender, balance, cost))
        if self.send(
            sender,
            "points",
            "redeem(uint256)",
            (reward_id,),
            expected,
            authorised=self.in_status(sender, (Status.ACTIVE,)),
        ):
            self.balances[sender] -= cost

    @precondition(lambda self: self.moved_to)
    @rule(
        relayer=CHOICE,
        who=CHOICE,
        signer=st.one_of(st.none(), st.integers(0, 9)),
        nonce_offset=st.sampled_from((0, 0, 0, -1, 1)),
        expired=RARELY,
        reward=CHOICE,
        cost_offset=st.sampled_from((0, 0, 0, 0, 1, -1)),
    )
    def redeem_by_sig(
        self,
        relayer: tuple[bool, int],
        who: tuple[bool, int],
        signer: int | None,
        nonce_offset: int,
        expired: bool,
        reward: tuple[bool, int],
        cost_offset: int,
    ) -> None:
        """A redemption signed by the member (or, as an attack, by someone else) at the price the
        member saw (or another), relayed by anyone."""
        sender = self.actor(relayer, (self.d.outsider,))
        signers = [m for m in self.d.members if self.status(m) == Status.ACTIVE]
        member = self.pick(who, signers, self.d.pool)
        if signer is not None:
            signed_by = self.d.actors[signer]
        else:  # the member, if the member has a key
            signed_by = member if member in self.d.keys else self.d.outsider
        balance = self.balances[member]
        affordable = [r for r in REWARDS if 0 < self.rewards.get(r, 0) <= balance]
        reward_id = self.pick(reward, affordable, REWARDS)
        actual = self.rewards.get(reward_id, 0)
        cost = max(actual + cost_offset, 0)
        current = self.points_nonces[member]
        nonce = current + nonce_offset if current + nonce_offset >= 0 else current + 2
        deadline = EXPIRED_DEADLINE if expired else VALID_DEADLINE
        request = (member, reward_id, cost, nonce, deadline)
        message = dict(
            zip(("member", "rewardId", "cost", "nonce", "deadline"), request, strict=True)
        )
        signature = Account.sign_typed_data(
            self.d.keys[signed_by], self.d.points_domain, REDEEM_REQUEST_TYPES, message
        ).signature
        expected: Expected = None
        if expired:
            expected = ("DeadlineExpired", (deadline,))
        elif nonce != current:
            expected = ("InvalidAccountNonce", (member, current))
        elif signed_by != member:
            expected = ("InvalidSignature", (member,))
        expected = expected or self.not_paused()
        status = self.status(member)
        if expected is None and status != Status.ACTIVE:
            expected = ("NotActiveMember", (member, status))
        if expected is None and actual == 0:
            expected = ("UnknownReward", (reward_id,))
        if expected is None and cost != actual:
            expected = ("RewardCostChanged", (reward_id, cost, actual))
        if expected is None and balance < actual:
            expected = ("ERC20InsufficientBalance", (member, balance, actual))
        active = self.in_status(member, (Status.ACTIVE,))
        if self.send(
            sender,
            "points",
            "redeemBySig((address,uint256,uint256,uint256,uint256),bytes)",
            (request, signature),
            expected,
            authorised=lambda observed: signed_by == member and active(observed),
        ):
            self.points_nonces[member] += 1
            self.balances[member] -= actual

    @rule(actor=CHOICE)
    def increase_points_nonce(self, actor: tuple[bool, int]) -> None:
        """A member cancels the redemptions they signed (possible while paused)."""
        sender = self.member_actor(actor, Status)
        if self.send(
            sender, "points", "increaseNonce()", (), None, authorised=anyone, pause_guarded=False
        ):
            self.points_nonces[sender] += 1

    @rule(actor=CHOICE, who=CHOICE)
    def carry_over(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.d.actors)  # anyone
        self.do_carry_over(sender, self.member(who, (Status.MOVED,)))

    def do_carry_over(self, sender: str, old: str) -> None:
        new = self.moved_to.get(old) if self.status(old) == Status.MOVED else None
        expected = self.not_paused()
        if expected is None and new is None:
            expected = ("NotMoved", (old,))
        if self.send(
            sender,
            "points",
            "carryOver(address)",
            (old,),
            expected,
            authorised=self.in_status(old, (Status.MOVED,)),
            carried_to=new,
        ):
            assert new is not None
            self.balances[new] += self.balances[old]
            self.balances[old] = 0

    @rule(actor=CHOICE, who=CHOICE)
    def forfeit(self, actor: tuple[bool, int], who: tuple[bool, int]) -> None:
        sender = self.actor(actor, self.registry_roles[REGISTRAR_ROLE])
        member = self.member(who, (Status.REVOKED, Status.ERASED))
        status = self.status(member)
        expected: Expected = None
        if sender not in self.registry_roles[REGISTRAR_ROLE]:
            expected = ("NotRegistrar", (sender,))
        expected = expected or self.not_paused()
        if expected is None and status not in (Status.REVOKED, Status.ERASED):
            expected = ("NotForfeitable", (member, status))
        if self.send(
            sender,
            "points",
            "forfeit(address)",
            (member,),
            expected,
            authorised=self.holds("registry", REGISTRAR_ROLE, sender),
        ):
            self.balances[member] = 0

    @rule(
        actor=CHOICE,
        tier=TIER,
        bps=st.sampled_from(
            (0, 1, 5_000, 10_000, 25_000, MAX_MULTIPLIER_BPS, MAX_MULTIPLIER_BPS + 1)
        ),
    )
    def set_tier_multiplier(self, actor: tuple[bool, int], tier: int, bps: int) -> None:
        self.do_set_tier_multiplier(self.actor(actor, self.points_roles[ADMIN_ROLE]), tier, bps)

    def do_set_tier_multiplier(self, sender: str, tier: int, bps: int) -> None:
        expected = self.lacks(self.points_roles, ADMIN_ROLE, sender) or self.not_paused()
        if expected is None and not 1 <= bps <= MAX_MULTIPLIER_BPS:
            expected = ("InvalidMultiplier", (bps, MAX_MULTIPLIER_BPS))
        if self.send(
            sender,
            "points",
            "setTierMultiplier(uint8,uint32)",
            (tier, bps),
            expected,
            authorised=self.holds("points", ADMIN_ROLE, sender),
        ):
            self.multipliers[tier] = bps

    @rule(actor=CHOICE, reward=st.sampled_from(REWARDS), cost=st.sampled_from((0, 1, 40, 300)))
    def set_reward(self, actor: tuple[bool, int], reward: int, cost: int) -> None:
        self.do_set_reward(self.actor(actor, self.points_roles[ADMIN_ROLE]), reward, cost)

    def do_set_reward(self, sender: str, reward: int, cost: int) -> None:
        if self.send(
            sender,
            "points",
            "setReward(uint256,uint256)",
            (reward, cost),
            self.lacks(self.points_roles, ADMIN_ROLE, sender) or self.not_paused(),
            authorised=self.holds("points", ADMIN_ROLE, sender),
        ):
            self.rewards[reward] = cost

    @rule(actor=CHOICE, enabled=st.sampled_from((True, True, True, False)))
    def set_transfers_enabled(self, actor: tuple[bool, int], enabled: bool) -> None:
        self.do_set_transfers_enabled(self.actor(actor, self.points_roles[ADMIN_ROLE]), enabled)

    def do_set_transfers_enabled(self, sender: str, enabled: bool) -> None:
        if self.send(
            sender,
            "points",
            "setTransfersEnabled(bool)",
            (enabled,),
            self.lacks(self.points_roles, ADMIN_ROLE, sender) or self.not_paused(),
            authorised=self.holds("points", ADMIN_ROLE, sender),
        ):
            self.transfers_enabled = enabled

    @rule(actor=CHOICE, to=CHOICE, amount=st.sampled_from((0, 1, 25, 10**6)))
    def transfer(self, actor: tuple[bool, int], to: tuple[bool, int], amount: int) -> None:
        sender = self.member_actor(actor, (Status.ACTIVE,))
        recipient = self.member(to, (Status.ACTIVE,))
        expected: Expected = None if self.transfers_enabled else ("TransfersDisabled", ())
        expected = expected or self.not_paused()
        for party in (sender, recipient):
            if expected is None and self.status(party) != Status.ACTIVE:
                expected = ("NotActiveMember", (party, self.status(party)))
        if expected is None and self.balances[sender] < amount:
            expected = ("ERC20InsufficientBalance", (sender, self.balances[sender], amount))
        sender_active = self.in_status(sender, (Status.ACTIVE,))
        recipient_active = self.in_status(recipient, (Status.ACTIVE,))
        if self.send(
            sender,
            "points",
            "transfer(address,uint256)",
            (recipient, amount),
            expected,
            authorised=lambda observed: sender_active(observed) and recipient_active(observed),
        ):
            self.balances[sender] -= amount
            self.balances[recipient] += amount

    # ------------------------------------------------------------------ reading the chain

    def _reads(self) -> list[tuple[tuple[Any, ...], str, str]]:
        """(key, contract, calldata) of every view read at each check but `policyHash`."""
        d = self.d
        reads: list[tuple[tuple[Any, ...], str, str]] = [
            (("memberCount",), d.registry, calldata("memberCount()")),
            (("paused",), d.registry, calldata("paused()")),
            (("policyVersion",), d.registry, calldata("policyVersion()")),
            (("totalSupply",), d.points, calldata("totalSupply()")),
            (("transfersEnabled",), d.points, calldata("transfersEnabled()")),
            (("statuses",), d.registry, calldata("statusesAndTiers(address[])", list(d.pool))),
        ]
        reads += [(("member", m), d.registry, calldata("memberOf(address)", m)) for m in d.pool]
        reads += [(("movedTo", m), d.registry, calldata("movedTo(address)", m)) for m in d.pool]
        reads += [
            (("pendingMove", m), d.registry, calldata("pendingMove(address)", m)) for m in d.pool
        ]
        reads.append((("moveDelay",), d.registry, calldata("moveDelay()")))
        for holder in d.holders:
            reads.append((("nonce", holder), d.registry, calldata("nonces(address)", holder)))
            reads.append((("balance", holder), d.points, calldata("balanceOf(address)", holder)))
            data = calldata("nonces(address)", holder)
            reads.append((("points nonce", holder), d.points, data))
        for actor in d.actors:
            for contract, address, roles in (
                ("registry", d.registry, REGISTRY_ROLES),
                ("points", d.points, POINTS_ROLES),
            ):
                for role in roles:
                    data = calldata("hasRole(bytes32,address)", role, actor)
                    reads.append(((contract, ROLE_NAMES[role], actor), address, data))
        reads += [(("multiplier", t), d.points, calldata("multiplierBps(uint8)", t)) for t in TIERS]
        reads += [(("reward", r), d.points, calldata("rewardCost(uint256)", r)) for r in REWARDS]
        return reads

    def _multicall(self, policy_version: int) -> tuple[list[tuple[Any, ...]], list[Any]]:
        """The keys and the `eth_call` params that read every view through Multicall3."""
        if policy_version in self.multicalls:
            return self.multicalls[policy_version]
        reads = [
            *self.reads,
            (
                ("policyHash",),
                self.d.registry,
                calldata("policyHash(uint16)", policy_version),
            ),
        ]
        calls = [(to, False, bytes.fromhex(data[2:])) for _key, to, data in reads]
        data = calldata("aggregate3((address,bool,bytes)[])", calls)
        params = [{"to": MULTICALL3_ADDRESS, "data": data}, "latest"]
        self.multicalls[policy_version] = ([key for key, _to, _data in reads], params)
        return self.multicalls[policy_version]

    def observe(self) -> tuple[Observation, list[tuple[str, bytes, bytes]]]:
        """Every view; whether each actor applied each batch content applied so far; and a
        replay of every applied batch by its issuer: one batch of `eth_call`s."""
        d = self.d
        keys, multicall = self._multicall(self.policy_version)
        hashes = sorted({content_hash(rows) for _issuer, rows in self.applied})
        applied_keys = [("batchApplied", actor, h) for h in hashes for actor in d.actors]
        applied_calls = [
            (d.points, False, bytes.fromhex(calldata("batchApplied(address,bytes32)", a, h)[2:]))
            for _key, a, h in applied_keys
        ]
        applied_read: dict[str, str] = {"to": MULTICALL3_ADDRESS}
        applied_read["data"] = calldata("aggregate3((address,bool,bytes)[])", applied_calls)
        # A replay says BatchAlreadyApplied only to an issuer, while not paused.
        replays = [
            (issuer, rows)
            for issuer, rows in dict.fromkeys(self.applied)
            if not self.paused and issuer in self.points_roles[ISSUER_ROLE]
        ]
        replies = d.node.calls(
            [
                multicall,
                [applied_read, "latest"],
                *(
                    [{"from": issuer, "to": d.points, "data": _replay(rows)}, "latest"]
                    for issuer, rows in replays
                ),
            ]
        )
        assert "result" in replies[0], f"reading the views failed: {replies[0]}"
        results = _aggregate3_results(bytes.fromhex(replies[0]["result"][2:]))
        observed = {key: _decode(key, raw) for key, raw in zip(keys, results, strict=True)}
        assert "result" in replies[1], f"reading batchApplied failed: {replies[1]}"
        applied = _aggregate3_results(bytes.fromhex(replies[1]["result"][2:]))
        observed |= {key: _word(raw, 0) for key, raw in zip(applied_keys, applied, strict=True)}
        replayed = [
            (issuer, rows, bytes.fromhex(reply.get("error", {}).get("data", "0x")[2:]))
            for (issuer, rows), reply in zip(replays, replies[2:], strict=True)
        ]
        return observed, replayed

    # ------------------------------------------------------------------ invariants

    @invariant()
    def chain_keeps_its_promises(self) -> None:
        observed, replayed = self.observe()
        self.check_chain(observed, replayed)
        if self.previous is not None and self.last is not None:
            self.check_step(self.previous, observed, self.last)
        self.check_model(observed)
        self.previous, self.last = observed, None

    def check_chain(self, observed: Observation, replayed: list[tuple[str, bytes, bytes]]) -> None:
        """The invariants the contracts' headers state, from the chain alone."""
        d = self.d
        balances = sum(observed[("balance", holder)] for holder in d.holders)
        assert balances == observed[("totalSupply",)], "the balances do not sum to totalSupply"
        records = {member: observed[("member", member)] for member in d.pool}
        enrolled = sum(record[3] in ENROLLED for record in records.values())
        assert observed[("memberCount",)] == enrolled, "memberCount != active + suspended"
        packed = tuple(record[3] << 8 | record[2] for record in records.values())
        assert observed[("statuses",)] == packed, "statusesAndTiers disagrees with memberOf"
        for member, (commitment, consent, tier, status, version, _since) in records.items():
            if status in TOMBSTONES:
                assert (commitment, consent, tier, version) == (bytes(20), 0, 0, 0), member
            else:
                assert (status == Status.NONE) == (commitment == bytes(20)), d.name(member)
            for ever, final in ((self.ever_erased, Status.ERASED), (self.ever_moved, Status.MOVED)):
                if status == final:
                    ever.add(member)
                assert member not in ever or status == final, f"{d.name(member)} left {final}"
            moved_to = observed[("movedTo", member)]
            assert (moved_to != ZERO_ADDRESS) == (status == Status.MOVED), d.name(member)
            if observed[("pendingMove", member)][0] != ZERO_ADDRESS:
                assert status in ENROLLED, f"{d.name(member)} ({status}) has a pending move"
        for issuer, rows, revert in replayed:
            batch = content_hash(rows)
            assert observed[("batchApplied", issuer, batch)], f"batch 0x{batch.hex()} forgotten"
            wanted = d.errors.encode(("BatchAlreadyApplied", (issuer, batch)))
            assert revert == wanted, f"batch replay gave {d.errors.describe(revert)}"

    def check_step(self, before: Observation, after: Observation, step: Step) -> None:
        """What the last step may have changed, from the chain alone."""
        name = self.d.name
        changed = sorted(str(key) for key in after if after[key] != before.get(key, 0))
        if step.reverted:
            assert not changed, f"reverted {step.call} changed {changed}"
        if step.pause_guarded and step.paused_before:
            assert step.reverted, f"{step.call} succeeded while paused"
        if changed:
            assert step.authorised(before), f"{step.call} changed {changed} without authority"
        for holder in self.d.holders:
            if after[("balance", holder)] > before[("balance", holder)]:
                if holder == step.carried_to:  # the wallet a membership moved to
                    continue
                assert step.statuses_before[holder] == Status.ACTIVE, f"{step.call} paid {holder}"
                assert after[("member", holder)][3] == Status.ACTIVE, f"{step.call} paid {holder}"
        announced = self.consent_changes(step.logs)
        for member in self.d.pool:
            was, now = before[("member", member)], after[("member", member)]
            consent = now[1::3]  # (consent, policyVersion)
            if consent != was[1::3]:
                assert member in step.consent_of, f"{step.call} changed {name(member)}'s consent"
            wanted = []
            erased = now[3] == Status.ERASED and was[3] != Status.ERASED
            fresh_without_consent = was[3] == Status.NONE and now[1] == 0
            moved = member in step.moved  # the record went to another wallet: no change of mind
            if consent != was[1::3] and not (erased or moved or fresh_without_consent):
                wanted = [(was[1], now[1], now[4])]
            got = announced.get(member, [])
            assert got == wanted, f"{step.call}: {name(member)}'s ConsentChanged {got} != {wanted}"
            if was[3] == Status.REVOKED and now[3] == Status.ACTIVE:
                assert not now[1] & ~was[1], f"{step.call} re-enrolled {name(member)} wider"
            if step.paused_before:
                assert not now[1] & ~was[1], f"{step.call} widened consent while paused"
            if now[3] == Status.MOVED and was[3] != Status.MOVED:
                new = after[("movedTo", member)]
                assert before[("pendingMove", member)][0] == new, f"{step.call}: unproposed move"
                assert before[("member", new)][3] == Status.NONE, f"{step.call} merged into {new}"
                assert now[5] == was[5] and after[("member", new)] == was, "the record changed"
        for key, value in before.items():
            if key[0] == "batchApplied" and value:
                assert after[key], "batchApplied went back to false"
        if step.credited is not None:
            self.check_credit_logs(step)

    def consent_changes(self, logs: Iterable[Log]) -> dict[str, list[tuple[int, int, int]]]:
        """(oldFlags, newFlags, policyVersion) of each ConsentChanged the registry logged."""
        changes: dict[str, list[tuple[int, int, int]]] = {}
        for log in logs:
            if log.address == self.d.registry and log.topics[0] == CONSENT_CHANGED:
                change = (log.word(0), log.word(1), log.word(2))
                changes.setdefault(log.topic_address(1), []).append(change)
        return changes

    def check_credit_logs(self, step: Step) -> None:
        """BatchCredited counts what the model credited, and each skipped row says why."""
        points = [log for log in step.logs if log.address == self.d.points]
        (closing,) = [log for log in points if log.topics[0] == BATCH_CREDITED]
        count, total, skipped = step.credited or (0, 0, 0)
        got = (closing.word(0), closing.word(1), closing.word(2))
        assert got == (count, total, skipped), f"{step.call}: BatchCredited {got}"
        reasons = [
            log for log in points if log.topics[0] in (CREDIT_SKIPPED, CREDIT_ROUNDED_TO_ZERO)
        ]
        assert len(reasons) == skipped, f"{step.call}: {len(reasons)} skip events, {skipped} skips"

    def check_model(self, observed: Observation) -> None:
        expected: Observation = {
            ("memberCount",): sum(r.status in ENROLLED for r in self.records.values()),
            ("paused",): int(self.paused),
            ("policyVersion",): self.policy_version,
            ("policyHash",): self.policy_hashes[self.policy_version],
            ("totalSupply",): sum(self.balances.values()),
            ("transfersEnabled",): int(self.transfers_enabled),
            ("moveDelay",): self.move_delay,
        }
        for member in self.d.pool:
            record = self.record(member)
            if record.since is None:  # enrolled by the last step: learn the block's time
                record.since = observed[("member", member)][5]
            expected[("member", member)] = (
                record.commitment,
                record.consent,
                record.tier,
                record.status,
                record.policy_version,
                record.since,
            )
        for member in self.d.pool:
            moved = self.status(member) == Status.MOVED
            expected[("movedTo", member)] = self.moved_to[member] if moved else ZERO_ADDRESS
            move = self.pending(member)
            expected[("pendingMove", member)] = (
                (move.new_wallet, move.executable_at) if move else (ZERO_ADDRESS, 0)
            )
        for holder in self.d.holders:
            expected[("nonce", holder)] = self.nonces[holder]
            expected[("points nonce", holder)] = self.points_nonces[holder]
            expected[("balance", holder)] = self.balances[holder]
        for actor in self.d.actors:
            for role in REGISTRY_ROLES:
                held = actor in self.registry_roles[role]
                expected[("registry", ROLE_NAMES[role], actor)] = int(held)
            for role in POINTS_ROLES:
                expected[("points", ROLE_NAMES[role], actor)] = int(
                    actor in self.points_roles[role]
                )
        for tier in TIERS:
            expected[("multiplier", tier)] = self.multiplier(tier)
        for reward in REWARDS:
            expected[("reward", reward)] = self.rewards.get(reward, 0)
        applied = {(issuer, content_hash(rows)) for issuer, rows in self.applied}
        for key in observed:
            if key[0] == "batchApplied":
                expected[key] = int(key[1:] in applied)
        wrong = {
            str(key): (observed[key], value)
            for key, value in expected.items()
            if observed[key] != value
        }
        assert not wrong, f"the chain differs from the model, as (chain, model): {wrong}"


@cache
def _replay(rows: bytes) -> str:
    return calldata("credit(bytes)", rows)


def _credit_rows(rows: bytes) -> list[tuple[str, int]]:
    """(wallet, base amount) of each packed credit row."""
    return [
        (to_checksum_address(rows[at : at + 20]), int.from_bytes(rows[at + 20 : at + 28], "big"))
        for at in range(0, len(rows), CREDIT_ROW_BYTES)
    ]


def _decode(key: tuple[Any, ...], raw: bytes) -> Any:
    if key[0] == "member":  # (commitment, consent, tier, status, policyVersion, since)
        return (raw[:20], *(_word(raw, offset) for offset in range(32, 192, 32)))
    if key[0] == "movedTo":
        return to_checksum_address(raw[12:32])
    if key[0] == "pendingMove":  # (newWallet, executableAt)
        return (to_checksum_address(raw[12:32]), _word(raw, 32))
    if key[0] == "statuses":
        return tuple(_word(raw, offset) for offset in range(64, len(raw), 32))
    if key[0] == "policyHash":
        return raw
    return _word(raw, 0)


# ---------------------------------------------------------------------------- the test


@pytest.fixture
def deployment(registry: Any, points: Any, accounts: Any, chain: Any, project: Any) -> Deployment:
    if chain.provider.name != "foundry":
        pytest.skip("the state machine drives Anvil over JSON-RPC (see the module docstring)")
    chain.provider.set_code(MULTICALL3_ADDRESS, MULTICALL3_CODE)  # as Ape's Multicall does
    actors = [accounts[i] for i in (0, 1, 2, 3, 9, 4, 5, 6, 7, 8)]  # as tests/conftest.py
    names = ["admin", "registrar", "issuer", "pauser", "outsider"]
    names += [f"member{i}" for i in range(5)]
    return Deployment(
        node=Node(chain.provider.uri),
        chain=chain,
        registry=registry.address,
        points=points.address,
        actors=tuple(actor.address for actor in actors),
        keys={actor.address: actor.private_key for actor in actors},
        names=dict(zip((actor.address for actor in actors), names, strict=True)),
        errors=Errors((registry.contract_type, points.contract_type)),
        domain={
            "name": "MemberLedger MembershipRegistry",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": registry.address,
        },
        points_domain={
            "name": "MemberLedger LoyaltyPoints",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": points.address,
        },
    )


def test_invariants_hold_over_random_call_sequences(deployment: Deployment) -> None:
    profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    run_state_machine_as_test(  # a factory is what Hypothesis calls; its stub asks for a class
        lambda: LedgerMachine(deployment),  # type: ignore[arg-type]
        settings=profile,
    )
