"""The staff dashboard's reads and writes, done by one thread that owns the programme (vault
file, index file, contracts): SQLite connections belong to the thread that opened them, and
a dashboard used by a few staff members at a time needs no more. Every answer is plain JSON.

What is read where:
- overview: the dashboard's chain index (`dashboard_index_path`;
  `memberledger.ops.report.report_from`, a few GROUP BYs), brought up to date within `budget`
  seconds first; redemptions waiting are the index's redemptions
  less the vault's fulfilments.
- series: per week, from the same index (`ChainIndex.weekly`, counters its writer keeps).
- health: the index's last block, the node's head, the registry's `paused()`, the relay
  account's balance.
- a member: `memberledger.ops.members.member_view` (vault and index side by side); the view
  is written to the access log before it is answered.
- redemptions: the index's, less the fulfilments; marking fulfilled goes through
  `memberledger.ops.redemptions.fulfil`, which checks each id against the chain first.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from eth_utils.address import to_checksum_address

from memberledger.consent import PURPOSE_WORDS
from memberledger.errors import MemberLedgerError, UnknownMember
from memberledger.identifiers import ZERO_ADDRESS
from memberledger.index.chain_index import ChainIndex, open_index
from memberledger.ops.members import member_view
from memberledger.ops.redemptions import fulfil
from memberledger.ops.report import report_from
from memberledger.programme import Programme
from memberledger.site import staff_actions
from memberledger.site.refusals import RelayRefused
from memberledger.site.staff_roles import StaffRoles
from memberledger.store.access_log import REASONS
from memberledger.store.fulfilments import redemption_id
from memberledger.store.vault import MemberStatus
from memberledger.tiers import TIERS

T = TypeVar("T")


def dashboard_index_path(vault_path: Path) -> Path:
    """The dashboard's own chain index beside the vault (`<vault>.dashboard-index.db`). Not the
    one `ape run index` and the history endpoint share: two followers appending to one file
    at once could fold the same range twice, so the dashboard keeps its own."""
    return vault_path.with_name(vault_path.name + ".dashboard-index.db")


#: Seconds a dashboard read may spend bringing the index up to date, by default.
DEFAULT_BUDGET = 3.0


class AdminDesk:
    """The dashboard's data, served by one thread. `opener` opens the programme (in that
    thread); `relayer` is the relay account whose balance the health section shows."""

    def __init__(
        self,
        opener: Callable[[], AbstractContextManager[Programme]],
        *,
        relayer: str | None = None,
        budget: float = DEFAULT_BUDGET,
    ) -> None:
        self._opener = opener
        self.relayer = relayer
        self.budget = budget
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard")
        self._stack = ExitStack()
        self._programme: Programme | None = None
        self._roles: StaffRoles | None = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in the desk's thread."""
        return await asyncio.wrap_future(self._thread.submit(work, *args))

    def close(self) -> None:
        self._thread.submit(self._stack.close).result()
        self._thread.shutdown()

    # ------------------------------------------------------------------ in the desk's thread

    def programme(self) -> Programme:
        if self._programme is None:
            self._programme = self._stack.enter_context(self._opener())
        return self._programme

    def roles_of(self, address: str) -> frozenset[str]:
        if self._roles is None:
            programme = self.programme()
            self._roles = StaffRoles(programme.registry, programme.points)
        return self._roles.of(address)

    def _index(self, stack: ExitStack) -> ChainIndex:
        programme = self.programme()
        path = dashboard_index_path(programme.database.path)
        index = stack.enter_context(open_index(programme, path=path, quiet=True))
        deadline = time.monotonic() + self.budget
        with suppress(MemberLedgerError):  # the node is away: what is indexed is still true
            index.catch_up(stop=lambda: time.monotonic() >= deadline)
        return index

    def overview(self) -> dict[str, Any]:
        """The programme now, and the chain's health."""
        programme = self.programme()
        with ExitStack() as stack:
            index = self._index(stack)
            report = report_from(programme, index)
            done = programme.fulfilments.all()
            # Counted only: the queue's page looks each member up in the vault, this one
            # need not (a million members' overview stays one walk over the redemptions).
            waiting = sum(
                1 for r in index.redemptions() if redemption_id(r.block, r.log_index) not in done
            )
        return {
            "block": report.block,
            "byStatus": report.by_status,
            "byTier": report.by_tier,
            "byConsent": report.by_consent,
            "vaultByStatus": report.vault_by_status,
            "points": {
                "issued": str(report.points_issued),
                "redeemed": str(report.points_redeemed),
                "forfeited": str(report.points_forfeited),
                "outstanding": str(report.points_outstanding),
            },
            "redemptionsWaiting": waiting,
            "health": self.health(report.block),
        }

    def series(self) -> list[dict[str, Any]]:
        """Per week (its Monday, UTC), oldest first: members enrolled by tier, points credited
        and redeemed, consent given and withdrawn per purpose; weeks with nothing are left
        out. From the index's weekly counters."""
        with ExitStack() as stack:
            index = self._index(stack)
            enrolled = index.weekly("enrolled")
            credited = index.weekly("credited")
            redeemed = index.weekly("redeemed")
            flags = list(PURPOSE_WORDS)
            consent = index.consent_weekly([int(flag) for flag in flags])
        weeks: dict[int, dict[str, Any]] = {}

        def week(start: int) -> dict[str, Any]:
            if start not in weeks:
                day = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat()
                weeks[start] = {
                    "week": day,
                    "enrolled": dict.fromkeys(TIERS.values(), 0),
                    "credited": "0",
                    "redeemed": "0",
                    "consentGiven": dict.fromkeys(PURPOSE_WORDS.values(), 0),
                    "consentWithdrawn": dict.fromkeys(PURPOSE_WORDS.values(), 0),
                }
            return weeks[start]

        for start, tier, count in enrolled:
            week(start)["enrolled"][TIERS.get(tier, str(tier))] = count
        for start, _, total in credited:
            week(start)["credited"] = str(total)
        for start, _, total in redeemed:
            week(start)["redeemed"] = str(total)
        for start, given, withdrawn in consent:
            row = week(start)
            for flag, gave, took in zip(flags, given, withdrawn, strict=True):
                row["consentGiven"][PURPOSE_WORDS[flag]] = gave
                row["consentWithdrawn"][PURPOSE_WORDS[flag]] = took
        return [weeks[start] for start in sorted(weeks)]

    def health(self, indexed: int) -> dict[str, Any]:
        programme = self.programme()
        head = int(programme.node.call("eth_blockNumber"), 16)
        balance = None
        if self.relayer:
            balance = str(int(programme.node.call("eth_getBalance", self.relayer, "latest"), 16))
        return {
            "indexedBlock": indexed,
            "headBlock": head,
            "lag": max(0, head - indexed),
            "paused": bool(programme.registry.paused()),
            "relayer": self.relayer,
            "relayerBalanceWei": balance,
        }

    def member(self, query: str, staff: str, reason: str) -> dict[str, Any]:
        """One member, vault and chain side by side; the view is logged first when it shows
        personal data."""
        if reason not in REASONS:
            raise RelayRefused(400, "bad_request", field="reason")
        programme = self.programme()
        try:
            with ExitStack() as stack:
                view = member_view(programme, query.strip()[:100], self._index(stack))
        except UnknownMember as exc:
            raise RelayRefused(404, "unknown_member") from exc
        stored = view.stored
        if view.personal is not None and stored is not None:
            programme.access_log.record(staff, stored.member_id, view.wallet, reason)
        return {
            "wallet": view.wallet,
            "memberId": stored.member_id if stored else None,
            "vault": None
            if stored is None
            else {
                "status": stored.status.value,
                "tier": stored.tier,
                "consent": stored.consent,
                "enrolledBlock": stored.enroll_block,
            },
            "personal": asdict(view.personal) if view.personal else None,
            "vaultProblem": view.vault_problem,
            "chain": {
                "status": view.chain.status.word,
                "tier": view.chain.tier,
                "consent": view.chain.consent,
                "policyVersion": view.chain.policy_version,
                "since": view.chain.since,
                "commitmentMatches": view.commitment_matches,
            },
            "balance": str(view.balance),
            "history": [
                {"when": e.when, "name": e.name, "summary": e.summary, "txHash": e.tx_hash}
                for e in view.history
            ],
            "erased": stored is not None and stored.status is MemberStatus.ERASED,
            "move": self._move_of(view.wallet),
        }

    def _move_of(self, wallet: str) -> dict[str, Any]:
        """The wallet's pending move (the new wallet, when it can be completed, and the chain's
        time now) and where a completed one went."""
        programme = self.programme()
        registry = programme.registry
        pending, executable_at = registry.pendingMove(wallet)
        moved_to = str(registry.movedTo(wallet))
        return {
            "pending": None if str(pending) == ZERO_ADDRESS else str(pending),
            "executableAt": int(executable_at),
            "now": int(programme.chain.blocks.head.timestamp),
            "movedTo": None if moved_to == ZERO_ADDRESS else moved_to,
            "pointsLeft": str(int(programme.points.balanceOf(wallet))),
        }

    def prepare_action(
        self,
        action: str,
        query: str,
        tier: int | None,
        changes: dict[str, str] | None,
        staff: str,
        new_wallet: str | None = None,
    ) -> dict[str, Any]:
        """The transaction of a registrar's action, for the staff member's wallet to send. An
        update reads and changes the member's personal data: it is access-logged first."""
        programme = self.programme()
        prepared = staff_actions.prepare(programme, action, query, tier, changes, new_wallet)
        if action == "update" and prepared.member_id is not None:
            programme.access_log.record(
                staff, prepared.member_id, prepared.wallet, "data_correction"
            )
        return prepared.as_json()

    def confirm_action(
        self,
        action: str,
        query: str,
        tier: int | None,
        tx_hash: str,
        staff: str,
        new_wallet: str | None = None,
    ) -> dict[str, Any]:
        """The action's transaction checked on chain, and the vault brought along."""
        return staff_actions.confirm(
            self.programme(), action, query, tier, tx_hash, staff, new_wallet
        )

    def access_log(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.programme().access_log.latest()]

    def _open_redemptions(self, index: ChainIndex) -> list[dict[str, Any]]:
        programme = self.programme()
        done = programme.fulfilments.all()
        found = []
        for r in index.redemptions():
            identity = redemption_id(r.block, r.log_index)
            if identity in done:
                continue
            stored = programme.vault.get_by_wallet(r.member)
            found.append(
                {
                    "id": identity,
                    "wallet": to_checksum_address(r.member),
                    "memberId": stored.member_id if stored else None,
                    "rewardId": r.reward_id,
                    "reward": programme.reward_name(r.reward_id),
                    "points": str(r.cost),
                    "when": r.when,
                    "txHash": r.tx_hash,
                }
            )
        return found

    def redemptions(self) -> list[dict[str, Any]]:
        """The redemptions not handed out yet, oldest first."""
        with ExitStack() as stack:
            return self._open_redemptions(self._index(stack))

    def fulfil(self, identities: list[str]) -> dict[str, Any]:
        """Mark these redemptions handed out (each checked against the chain first)."""
        try:
            outcome = fulfil(self.programme(), identities)
        except MemberLedgerError as exc:
            raise RelayRefused(400, "bad_request", field="ids") from exc
        return {
            "fulfilled": [r.redemption_id for r in outcome.fulfilled],
            "already": [r.redemption_id for r in outcome.already],
        }


def series_csv(weeks: list[dict[str, Any]]) -> str:
    """The weekly figures as CSV for a spreadsheet (numbers and dates only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tiers = list(TIERS.values())
    purposes = list(PURPOSE_WORDS.values())
    writer.writerow(
        [
            "week",
            *(f"enrolled {tier}" for tier in tiers),
            "points credited",
            "points redeemed",
            *(f"consent given: {p}" for p in purposes),
            *(f"consent withdrawn: {p}" for p in purposes),
        ]
    )
    for row in weeks:
        writer.writerow(
            [
                row["week"],
                *(row["enrolled"][tier] for tier in tiers),
                row["credited"],
                row["redeemed"],
                *(row["consentGiven"][p] for p in purposes),
                *(row["consentWithdrawn"][p] for p in purposes),
            ]
        )
    return out.getvalue()
