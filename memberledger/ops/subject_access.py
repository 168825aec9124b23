"""The subject-access package a member may ask for (GDPR article 15): everything the
programme holds about them, as JSON for machines and as a readable HTML page for the member.

The personal data is shown as the member gave it; the canonical form (what the commitment
hashes) and the salt come with it, so the member can recompute their commitment and compare
it with the chain's. Times are ISO 8601 in UTC, never raw timestamps.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from memberledger.consent import describe
from memberledger.ops.documents import escape, iso_utc, page, rows, write_private
from memberledger.ops.members import member_view
from memberledger.programme import Programme
from memberledger.tiers import TIERS

#: What a package says about members stored before the vault kept their own spelling.
SPELLING_LOST = (
    "stored by MemberLedger 0.1, which kept names and e-mail addresses lower-cased only: "
    "the original spelling is lost"
)


def subject_access_package(programme: Programme, wallet_or_id: str) -> dict[str, Any]:
    """Everything the programme holds about a member, as JSON-ready data: the vault's record
    (with the salt, so the member can check their commitment themselves), the on-chain
    record and balance, and the history of events."""
    view = member_view(programme, wallet_or_id)
    stored = view.stored
    vault: dict[str, Any] | None = None
    if stored is not None:
        vault = {
            "member_id": stored.member_id,
            "wallet": stored.wallet,
            "status": stored.status.value,
            "tier": _tier(stored.tier),
            "consent_at_enrollment": describe(stored.consent),
            "commitment": stored.commitment.hex,
            "enroll_tx": stored.enroll_tx,
            "enroll_block": stored.enroll_block,
            "created_at": _iso(stored.created_at),
            "updated_at": _iso(stored.updated_at),
            "personal_data": None,
            "personal_data_canonical": None,
            "spelling": None,
            "salt": None,
        }
        if view.personal is not None:
            opened = programme.vault.member_record(stored.member_id)
            vault["personal_data"] = _fields(opened.shown)
            vault["personal_data_canonical"] = _fields(opened.personal)
            vault["spelling"] = "as given" if opened.given is not None else SPELLING_LOST
            vault["salt"] = "0x" + opened.salt.hex()
    chain = view.chain
    return {
        "generated_at": dt.datetime.now(dt.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "chain_id": programme.deployment.chain_id,
        "contracts": {
            "registry": programme.deployment.registry,
            "points": programme.deployment.points,
        },
        "wallet": view.wallet,
        "vault": vault,
        "chain": {
            "status": chain.status.word,
            "commitment": chain.commitment.hex if chain.commitment else None,
            "consent": describe(chain.consent),
            "policy_version": chain.policy_version,
            "tier": _tier(chain.tier),
            "member_since": iso_utc(chain.since) if chain.since else None,
            "points_balance": view.balance,
            "commitment_matches_vault": view.commitment_matches,
        },
        "history": [
            {
                "event": event.name,
                "summary": event.summary,
                "block": event.block,
                "time": event.when,
                "tx_hash": event.tx_hash,
                "reward_event": event.reward_event,
                "arguments": event.arguments,
            }
            for event in view.history
        ],
    }


def package_page(package: dict[str, Any]) -> str:
    """The package as a page a member reads (and prints)."""
    vault, chain = package["vault"], package["chain"]
    who = vault["member_id"] if vault else package["wallet"]
    parts = [
        f"<h1>Your data in the programme: {escape(who)}</h1>",
        f'<p class="note">Generated {escape(package["generated_at"])} for the wallet '
        f"<code>{escape(package['wallet'])}</code> on chain {escape(package['chain_id'])}. "
        "It holds your personal data: keep it safe.</p>",
        "<h2>What the programme keeps off the chain (encrypted)</h2>",
    ]
    if vault is None:
        parts.append("<p>Nothing: this wallet is not in the programme's records.</p>")
    else:
        personal = vault["personal_data"] or {}
        pairs = [
            ("Member id", escape(vault["member_id"])),
            ("Status", escape(vault["status"])),
            ("Full name", escape(personal.get("full_name", "erased"))),
            ("E-mail", escape(personal.get("email", "erased"))),
            ("Phone", escape(personal.get("phone") or "none given")),
            ("Birth date", escape(personal.get("birth_date") or "none given")),
            ("Recorded", escape(vault["created_at"])),
            ("Last changed", escape(vault["updated_at"])),
        ]
        if vault["spelling"] and vault["spelling"] != "as given":
            pairs.append(("Spelling", escape(vault["spelling"])))
        parts.append(rows(pairs))
        if vault["salt"]:
            canonical = vault["personal_data_canonical"]
            parts.append(
                "<h3>To check your commitment yourself</h3>"
                + rows(
                    [
                        ("Salt", f"<code>{escape(vault['salt'])}</code>"),
                        ("Commitment", f"<code>{escape(vault['commitment'])}</code>"),
                        (
                            "The data it hashes",
                            "<code>"
                            + escape(" | ".join(str(v) for v in canonical.values()))
                            + "</code>",
                        ),
                    ]
                )
            )
    parts += [
        "<h2>What the blockchain holds (public)</h2>",
        rows(
            [
                ("Status", escape(chain["status"])),
                ("Tier", escape(chain["tier"])),
                ("Member since", escape(chain["member_since"] or "-")),
                ("Points", escape(f"{chain['points_balance']:,}")),
                ("Consent", escape(", ".join(chain["consent"]) or "nothing")),
                ("Privacy policy version", escape(chain["policy_version"])),
                ("Commitment", f"<code>{escape(chain['commitment'] or '-')}</code>"),
                (
                    "Matches the records above",
                    escape(
                        {True: "yes", False: "NO", None: "-"}[chain["commitment_matches_vault"]]
                    ),
                ),
            ]
        ),
        '<p class="note">No name, e-mail, phone or birth date is ever on the chain: only the '
        "commitment above, a hash nobody can reverse without the salt.</p>",
        "<h2>History</h2>",
    ]
    history = "".join(
        f"<tr><td>{escape(event['time'])}</td><td>{escape(event['event'])}</td>"
        f"<td>{escape(event['summary'])}</td></tr>"
        for event in package["history"]
    )
    parts.append(
        f"<table><tr><th>Time (UTC)</th><th>Event</th><th>What happened</th></tr>{history}</table>"
    )
    return page(f"Your data: {who}", "\n".join(parts))


def write_package(package: dict[str, Any], path: Path) -> tuple[Path, Path]:
    """Write a subject-access package as JSON at `path` and as HTML beside it
    (`path` with `.html`), both readable by their owner only (they hold personal data)."""
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    html_path = path.with_suffix(".html")
    if html_path == path:
        html_path = path.with_name(path.name + ".html")
    return write_private(path, text), write_private(html_path, package_page(package))


def _fields(personal: Any) -> dict[str, str]:
    return {
        "full_name": personal.full_name,
        "email": personal.email,
        "phone": personal.phone,
        "birth_date": personal.birth_date,
    }


def _tier(tier: int) -> str:
    return TIERS.get(tier, str(tier))


def _iso(text: str) -> str:
    """The vault's times (ISO 8601 with +00:00) written with Z, like the chain's."""
    return text.replace("+00:00", "Z")
