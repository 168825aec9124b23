"""Who may call what: the access-control matrix of both contracts, checked against their ABIs.

`MATRIX` names, for every state-changing function of each contract's ABI, who may call it and
with which plausible arguments. A function in the ABI without an entry fails
`test_matrix_lists_every_state_changing_function`, so a new function cannot ship unreviewed.

Six callers each hold one thing: `admin` (only `DEFAULT_ADMIN_ROLE`: the scene takes back the
registrar, pauser and issuer roles the constructors give it), `registrar`, `pauser`, `issuer`,
`member` (an active member, no role) and `outsider` (nothing). Every caller an entry does not
allow calls the function and must get the custom error, with its arguments, that the entry
predicts; one allowed caller must get through, which shows the arguments are plausible and the
refusals are about authority alone.

The calls are `eth_call`s from the caller's account, the same execution a transaction would
get: Ape's `ape.reverts` answers the same question but traces every revert (~0.4 s each on
Anvil, against ~15 ms here, for ~190 cases on each of the two chains `make test` uses).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from batch_rows import change_rows, credits, enrollment_rows
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_tester.exceptions import TransactionFailed  # type: ignore[import-untyped]
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from ethpm_types.abi import MethodABI
from web3.exceptions import ContractLogicError

ADMIN_ROLE = bytes(32)
REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
COMMITMENT = keccak(b"matrix-commitment")[:20]
NEWCOMER = to_checksum_address(keccak(b"matrix-newcomer")[:20])  # never enrolled
MOVE_TARGET = to_checksum_address(keccak(b"matrix-move-target")[:20])  # the member's move
MOVED_TO = to_checksum_address(keccak(b"matrix-moved-to")[:20])  # where `moved` went
REWARD = 1
FAR_FUTURE = 2**40

CALLERS = ("admin", "registrar", "pauser", "issuer", "member", "outsider")
# Who each kind of permission lets through, among the callers above.
WHO = {
    "admin": {"admin"},
    "registrar": {"registrar"},
    "pauser": {"pauser"},
    "issuer": {"issuer"},
    "member-self": {"member"},  # an active member, acting for themself (a move of theirs pending)
    "anyone": set(CALLERS),
    "pending-admin": set(),  # the account an admin transfer was begun to: none here
    "approved-spender": set(),  # an account with an allowance: none here
    "registrar-self": {"registrar"},  # renouncing the registrar's own role
    "issuer-self": {"issuer"},  # renouncing the issuer's own role
}


@dataclass(frozen=True)
class Scene:
    """Addresses and data the matrix's arguments and errors refer to."""

    callers: dict[str, str]
    member: str  # active, holds points
    recipient: str  # active
    suspended: str
    revoked: str  # holds points
    moved: str  # moved to MOVED_TO, held points
    consent_change: tuple[str, int, int, int, int]
    signature: bytes
    redemption: tuple[str, int, int, int, int]  # the member's, signed
    redemption_signature: bytes


Arguments = Callable[[Scene], tuple[Any, ...]]
Refusal = Callable[[Scene, str], tuple[str, tuple[Any, ...]]]


@dataclass(frozen=True)
class Entry:
    who: str  # a key of WHO
    args: Arguments
    refusal: Refusal | None  # the error a caller `who` does not cover gets
    paused_first: bool = False  # the call needs the registry paused to be plausible

    @property
    def allowed(self) -> set[str]:
        return WHO[self.who]


def lacks(role: bytes) -> Refusal:
    return lambda _scene, caller: ("AccessControlUnauthorizedAccount", (caller, role))


def not_a_member(error: str) -> Refusal:
    """Member-only calls refuse a non-member by its status, None (0)."""
    return lambda _scene, caller: (error, (caller, 0))


def no_args(_scene: Scene) -> tuple[Any, ...]:
    return ()


def not_pending_admin(_scene: Scene, caller: str) -> tuple[str, tuple[Any, ...]]:
    return ("AccessControlInvalidDefaultAdmin", (caller,))


def not_self(_scene: Scene, _caller: str) -> tuple[str, tuple[Any, ...]]:
    return ("AccessControlBadConfirmation", ())


# The admin-transfer functions OpenZeppelin's AccessControlDefaultAdminRules adds to both.
ADMIN_RULES = {
    "acceptDefaultAdminTransfer()": Entry("pending-admin", no_args, not_pending_admin),
    "beginDefaultAdminTransfer(address)": Entry(
        "admin", lambda s: (s.callers["outsider"],), lacks(ADMIN_ROLE)
    ),
    "cancelDefaultAdminTransfer()": Entry("admin", no_args, lacks(ADMIN_ROLE)),
    "changeDefaultAdminDelay(uint48)": Entry("admin", lambda _s: (3_600,), lacks(ADMIN_ROLE)),
    "rollbackDefaultAdminDelay()": Entry("admin", no_args, lacks(ADMIN_ROLE)),
}

MATRIX: dict[str, dict[str, Entry]] = {
    "MembershipRegistry": {
        **ADMIN_RULES,
        "enroll(address,bytes20,uint16,uint8)": Entry(
            "registrar", lambda _s: (NEWCOMER, COMMITMENT, 0b011, 1), lacks(REGISTRAR_ROLE)
        ),
        "enrollBatch(bytes)": Entry(
            "registrar",
            lambda _s: (enrollment_rows([(NEWCOMER, COMMITMENT, 0b011, 1)]),),
            lacks(REGISTRAR_ROLE),
        ),
        "changeBatch(bytes32,bytes)": Entry(
            "registrar",
            lambda s: (b"\x01" * 32, change_rows([(s.member, 0, 2)])),
            lacks(REGISTRAR_ROLE),
        ),
        "rotateCommitment(address,bytes20)": Entry(
            "registrar", lambda s: (s.member, keccak(b"new")[:20]), lacks(REGISTRAR_ROLE)
        ),
        "setTier(address,uint8)": Entry(
            "registrar", lambda s: (s.member, 2), lacks(REGISTRAR_ROLE)
        ),
        "suspend(address)": Entry("registrar", lambda s: (s.member,), lacks(REGISTRAR_ROLE)),
        "reinstate(address)": Entry("registrar", lambda s: (s.suspended,), lacks(REGISTRAR_ROLE)),
        "revoke(address)": Entry("registrar", lambda s: (s.member,), lacks(REGISTRAR_ROLE)),
        "erase(address)": Entry("registrar", lambda s: (s.member,), lacks(REGISTRAR_ROLE)),
        "setConsent(uint16,uint16)": Entry(
            "member-self", lambda _s: (0b101, 1), not_a_member("WrongStatus")
        ),
        "setConsentBySig((address,uint16,uint16,uint256,uint256),bytes)": Entry(
            "anyone", lambda s: (s.consent_change, s.signature), None
        ),
        "increaseNonce()": Entry("anyone", no_args, None),
        "leave()": Entry("member-self", no_args, not_a_member("WrongStatus")),
        "proposeMove(address,address)": Entry(
            "registrar", lambda s: (s.recipient, NEWCOMER), lacks(REGISTRAR_ROLE)
        ),
        "cancelMove(address)": Entry("registrar", lambda s: (s.member,), lacks(REGISTRAR_ROLE)),
        "completeMove(address)": Entry("anyone", lambda s: (s.member,), None),
        "vetoMove()": Entry(
            "member-self", no_args, lambda _s, caller: ("NoPendingMove", (caller,))
        ),
        "setMoveDelay(uint32)": Entry("admin", lambda _s: (3_600,), lacks(ADMIN_ROLE)),
        "publishPolicy(bytes32)": Entry("admin", lambda _s: (b"\x22" * 32,), lacks(ADMIN_ROLE)),
        "pause()": Entry("pauser", no_args, lacks(PAUSER_ROLE)),
        "unpause()": Entry("pauser", no_args, lacks(PAUSER_ROLE), paused_first=True),
        "grantRole(bytes32,address)": Entry(
            "admin", lambda s: (REGISTRAR_ROLE, s.callers["outsider"]), lacks(ADMIN_ROLE)
        ),
        "revokeRole(bytes32,address)": Entry(
            "admin", lambda s: (REGISTRAR_ROLE, s.callers["registrar"]), lacks(ADMIN_ROLE)
        ),
        "renounceRole(bytes32,address)": Entry(
            "registrar-self", lambda s: (REGISTRAR_ROLE, s.callers["registrar"]), not_self
        ),
    },
    "LoyaltyPoints": {
        **ADMIN_RULES,
        "credit(bytes)": Entry(
            "issuer", lambda s: (credits("matrix", [s.member], [100]),), lacks(ISSUER_ROLE)
        ),
        "redeem(uint256)": Entry(
            "member-self", lambda _s: (REWARD,), not_a_member("NotActiveMember")
        ),
        "redeemBySig((address,uint256,uint256,uint256,uint256),bytes)": Entry(
            "anyone", lambda s: (s.redemption, s.redemption_signature), None
        ),
        "increaseNonce()": Entry("anyone", no_args, None),
        "transfer(address,uint256)": Entry(
            "member-self", lambda s: (s.recipient, 1), not_a_member("NotActiveMember")
        ),
        "transferFrom(address,address,uint256)": Entry(
            "approved-spender",
            lambda s: (s.member, s.recipient, 1),
            lambda _s, caller: ("ERC20InsufficientAllowance", (caller, 0, 1)),
        ),
        "approve(address,uint256)": Entry("anyone", lambda s: (s.recipient, 1), None),
        "carryOver(address)": Entry("anyone", lambda s: (s.moved,), None),
        "forfeit(address)": Entry(
            "registrar", lambda s: (s.revoked,), lambda _s, caller: ("NotRegistrar", (caller,))
        ),
        "setTierMultiplier(uint8,uint32)": Entry(
            "admin", lambda _s: (1, 15_000), lacks(ADMIN_ROLE)
        ),
        "setReward(uint256,uint256)": Entry("admin", lambda _s: (2, 50), lacks(ADMIN_ROLE)),
        "setTransfersEnabled(bool)": Entry("admin", lambda _s: (False,), lacks(ADMIN_ROLE)),
        "grantRole(bytes32,address)": Entry(
            "admin", lambda s: (ISSUER_ROLE, s.callers["outsider"]), lacks(ADMIN_ROLE)
        ),
        "revokeRole(bytes32,address)": Entry(
            "admin", lambda s: (ISSUER_ROLE, s.callers["issuer"]), lacks(ADMIN_ROLE)
        ),
        "renounceRole(bytes32,address)": Entry(
            "issuer-self", lambda s: (ISSUER_ROLE, s.callers["issuer"]), not_self
        ),
    },
}

REFUSALS = [
    pytest.param(contract, signature, caller, id=f"{contract}.{signature}-by-{caller}")
    for contract, entries in MATRIX.items()
    for signature, entry in entries.items()
    for caller in CALLERS
    if caller not in entry.allowed
]
ACCEPTANCES = [
    # One allowed caller for each function some caller may call: the outsider if anyone may.
    pytest.param(contract, signature, caller, id=f"{contract}.{signature}-by-{caller}")
    for contract, entries in MATRIX.items()
    for signature, entry in entries.items()
    if entry.allowed
    for caller in ["outsider" if "outsider" in entry.allowed else min(entry.allowed)]
]


# ---------------------------------------------------------------------------- helpers


def state_changing(contract_type: Any) -> set[str]:
    """Signatures of the ABI's non-view functions."""
    return {abi.selector for abi in contract_type.mutable_methods}


def unlisted(contract_type: Any, entries: dict[str, Entry]) -> set[str]:
    return state_changing(contract_type) - set(entries)


def call(chain: Any, contract: Any, signature: str, args: tuple[Any, ...], sender: str) -> bytes:
    """`eth_call` the function from `sender`; the revert data, or b"" if it went through."""
    method = getattr(contract, signature.split("(")[0])
    data = method.encode_input(*args).hex()
    request = {"from": sender, "to": contract.address, "data": "0x" + data.removeprefix("0x")}
    try:
        chain.provider.web3.eth.call(request)
    except ContractLogicError as error:  # an HTTP node (Anvil)
        return bytes.fromhex(str(error.data).removeprefix("0x"))
    except TransactionFailed as error:  # Ape's in-process chain: "execution reverted: b'...'"
        revert: bytes = ast.literal_eval(str(error.args[0]).removeprefix("execution reverted: "))
        return revert
    return b""


def encode_error(contract: Any, name: str, args: tuple[Any, ...]) -> bytes:
    abi = next(error for error in contract.contract_type.errors if error.name == name)
    types = [argument.canonical_type for argument in abi.inputs]
    return keccak(text=abi.selector)[:4] + encode(types, args)


ROLE_NAMES = {
    ADMIN_ROLE: "DEFAULT_ADMIN_ROLE",
    REGISTRAR_ROLE: "REGISTRAR_ROLE",
    PAUSER_ROLE: "PAUSER_ROLE",
    ISSUER_ROLE: "ISSUER_ROLE",
}


def show(name: str, args: tuple[Any, ...]) -> str:
    shown = [ROLE_NAMES.get(a, "0x" + a.hex()) if isinstance(a, bytes) else str(a) for a in args]
    return f"{name}({', '.join(shown)})"


def describe(contract: Any, data: bytes) -> str:
    if not data:
        return "no revert"
    for abi in contract.contract_type.errors:
        if keccak(text=abi.selector)[:4] == data[:4]:
            types = [argument.canonical_type for argument in abi.inputs]
            return show(abi.name, decode(types, data[4:]))
    return f"revert 0x{data.hex()}"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def scene(
    registry: Any,
    points: Any,
    admin: Any,
    registrar: Any,
    issuer: Any,
    pauser: Any,
    outsider: Any,
    members: list[Any],
    chain: Any,
) -> Scene:
    """Callers that each hold one thing, and members in every status the arguments need."""
    registry.revokeRole(REGISTRAR_ROLE, admin, sender=admin)
    registry.revokeRole(PAUSER_ROLE, admin, sender=admin)
    points.revokeRole(ISSUER_ROLE, admin, sender=admin)
    member, recipient, suspended, revoked, moved = members
    rows = [(account, COMMITMENT, 0b001, 0) for account in members]
    registry.enrollBatch(enrollment_rows(rows), sender=registrar)
    points.credit(credits("scene", [member, revoked, moved], [100, 100, 100]), sender=issuer)
    registry.suspend(suspended, sender=registrar)
    registry.revoke(revoked, sender=registrar)
    registry.setMoveDelay(0, sender=admin)  # the member's move can be completed at once
    registry.proposeMove(moved, MOVED_TO, sender=registrar)
    registry.completeMove(moved, sender=registrar)
    registry.proposeMove(member, MOVE_TARGET, sender=registrar)
    points.setReward(REWARD, 10, sender=admin)
    points.setTransfersEnabled(True, sender=admin)
    change = (member.address, 0b011, 1, 0, FAR_FUTURE)
    message = dict(
        zip(("member", "flags", "policyVersion", "nonce", "deadline"), change, strict=True)
    )
    signed = Account.sign_typed_data(
        member.private_key,
        {
            "name": "MemberLedger MembershipRegistry",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": registry.address,
        },
        {
            "ConsentChange": [
                {"name": "member", "type": "address"},
                {"name": "flags", "type": "uint16"},
                {"name": "policyVersion", "type": "uint16"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ]
        },
        message,
    )
    redemption = (member.address, REWARD, 10, 0, FAR_FUTURE)
    redemption_signed = Account.sign_typed_data(
        member.private_key,
        {
            "name": "MemberLedger LoyaltyPoints",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": points.address,
        },
        {
            "RedeemRequest": [
                {"name": "member", "type": "address"},
                {"name": "rewardId", "type": "uint256"},
                {"name": "cost", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ]
        },
        dict(zip(("member", "rewardId", "cost", "nonce", "deadline"), redemption, strict=True)),
    )
    accounts = (admin, registrar, pauser, issuer, member, outsider)
    return Scene(
        callers={name: account.address for name, account in zip(CALLERS, accounts, strict=True)},
        member=member.address,
        recipient=recipient.address,
        suspended=suspended.address,
        revoked=revoked.address,
        moved=moved.address,
        consent_change=change,
        signature=signed.signature,
        redemption=redemption,
        redemption_signature=redemption_signed.signature,
    )


@pytest.fixture
def contracts(registry: Any, points: Any) -> dict[str, Any]:
    return {"MembershipRegistry": registry, "LoyaltyPoints": points}


def prepare(entry: Entry, registry: Any, pauser: Any) -> None:
    if entry.paused_first:  # unpause needs something to undo
        registry.pause(sender=pauser)


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("contract_name", sorted(MATRIX))
def test_matrix_lists_every_state_changing_function(contract_name: str, project: Any) -> None:
    contract_type = getattr(project, contract_name).contract_type
    entries = MATRIX[contract_name]
    assert not unlisted(contract_type, entries), (
        f"{contract_name} has state-changing functions the access matrix does not list; add "
        f"who may call them to MATRIX: {sorted(unlisted(contract_type, entries))}"
    )
    stale = set(entries) - state_changing(contract_type)
    assert not stale, f"MATRIX lists functions {contract_name} no longer has: {sorted(stale)}"


def test_matrix_check_catches_a_new_function(project: Any) -> None:
    contract_type = project.MembershipRegistry.contract_type.model_copy(deep=True)
    new = MethodABI.model_validate({"name": "sweep", "inputs": [{"name": "to", "type": "address"}]})
    contract_type.abi.append(new)
    assert unlisted(contract_type, MATRIX["MembershipRegistry"]) == {"sweep(address)"}


@pytest.mark.parametrize(("contract_name", "signature", "caller"), REFUSALS)
def test_caller_without_permission_is_refused(
    contract_name: str,
    signature: str,
    caller: str,
    scene: Scene,
    contracts: dict[str, Any],
    registry: Any,
    pauser: Any,
    chain: Any,
) -> None:
    entry = MATRIX[contract_name][signature]
    contract = contracts[contract_name]
    prepare(entry, registry, pauser)
    sender = scene.callers[caller]
    assert entry.refusal is not None
    name, args = entry.refusal(scene, sender)
    revert = call(chain, contract, signature, entry.args(scene), sender)
    assert revert == encode_error(contract, name, args), (
        f"{signature} by {caller} ({entry.who} only): expected {show(name, args)}, "
        f"got {describe(contract, revert)}"
    )


@pytest.mark.parametrize(("contract_name", "signature", "caller"), ACCEPTANCES)
def test_caller_with_permission_gets_through(
    contract_name: str,
    signature: str,
    caller: str,
    scene: Scene,
    contracts: dict[str, Any],
    registry: Any,
    pauser: Any,
    chain: Any,
) -> None:
    entry = MATRIX[contract_name][signature]
    contract = contracts[contract_name]
    prepare(entry, registry, pauser)
    revert = call(chain, contract, signature, entry.args(scene), scene.callers[caller])
    assert revert == b"", f"{signature} by {caller} reverted: {describe(contract, revert)}"
