"""Welcome letters: what a member needs to use, check and control their membership.

A letter tells one member their member id and wallet, the salt that lets them check the
chain's commitment against their own data ("Check my data" on the member page), how to
connect MetaMask to the programme's chain, what is and is not on the chain, and their privacy
rights and how to use them. It is where the programme teaches its members how it works.

Letters are printable HTML pages (print to PDF from any browser): no PDF library and its
system libraries to install, the same file shows on screen and on paper, and nothing in it
is fetched from elsewhere. They hold personal data and the salt, so they are written only
when the operator asks (`ape run letters`, `ape run members update`), into a folder only the
operator can read, as files only the operator can read, and never logged. The vault records
which commitment's letter was written (no content), so `--all-new` writes each one once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from memberledger.errors import UnknownMember, VaultError
from memberledger.ops.documents import escape, page, private_folder, rows, write_private
from memberledger.ops.members import locate
from memberledger.pii.canonical import FIELD_SEPARATOR
from memberledger.pii.sealing import OpenedMember
from memberledger.programme import Programme
from memberledger.settings import settings
from memberledger.store.vault import MemberStatus, StoredMember


@dataclass(frozen=True)
class ProgrammeFacts:
    """What every letter says about the programme itself."""

    name: str
    operator: str
    contact: str
    chain_id: int
    chain_name: str
    rpc_url: str
    registry: str
    points: str
    page_url: str = ""


@dataclass(frozen=True)
class WrittenLetter:
    member_id: str
    path: Path


def programme_facts(
    programme: Programme,
    *,
    name: str = "the loyalty programme",
    operator: str = "the programme's operator",
    contact: str = "",
    page_url: str = "",
) -> ProgrammeFacts:
    """The facts from the deployment and the settings; the programme's own name, operator and
    contact come from its programme file when it has one."""
    chain_id = programme.deployment.chain_id
    found = programme.programme_file
    if found is not None:
        name, operator, contact = found.name, found.operator, found.contact_email
    return ProgrammeFacts(
        name=name,
        operator=operator,
        contact=contact,
        chain_id=chain_id,
        chain_name=_CHAIN_NAMES.get(chain_id, f"chain {chain_id}"),
        rpc_url=settings().browser_rpc_url,
        registry=programme.deployment.registry,
        points=programme.deployment.points,
        page_url=page_url,
    )


def write_letters(
    programme: Programme,
    members: Sequence[str],
    output: Path,
    facts: ProgrammeFacts,
    *,
    all_new: bool = False,
) -> list[WrittenLetter]:
    """Write the letters of `members` (ids or wallets), or with `all_new` of every enrolled
    member whose current record has no letter yet, into `output` (created owner-only)."""
    chosen: list[StoredMember] = []
    for member in members:
        stored, wallet = locate(programme, member)
        if stored is None:
            raise UnknownMember(
                f"wallet {wallet} has no record in this vault, so there is no letter to write"
            )
        if stored.status is not MemberStatus.ENROLLED:
            raise VaultError(
                f"member {stored.member_id!r} is {stored.status.value}: letters are for "
                "enrolled members (finish the enrollment with `ape run enroll` first)"
                if stored.status is MemberStatus.PENDING
                else f"member {stored.member_id!r} is erased: there is nothing left to send"
            )
        chosen.append(stored)
    if all_new:
        enrolled = [m for m in programme.vault.iter_members() if m.status is MemberStatus.ENROLLED]
        done = programme.letters_sent.written((m.member_id, m.commitment.hex) for m in enrolled)
        named = {m.member_id for m in chosen}
        chosen += [
            m
            for m in enrolled
            if (m.member_id, m.commitment.hex) not in done and m.member_id not in named
        ]
    if not chosen:
        return []
    folder = private_folder(output)
    written = []
    for stored in chosen:
        opened = programme.vault.member_record(stored.member_id)
        path = write_private(
            folder / f"letter-{stored.member_id}.html", letter_html(facts, stored, opened)
        )
        programme.letters_sent.record(stored.member_id, stored.commitment.hex)
        written.append(WrittenLetter(stored.member_id, path))
    return written


def letter_html(facts: ProgrammeFacts, stored: StoredMember, opened: OpenedMember) -> str:
    shown, canonical = opened.shown, opened.personal
    name = escape(facts.name)
    contact = escape(facts.contact) if facts.contact else "the programme's operator"
    canonical_text = FIELD_SEPARATOR.join(
        (canonical.full_name, canonical.email, canonical.phone, canonical.birth_date)
    )
    parts = [
        f"<h1>Welcome to {name}</h1>",
        f"<p>Dear {escape(shown.full_name)},</p>",
        f"<p>this letter is your key to {name}. Keep it somewhere safe: it holds your "
        "personal data and the secret that proves it is yours. Nobody from the programme will "
        "ever ask you for it.</p>",
        "<h2>Your membership</h2>",
        rows(
            [
                ("Member id", f"<code>{escape(stored.member_id)}</code>"),
                ("Your wallet", f"<code>{escape(stored.wallet)}</code>"),
                ("Name", escape(shown.full_name)),
                ("E-mail", escape(shown.email)),
                ("Phone", escape(shown.phone or "none given")),
                ("Birth date", escape(shown.birth_date or "none given")),
            ]
        ),
        "<h2>Check my data</h2>",
        "<p>On the member page, <em>Check my data</em> asks for your details and the salt "
        "below, computes your commitment in your browser and compares it with the one on the "
        "chain. Nothing you type leaves your browser.</p>",
        '<div class="box">'
        + rows(
            [
                ("Salt", f"<code>{escape('0x' + opened.salt.hex())}</code>"),
                ("Your commitment", f"<code>{escape(stored.commitment.hex)}</code>"),
            ]
        )
        + "</div>",
        '<p class="note">The commitment is the first 20 bytes of keccak256 of '
        "<code>MemberLedger/commitment/v1</code>, the salt and your details in their canonical "
        "form (" + escape(canonical_text.replace(FIELD_SEPARATOR, " | ")) + "). If your "
        "details change, you get a new salt and a new letter.</p>",
        "<h2>Connecting MetaMask</h2>",
        "<ol>"
        "<li>Install MetaMask (metamask.io) in your browser, or open the MetaMask app, and "
        "import or create the wallet above.</li>"
        + (
            f"<li>Open the member page: <code>{escape(facts.page_url)}</code>.</li>"
            if facts.page_url
            else "<li>Open the member page your programme gives you.</li>"
        )
        + "<li>Press <em>Connect</em>. If MetaMask asks to switch to or add the network, accept: "
        + escape(facts.chain_name)
        + f", chain id {facts.chain_id}"
        + (f", RPC <code>{escape(facts.rpc_url)}</code>" if facts.rpc_url else "")
        + ".</li>"
        "<li><em>Show my points in my wallet</em> adds the points token "
        f"(<code>{escape(facts.points)}</code>, symbol MLP, 0 decimals).</li>"
        "</ol>",
        "<h2>What is on the chain, and what is not</h2>",
        "<p>The chain is public: anyone can read it, forever. On it are only:</p>",
        "<ul><li>your wallet address and your commitment (a hash: without your salt nobody "
        "can tell whose details it stands for);</li>"
        "<li>your consent choices, the privacy-policy version you gave them under, your tier, "
        "whether you are active, and when you joined;</li>"
        "<li>your points, and every change to all of the above, as events.</li></ul>",
        "<p><strong>Never on the chain:</strong> your name, e-mail, phone number, birth date "
        "or salt. They are kept by " + escape(facts.operator) + ", encrypted.</p>",
        f'<p class="note">Contracts: registry <code>{escape(facts.registry)}</code>, points '
        f"<code>{escape(facts.points)}</code> on chain {facts.chain_id}.</p>",
        "<h2>Your privacy rights, and how to use them</h2>",
        "<ul>"
        "<li><strong>Consent.</strong> Change your choices (marketing e-mails, usage "
        "analytics, sharing with partners) at any time on the member page: with your own "
        "transaction, or by signing a message that the programme sends for you, free of "
        "charge.</li>"
        "<li><strong>Access.</strong> Ask "
        + contact
        + " for a copy of everything the programme holds about you; you get it as a file and a "
        "readable page.</li>"
        "<li><strong>Correction.</strong> Ask for wrong or changed details to be corrected; "
        "you then receive a new letter with a new salt.</li>"
        "<li><strong>Erasure.</strong> Ask for your data to be erased: your details and salt "
        "are destroyed, your entry on the chain is wiped to a tombstone, and your points are "
        "forfeited. This cannot be undone.</li>"
        "<li><strong>Leaving.</strong> You can end your membership yourself from your wallet "
        "(<code>leave()</code> on the registry); your details stay with the programme until "
        "you ask for their erasure.</li>"
        "<li><strong>Losing your wallet.</strong> Tell "
        + contact
        + " at once: your membership can be moved to a new wallet, and the old one can never "
        "be used for it again.</li>"
        "</ul>",
    ]
    if not opened.given:
        parts.append(
            '<p class="note">Your details were recorded by an earlier version that kept them '
            "lower-cased only; ask for a correction to have them shown as you write them.</p>"
        )
    return page(f"{facts.name}: welcome letter for {stored.member_id}", "\n".join(parts))


#: Names of well-known chains, for the letter's network step.
_CHAIN_NAMES = {
    1: "Ethereum Mainnet",
    10: "OP Mainnet",
    137: "Polygon",
    8453: "Base",
    42161: "Arbitrum One",
    11155111: "Sepolia",
    31337: "a local development chain",
    1337: "a local development chain",
}
