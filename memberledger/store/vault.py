"""The vault: the only place personal data lives, encrypted at rest in one SQLite file.

Each member row keeps in the clear only what the chain already shows or the operator needs
to find a member (member id, wallet, commitment, consent, tier, enrolment status). The
personal data and the salt behind the commitment are sealed with AES-256-GCM; the associated
data `member_id|wallet` binds each ciphertext to its row, so a sealed value copied to another
row fails to open instead of showing one member's data under another's name.

Erasure is crypto-shredding: the sealed value (which holds the salt) is deleted, leaving the
commitment on record linked to no one. `secure_delete` zeroes the freed bytes and a WAL
checkpoint removes the old page images from the write-ahead log. Copies made earlier
(backups) are not reached: they still open with the vault key.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import secrets
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
from eth_utils.address import to_checksum_address

from memberledger.consent import KNOWN_CONSENT_FLAGS
from memberledger.errors import ConfigError, InvalidField, VaultError, VaultKeyError
from memberledger.hashing import keccak256
from memberledger.identifiers import is_checksummed_wallet, parse_member_id
from memberledger.pii.canonical import PersonalData, canonical_bytes
from memberledger.pii.commitment import SALT_LENGTH, Commitment, commit
from memberledger.pii.sealing import KEY_LENGTH, OpenedMember, SealBroken, Sealer
from memberledger.settings import settings
from memberledger.store.database import Database
from memberledger.store.dialect import DATABASE_ERRORS, INTEGRITY_ERRORS, constraint_detail
from memberledger.tiers import TIERS

VAULT_KEY_VARIABLE = "MEMBERLEDGER_VAULT_KEY"

_KEY_CHECK_NAME = "key_check"
#: Set once the operator was told that members stored by release 0.1.0 lost their spelling.
_SPELLING_NOTICE_NAME = "spelling_notice"
_DEPLOYMENT_NAME = "deployment"
#: Tries at emptying the write-ahead log after an erasure (each waits for readers up to the
#: busy timeout, then pauses a little longer than the last).
ERASE_CHECKPOINT_ATTEMPTS = 5
_KEY_CHECK_PLAINTEXT = b"MemberLedger vault key check v1"
_KEY_CHECK_AAD = b"vault_meta|key_check"
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_KEY_HEX = re.compile(r"[0-9a-fA-F]{64}")

_MEMBER_COLUMNS = (
    "member_id, wallet, commitment, consent, tier, status, enroll_tx, enroll_block, "
    "created_at, updated_at, given_spelling, pending_commitment"
)


class DevelopmentKeyWarning(UserWarning):
    """The vault is encrypted with a key file lying next to it: fine for a demo only."""


class SpellingLostWarning(UserWarning):
    """Members stored by release 0.1.0 kept only the lower-cased canonical spelling."""


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    ERASED = "erased"


@dataclass(frozen=True)
class MemberRecord:
    """A validated member about to be stored: canonical personal data, its salt and the
    commitment to both."""

    member_id: str
    wallet: str
    personal: PersonalData
    salt: bytes
    commitment: Commitment
    consent: int
    tier: int
    #: The data as the member gave it (shown to them); None: only the canonical form.
    given: PersonalData | None = None


@dataclass(frozen=True)
class StoredMember:
    """The columns of a member row that are not secret."""

    member_id: str
    wallet: str
    commitment: Commitment
    consent: int
    tier: int
    status: MemberStatus
    enroll_tx: str | None
    enroll_block: int | None
    created_at: str
    updated_at: str
    #: Whether the sealed record keeps the member's own spelling (False: stored by 0.1.0).
    given_spelling: bool = True
    #: A changed record's commitment, waiting for the chain (`stage_update`).
    pending_commitment: Commitment | None = None


@dataclass(frozen=True)
class StagedMatch:
    """A staged new member (`line`, id, wallet, fingerprint, tier, consent) beside what the
    vault already holds for that member id (`held_*`)."""

    line: int
    member_id: str
    wallet: str
    fingerprint: bytes
    tier: int
    consent: int
    held_wallet: str
    held_status: MemberStatus
    held_tier: int
    held_consent: int


class Vault:
    """Members and their sealed personal data, in the `members` and `vault_meta` tables of
    the vault file (see `memberledger.store.database`)."""

    def __init__(self, where: Path | Database, key: bytes) -> None:
        """The vault in `where`: a file (opened here, closed by `close`) or a database
        already open and shared with the journal."""
        if not isinstance(key, bytes) or len(key) != KEY_LENGTH:
            raise ConfigError(f"the vault key must be {KEY_LENGTH} bytes (AES-256)")
        self._owns_database = not isinstance(where, Database)
        self._db = where if isinstance(where, Database) else Database(where)
        self.path = self._db.path
        self._sealer = Sealer(key)
        try:
            self._check_key()
            self._tell_lost_spelling()
        except DATABASE_ERRORS as exc:
            self._close_owned()
            raise VaultError(f"{self.path} is not a MemberLedger vault: {exc}") from exc
        except BaseException:
            self._close_owned()
            raise

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        key: bytes | None = None,
        *,
        allow_dev_key: bool = False,
        database: Database | None = None,
    ) -> Vault:
        """The vault named by the arguments, else by the settings `MEMBERLEDGER_VAULT`
        (default `data/vault.db`) and `MEMBERLEDGER_VAULT_KEY` (64 hex digits).

        With `allow_dev_key` and no key configured, a random key is kept in
        `<vault path>.devkey` (mode 0600) and a `DevelopmentKeyWarning` is issued.
        """
        if database is not None:
            path = database.path
        elif path is None:
            path = settings().vault_path
        if key is None:
            key = _key_from_settings()
        if key is None:
            if not allow_dev_key:
                raise ConfigError(
                    f"{VAULT_KEY_VARIABLE} is not set: put 64 hex digits (32 random bytes, e.g. "
                    "from `python -c 'import secrets; print(secrets.token_hex(32))'`) in the "
                    "environment or in .env"
                )
            key = _development_key(path)
        return cls(database or path, key)

    # ------------------------------------------------------------------ life cycle

    def close(self) -> None:
        """Close the file, if this vault opened it (a shared database is its opener's)."""
        self._close_owned()

    def _close_owned(self) -> None:
        if self._owns_database:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ its deployment

    def deployment_binding(self) -> dict[str, object] | None:
        """The deployment this vault belongs to (chain id, registry, points, deploy block),
        or None for a vault that was never bound (new, or from release 0.1.0)."""
        row = self._db.execute(
            "SELECT value FROM vault_meta WHERE name = ?", (_DEPLOYMENT_NAME,)
        ).fetchone()
        if row is None:
            return None
        binding: dict[str, object] = orjson.loads(bytes(row[0]))
        return binding

    def bind_to(self, deployment: dict[str, object]) -> bool:
        """Bind the vault to `deployment` if it is not bound yet (True), or check that it is
        bound to that one (False); another deployment is a `ConfigError` naming both. A vault
        holds the members and the journal of one programme: pointed at another deployment
        (a redeploy, testnet to mainnet with the same file) it would say "already enrolled"
        and "already credited" to contracts that hold no members and no points."""
        with self._db.transaction():
            bound = self.deployment_binding()
            if bound is None:
                # OR IGNORE: another operator machine sharing the database (PostgreSQL) may
                # bind it between the read and the write; then its binding is checked.
                inserted = self._db.execute(
                    "INSERT OR IGNORE INTO vault_meta (name, value) VALUES (?, ?)",
                    (_DEPLOYMENT_NAME, orjson.dumps(deployment, option=orjson.OPT_SORT_KEYS)),
                )
                bound = None if inserted.rowcount else self.deployment_binding()
                if bound is None:
                    return True
        if bound != deployment:
            raise ConfigError(
                f"the vault {self.path} belongs to the deployment {_describe(bound)}, not to "
                f"{_describe(deployment)}. A vault holds one programme's members and journal: "
                "for a new deployment use a new vault (set MEMBERLEDGER_VAULT to a new file), "
                "or point this command at the deployment the vault belongs to"
            )
        return False

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around several vault writes (and, on a shared database, journal
        writes): every write in it commits, or (on any exception) none does."""
        return self._db.transaction()

    # ------------------------------------------------------------------ writing

    def add_member(self, record: MemberRecord) -> None:
        """Store one new member as 'pending'; raises `VaultError` if the member id or
        wallet is already in the vault."""
        self.add_members([record])

    def add_members(self, records: Iterable[MemberRecord]) -> int:
        """Store new members in one transaction: all of them, or (on any error) none.
        Returns how many were stored."""
        now = _now()
        count = 0
        with self._db.transaction():
            for record in records:
                self._insert(record, now)
                count += 1
        return count

    def mark_enrolled(self, member_ids: Sequence[str], tx_hash: str, block: int) -> None:
        """Record the transaction that enrolled these pending members on-chain.

        Marking a member again with the same transaction changes nothing (receipts may be
        replayed); an unknown, erased or differently enrolled member aborts the whole call.
        """
        if not _is_tx_hash(tx_hash):
            raise VaultError(f"not a transaction hash (0x and 64 hex digits): {tx_hash!r}")
        if block < 0:
            raise VaultError(f"block number cannot be negative: {block}")
        now = _now()
        with self._db.transaction():
            # One statement for the whole batch, its ids passed as one JSON array.
            cursor = self._db.execute(
                "UPDATE members SET status = 'enrolled', enroll_tx = ?, enroll_block = ?, "
                "updated_at = ? WHERE status = 'pending' AND member_id IN "
                "(SELECT value FROM json_each(?))",
                (tx_hash, block, now, orjson.dumps(list(member_ids)).decode()),
            )
            if cursor.rowcount == len(set(member_ids)):
                return
            for member_id in member_ids:  # the slow path: say who is not pending, and why
                member = self.get(member_id)
                if member is None:
                    raise VaultError(f"no member {member_id!r} in the vault")
                if member.status is MemberStatus.ENROLLED and member.enroll_tx == tx_hash:
                    continue
                raise VaultError(
                    f"member {member_id!r} is {member.status.value}, not pending"
                    + (f" (enrolled by {member.enroll_tx})" if member.enroll_tx else "")
                )

    def mark_pending(self, member_ids: Sequence[str], tx_hash: str) -> None:
        """Undo `mark_enrolled` for members whose enrolling transaction the chain lost."""
        with self._db.transaction():
            self._db.executemany(
                "UPDATE members SET status = 'pending', enroll_tx = NULL, enroll_block = NULL, "
                "updated_at = ? WHERE member_id = ? AND status = 'enrolled' AND enroll_tx = ?",
                ((_now(), member_id, tx_hash) for member_id in member_ids),
            )

    @property
    def sealer(self) -> Sealer:
        """What seals new members, without the database: picklable, for worker processes."""
        return self._sealer

    def fingerprint(self, member_id: str) -> bytes:
        """keccak256 of the canonical bytes of a member's personal data (see above)."""
        personal, _ = self.personal_data(member_id)
        return keccak256(canonical_bytes(personal))

    def insert_selected(self, select: str, parameters: Sequence[object]) -> int:
        """Store new pending members, sealed by `sealer.seal_new_member`, that a query on
        this connection gives (a staging table's, so the blobs never pass through Python):
        `select` yields (member_id, wallet, commitment hex, consent, tier, sealed). Joins an
        open transaction; raises `VaultError` for a member id or wallet already stored."""
        now = _now()
        try:
            cursor = self._db.execute(
                "INSERT INTO members (member_id, wallet, commitment, consent, tier, sealed, "
                "status, created_at, updated_at, given_spelling) "
                f"SELECT *, 'pending', ?, ?, 1 FROM ({select}) staged",
                (now, now, *parameters),
            )
        except INTEGRITY_ERRORS as exc:
            raise VaultError(
                f"a member id or wallet is already in the vault ({constraint_detail(exc)}): "
                "another operator machine may have enrolled it meanwhile; run the file again, "
                "and its rows already stored count as done"
            ) from exc
        return int(cursor.rowcount)

    def match_staged(self, staged: str) -> list[StagedMatch]:
        """What the vault holds for each staged row whose member id it knows. `staged` is a
        query on the same database giving `(line, member_id, wallet, fingerprint, tier,
        consent)`: a bulk run's new members, checked before any is stored."""
        rows = self._db.execute(
            "SELECT s.line, s.member_id, s.wallet, s.fingerprint, s.tier, s.consent, m.wallet, "
            f"m.status, m.tier, m.consent FROM ({staged}) s "
            "JOIN members m ON m.member_id = s.member_id"
        ).fetchall()
        return [
            StagedMatch(
                line,
                member_id,
                wallet,
                bytes(fingerprint),
                tier,
                consent,
                held,
                MemberStatus(status),
                held_tier,
                held_consent,
            )
            for (
                line,
                member_id,
                wallet,
                fingerprint,
                tier,
                consent,
                held,
                status,
                held_tier,
                held_consent,
            ) in rows
        ]

    def wallet_holders(self, staged: str) -> list[tuple[int, str]]:
        """(line, member id) for each staged row whose wallet another member id holds;
        `staged` gives `(line, member_id, wallet)`."""
        rows = self._db.execute(
            f"SELECT s.line, m.member_id FROM ({staged}) s "
            "JOIN members m ON m.wallet = s.wallet WHERE m.member_id != s.member_id"
        ).fetchall()
        return [(int(line), str(holder)) for line, holder in rows]

    def pending_members(self, chunk: int = 1_000) -> Iterator[StoredMember]:
        """Members stored but not yet confirmed on chain, oldest first, read a chunk at a
        time (a run killed while storing can leave hundreds of thousands)."""
        after = -1
        while rows := self._db.execute(
            f"SELECT rowid, {_MEMBER_COLUMNS} FROM members WHERE status = 'pending' "
            "AND rowid > ? ORDER BY rowid LIMIT ?",
            (after, chunk),
        ).fetchall():
            after = rows[-1][0]
            for row in rows:
                yield _stored_member(row[1:])

    def erase(self, member_id: str) -> bool:
        """Crypto-shred a member: delete the sealed personal data and salt, mark 'erased'.

        The row itself stays as a tombstone (wallet, commitment) so the member is not
        enrolled again by accident. Then the write-ahead log, which still holds the page
        images that contained the sealed value, is copied into the file (whose freed bytes
        `secure_delete` zeroed) and emptied. Answers whether that emptying succeeded: another
        program reading the vault holds back the log pages it may still read, and then the
        old images stay there until a later checkpoint (`erase` again, which retries it).
        Erasing an erased member changes nothing but that retry.
        """
        with self._db.transaction():
            member = self.get(member_id)
            if member is None:
                raise VaultError(f"no member {member_id!r} in the vault")
            if member.status is not MemberStatus.ERASED:
                self._db.execute(
                    "UPDATE members SET sealed = NULL, pending_sealed = NULL, "
                    "pending_commitment = NULL, status = 'erased', updated_at = ? "
                    "WHERE member_id = ?",
                    (_now(), member_id),
                )
        for attempt in range(ERASE_CHECKPOINT_ATTEMPTS):
            if self._db.is_postgres:
                # MVCC: the update left the old row version, sealed bytes and all, in the
                # page as a dead tuple; VACUUM prunes it now (see `Database.vacuum`).
                if self._db.vacuum("members"):
                    return True
            elif self._db.checkpoint():
                return True
            time.sleep(0.2 * (attempt + 1))
        return False

    # ------------------------------------------------------------------ changes

    def set_tier(self, member_id: str, tier: int) -> None:
        """Record the tier the chain now holds for an enrolled member."""
        if tier not in TIERS:
            raise VaultError(f"member {member_id!r}: unknown tier {tier}")
        with self._db.transaction():
            member = self._require_live(member_id)
            if member.tier != tier:
                self._db.execute(
                    "UPDATE members SET tier = ?, updated_at = ? WHERE member_id = ?",
                    (tier, _now(), member_id),
                )

    def stage_update(self, member_id: str, record: MemberRecord) -> None:
        """Keep a member's changed data (sealed under its fresh salt) beside the current
        record until the chain holds its commitment (`apply_update`). Staging again replaces
        what was staged before."""
        _check_record(record)
        with self._db.transaction():
            member = self._require_live(member_id)
            if record.member_id != member_id or record.wallet != member.wallet:
                raise VaultError(f"member {member_id!r}: an update keeps the id and wallet")
            sealed = self._sealer.seal_member(
                member_id, member.wallet, record.personal, record.salt, record.given
            )
            self._db.execute(
                "UPDATE members SET pending_sealed = ?, pending_commitment = ?, updated_at = ? "
                "WHERE member_id = ?",
                (sealed, record.commitment.hex, _now(), member_id),
            )

    def apply_update(self, member_id: str) -> Commitment:
        """The chain holds the staged commitment: make the staged record the member's. The
        old sealed record (and its salt) is overwritten. Returns the new commitment."""
        with self._db.transaction():
            member = self._require_live(member_id)
            if member.pending_commitment is None:
                raise VaultError(f"member {member_id!r} has no update waiting")
            self._db.execute(
                "UPDATE members SET sealed = pending_sealed, commitment = pending_commitment, "
                "given_spelling = 1, pending_sealed = NULL, pending_commitment = NULL, "
                "updated_at = ? WHERE member_id = ?",
                (_now(), member_id),
            )
        self._db.checkpoint()  # the old record's pages leave the write-ahead log
        return member.pending_commitment

    def move_wallet(self, member_id: str, new_wallet: str) -> None:
        """The member's record now belongs to `new_wallet` (the chain moved the membership):
        the sealed data is sealed again, bound to the new wallet. The old wallet is kept by
        no one in the vault afterwards."""
        if not is_checksummed_wallet(new_wallet):
            raise VaultError(f"wallet {new_wallet!r} is not a checksummed address")
        with self._db.transaction():
            member = self._require_live(member_id)
            if member.wallet == new_wallet:
                return
            holder = self.get_by_wallet(new_wallet)
            if holder is not None:
                raise VaultError(
                    f"wallet {new_wallet} already belongs to member {holder.member_id!r}"
                )
            if member.pending_commitment is not None:
                raise VaultError(
                    f"member {member_id!r} has a data update waiting for the chain: finish it "
                    f"with `ape run members update {member_id}` before moving the wallet"
                )
            opened = self.member_record(member_id)
            sealed = self._sealer.seal_member(
                member_id, new_wallet, opened.personal, opened.salt, opened.given
            )
            self._db.execute(
                "UPDATE members SET wallet = ?, sealed = ?, updated_at = ? WHERE member_id = ?",
                (new_wallet, sealed, _now(), member_id),
            )

    def _require_live(self, member_id: str) -> StoredMember:
        member = self.get(member_id)
        if member is None:
            raise VaultError(f"no member {member_id!r} in the vault")
        if member.status is MemberStatus.ERASED:
            raise VaultError(f"member {member_id!r} is erased: their personal data is gone")
        return member

    # ------------------------------------------------------------------ reading

    def get(self, member_id: str) -> StoredMember | None:
        row = self._db.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE member_id = ?", (member_id,)
        ).fetchone()
        return _stored_member(row) if row else None

    def get_by_wallet(self, wallet: str) -> StoredMember | None:
        """The member holding `wallet`, written in any letter case."""
        try:
            checksummed = to_checksum_address(wallet)
        except ValueError:
            return None
        row = self._db.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE wallet = ?", (checksummed,)
        ).fetchone()
        return _stored_member(row) if row else None

    def find(self, wallet_or_id: str) -> StoredMember | None:
        """Look a member up by wallet if the text is an address, else by member id."""
        text = wallet_or_id.strip()
        if text.lower().startswith("0x") and len(text) == 42:
            found = self.get_by_wallet(text)
            if found is not None:
                return found
        return self.get(text)

    def has_member_id(self, member_id: str) -> bool:
        return self.get(member_id) is not None

    def iter_members(self) -> Iterator[StoredMember]:
        """Every member, oldest first."""
        rows = self._db.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members ORDER BY created_at, member_id"
        ).fetchall()
        for row in rows:
            yield _stored_member(row)

    def members_with_sealed(
        self, chunk: int = 4_000
    ) -> Iterator[list[tuple[StoredMember, bytes | None]]]:
        """Every member with their sealed record (None once erased), in member-id order, a
        chunk at a time: what verification streams, a million members in bounded memory."""
        after = ""
        while rows := self._db.execute(
            f"SELECT {_MEMBER_COLUMNS}, sealed FROM members WHERE member_id > ? "
            "ORDER BY member_id LIMIT ?",
            (after, chunk),
        ).fetchall():
            after = rows[-1][0]
            yield [(_stored_member(row[:-1]), row[-1]) for row in rows]

    def open_sealed(self, member: StoredMember, sealed: bytes) -> tuple[PersonalData, bytes]:
        """The personal data and salt in a member's sealed record (as `members_with_sealed`
        gave it), or `VaultKeyError` when it was altered or belongs to another row."""
        try:
            opened = self._sealer.open_member_record(member.member_id, member.wallet, sealed)
        except SealBroken as exc:
            raise VaultKeyError(
                f"the sealed personal data of member {member.member_id!r} does not open: it "
                "was altered, or copied from another member's row"
            ) from exc
        return opened.personal, opened.salt

    def count(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM members").fetchone()
        return int(count)

    def count_by_status(self) -> dict[MemberStatus, int]:
        counts = dict.fromkeys(MemberStatus, 0)
        for status, count in self._db.execute(
            "SELECT status, COUNT(*) FROM members GROUP BY status"
        ):
            counts[MemberStatus(status)] = count
        return counts

    def personal_data(self, member_id: str) -> tuple[PersonalData, bytes]:
        """Open a member's sealed record: their canonical personal data and salt.

        Raises `VaultError` for unknown or erased members and `VaultKeyError` when the
        sealed value was altered or belongs to another row.
        """
        opened = self.member_record(member_id)
        return opened.personal, opened.salt

    def member_record(self, member_id: str, *, pending: bool = False) -> OpenedMember:
        """Open a member's whole sealed record: canonical data, salt, and the data as the
        member gave it (`OpenedMember.shown` is what to display). With `pending`, the
        update waiting for the chain instead. Raises like `personal_data`."""
        row = self._db.execute(
            "SELECT wallet, status, sealed, pending_sealed FROM members WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        if row is None:
            raise VaultError(f"no member {member_id!r} in the vault")
        wallet, status, sealed, pending_sealed = row
        if sealed is None:
            raise VaultError(f"member {member_id!r} is {status}: their personal data is gone")
        if pending and pending_sealed is None:
            raise VaultError(f"member {member_id!r} has no update waiting")
        try:
            return self._sealer.open_member_record(
                member_id, wallet, pending_sealed if pending else sealed
            )
        except SealBroken as exc:
            raise VaultKeyError(
                f"the sealed personal data of member {member_id!r} does not open: it was "
                "altered, or copied from another member's row"
            ) from exc

    # ------------------------------------------------------------------ internals

    def _insert(self, record: MemberRecord, now: str) -> None:
        _check_record(record)
        if self.has_member_id(record.member_id):
            raise VaultError(f"member id {record.member_id!r} is already in the vault")
        holder = self.get_by_wallet(record.wallet)
        if holder is not None:
            raise VaultError(
                f"wallet {record.wallet} already belongs to member {holder.member_id!r}"
            )
        sealed = self._sealer.seal_member(
            record.member_id, record.wallet, record.personal, record.salt, record.given
        )
        self._db.execute(
            "INSERT INTO members (member_id, wallet, commitment, consent, tier, sealed, status, "
            "created_at, updated_at, given_spelling) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            (
                record.member_id,
                record.wallet,
                record.commitment.hex,
                record.consent,
                record.tier,
                sealed,
                now,
                now,
                int(record.given is not None),
            ),
        )

    def _tell_lost_spelling(self) -> None:
        """Once per file: say that members stored by release 0.1.0 kept only the canonical
        (lower-cased) spelling of their name and e-mail, which nothing can bring back."""
        told = self._db.execute(
            "SELECT 1 FROM vault_meta WHERE name = ?", (_SPELLING_NOTICE_NAME,)
        ).fetchone()
        if told:
            return
        (lost,) = self._db.execute(
            "SELECT COUNT(*) FROM members WHERE given_spelling = 0 AND status != 'erased'"
        ).fetchone()
        with self._db.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO vault_meta (name, value) VALUES (?, ?)",
                (_SPELLING_NOTICE_NAME, b"told"),
            )
        if lost:
            warnings.warn(
                f"{lost} member{'s were' if lost != 1 else ' was'} stored by MemberLedger 0.1, "
                "which kept names and e-mail addresses lower-cased only: their original "
                "spelling is lost, and they are shown lower-cased. `ape run members update "
                "MEMBER --name ... --email ...` stores the spelling a member gives again",
                SpellingLostWarning,
                stacklevel=3,
            )

    def _check_key(self) -> None:
        """Fail at open, not at the first decryption, when the key is not this vault's."""
        with self._db.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO vault_meta (name, value) VALUES (?, ?)",
                (_KEY_CHECK_NAME, self._sealer.seal(_KEY_CHECK_PLAINTEXT, _KEY_CHECK_AAD)),
            )
            (check,) = self._db.execute(
                "SELECT value FROM vault_meta WHERE name = ?", (_KEY_CHECK_NAME,)
            ).fetchone()
        try:
            opened = self._sealer.open(check, _KEY_CHECK_AAD)
        except SealBroken as exc:
            raise VaultKeyError(f"the vault key does not match this vault ({self.path})") from exc
        if opened != _KEY_CHECK_PLAINTEXT:
            raise VaultKeyError(f"the vault key does not match this vault ({self.path})")


def _describe(deployment: dict[str, object]) -> str:
    return (
        f"on chain {deployment.get('chain_id')} (registry {deployment.get('registry')}, "
        f"points {deployment.get('points')}, deployed in block {deployment.get('deploy_block')})"
    )


def _check_record(record: MemberRecord) -> None:
    """Refuse records the vault could not keep consistent with the chain."""
    try:
        parse_member_id(record.member_id)
    except InvalidField as exc:
        raise VaultError(f"member id {record.member_id!r}: {exc.reason}") from exc
    if not is_checksummed_wallet(record.wallet):
        raise VaultError(f"wallet {record.wallet!r} is not a checksummed address")
    if not isinstance(record.salt, bytes) or len(record.salt) != SALT_LENGTH:
        raise VaultError(f"member {record.member_id!r}: the salt must be {SALT_LENGTH} bytes")
    if record.consent < 0 or record.consent & ~int(KNOWN_CONSENT_FLAGS):
        raise VaultError(f"member {record.member_id!r}: unknown consent flags {record.consent}")
    if record.tier not in TIERS:
        raise VaultError(f"member {record.member_id!r}: unknown tier {record.tier}")
    try:
        expected = commit(canonical_bytes(record.personal), record.salt)
    except ValueError as exc:
        raise VaultError(f"member {record.member_id!r}: {exc}") from exc
    if expected != record.commitment:
        raise VaultError(
            f"member {record.member_id!r}: the commitment does not match the personal data and salt"
        )


def _stored_member(row: Any) -> StoredMember:
    (member_id, wallet, commitment, consent, tier, status, tx, block, created, updated) = row[:10]
    given_spelling, pending = row[10:12]
    return StoredMember(
        member_id=member_id,
        wallet=wallet,
        commitment=Commitment.from_hex(commitment),
        consent=consent,
        tier=tier,
        status=MemberStatus(status),
        enroll_tx=tx,
        enroll_block=block,
        created_at=created,
        updated_at=updated,
        given_spelling=bool(given_spelling),
        pending_commitment=Commitment.from_hex(pending) if pending else None,
    )


def _key_from_settings() -> bytes | None:
    text = settings().vault_key
    if not text:
        return None
    if not _KEY_HEX.fullmatch(text):
        # Never echo the value: it is a (mistyped) secret.
        raise ConfigError(
            f"{VAULT_KEY_VARIABLE} must be {2 * KEY_LENGTH} hex digits ({KEY_LENGTH} bytes)"
        )
    return bytes.fromhex(text)


def _development_key(vault_path: Path) -> bytes:
    """Read or create `<vault path>.devkey`, readable by its owner only."""
    key_path = vault_path.with_name(vault_path.name + ".devkey")
    key_path.parent.mkdir(parents=True, exist_ok=True)
    if key_path.exists():
        text = key_path.read_text().strip()
        if not _KEY_HEX.fullmatch(text):
            raise ConfigError(f"{key_path} does not hold a {KEY_LENGTH}-byte key in hex")
        key = bytes.fromhex(text)
    else:
        key = secrets.token_bytes(KEY_LENGTH)
        fd = os.open(key_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as key_file:
            key_file.write(key.hex() + "\n")
    warnings.warn(
        f"{VAULT_KEY_VARIABLE} is not set: the vault is encrypted with the development key "
        f"in {key_path}, which lies next to it. Set {VAULT_KEY_VARIABLE} for real data.",
        DevelopmentKeyWarning,
        stacklevel=3,
    )
    return key


def _is_tx_hash(text: str) -> bool:
    return bool(_TX_HASH.fullmatch(text))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
