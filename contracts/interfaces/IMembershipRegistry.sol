// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title MemberLedger membership registry
/// @notice One record per member wallet: a salted commitment to the member's personal data,
/// consent flags given against a published privacy-policy version, a tier and a status.
/// Personal data never reaches the chain; only the 160-bit commitment does.
/// @dev Roles (OpenZeppelin AccessControl, admin transferred in two steps):
/// `DEFAULT_ADMIN_ROLE` publishes policies and manages roles, `REGISTRAR_ROLE` manages members,
/// `PAUSER_ROLE` pauses and unpauses every state change of the registry and of the points
/// token that reads it, except role administration (so a compromised role can still be
/// revoked while paused) and what a member does for their own protection: narrowing their
/// consent ({setConsent}, {setConsentBySig}), cancelling their signatures ({increaseNonce})
/// and leaving ({leave}).
interface IMembershipRegistry {
    /// @notice Life cycle of a membership.
    /// None: never enrolled. Active: may earn and redeem. Suspended: frozen until reinstated.
    /// Revoked: ended by the registrar or left by the member; may be enrolled again explicitly.
    /// Erased: GDPR tombstone; commitment and consent wiped; can never be enrolled again.
    /// Moved: the membership moved to another wallet ({movedTo}); a tombstone like Erased, and the
    /// wallet can never be used again. (Appended last: the other values keep their numbers.)
    enum Status {
        None,
        Active,
        Suspended,
        Revoked,
        Erased,
        Moved
    }

    /// @notice A member's record, as stored in one storage slot (layout in MembershipRegistry).
    struct Member {
        bytes20 commitment;
        uint16 consent;
        uint8 tier;
        Status status;
        uint16 policyVersion;
        uint40 since;
    }

    /// @notice What a row of {changeBatch} does to its member (the row's action byte).
    /// SetTier: {setTier} to the row's value. Suspend: {suspend}. Reinstate: {reinstate}.
    /// Revoke: {revoke}.
    enum ChangeAction {
        SetTier,
        Suspend,
        Reinstate,
        Revoke
    }

    /// @notice A consent change the member signed (EIP-712) for someone else to submit.
    struct ConsentChange {
        address member;
        uint16 flags;
        uint16 policyVersion;
        uint256 nonce;
        uint256 deadline;
    }

    // ------------------------------------------------------------------ errors

    /// @notice `member` already holds an active or suspended membership.
    error AlreadyEnrolled(address member);
    /// @notice `member` was erased; an erased wallet can never be enrolled again.
    error MemberIsErased(address member);
    /// @notice The operation needs `member` in another status than `status`.
    error WrongStatus(address member, Status status);
    /// @notice The zero address cannot be a member.
    error ZeroAddress();
    /// @notice A commitment of zero would match nothing and cannot be told from an erased record.
    error ZeroCommitment(address member);
    /// @notice `flags` sets bits that name no consent purpose.
    error UnknownConsentFlags(uint16 flags);
    /// @notice Packed rows of `length` bytes: not a positive multiple of the row size.
    error MalformedRows(uint256 length);
    /// @notice Consent can only be given once a privacy policy is published.
    error NoPolicyPublished();
    /// @notice Consent must be given against the current policy version `current`.
    error StalePolicy(uint16 given, uint16 current);
    /// @notice A policy document hash of zero names no document.
    error ZeroPolicyHash();
    /// @notice A signed request is past its `deadline` (unix seconds).
    error DeadlineExpired(uint256 deadline);
    /// @notice The signature is not `member`'s signature of the request.
    error InvalidSignature(address member);
    /// @notice `member` moved to `newWallet`; a moved wallet can never be used again.
    error WalletMoved(address member, address newWallet);
    /// @notice A move of `old` to `newWallet`, executable at `executableAt`, is already pending.
    error MovePending(address old, address newWallet, uint40 executableAt);
    /// @notice No move of `old` is pending.
    error NoPendingMove(address old);
    /// @notice The move of `old` can be completed from `executableAt` (unix seconds) on.
    error MoveNotReady(address old, uint40 executableAt);
    /// @notice `registrar` already applied the change batch `contentHash` (its tag and rows); each
    /// registrar's batch is applied once, ever.
    error BatchAlreadyApplied(address registrar, bytes32 contentHash);
    /// @notice Row `row` (0-based) of a change batch, for `member`, has action byte `action`,
    /// which names no {ChangeAction}.
    error UnknownChangeAction(uint256 row, address member, uint8 action);
    /// @notice The registry is paused: no state changes.
    error EnforcedPause();
    /// @notice The registry is not paused.
    error ExpectedPause();

    // ------------------------------------------------------------------ events

    /// @notice `member` was enrolled with `commitment` and `tier`. The consent recorded with the
    /// enrollment is a {ConsentChanged} in the same transaction (none if it stays empty).
    event MemberEnrolled(address indexed member, bytes20 commitment, uint8 tier);
    /// @notice The commitment of `member` changed (their personal data changed).
    event CommitmentRotated(address indexed member, bytes20 oldCommitment, bytes20 newCommitment);
    /// @notice The tier of `member` changed.
    event TierChanged(address indexed member, uint8 oldTier, uint8 newTier);
    /// @notice The consent of `member` changed, agreed against `policyVersion`, submitted by `by`:
    /// the member, whoever relayed the member's signature, or the registrar recording the consent
    /// of the enrollment form (at a re-enrollment, never more than the member had before).
    event ConsentChanged(
        address indexed member, uint16 oldFlags, uint16 newFlags, uint16 policyVersion, address indexed by
    );
    /// @notice `member` was suspended by `by`.
    event MemberSuspended(address indexed member, address indexed by);
    /// @notice `member` was reinstated by `by`.
    event MemberReinstated(address indexed member, address indexed by);
    /// @notice `member`'s membership was revoked by `by`.
    event MemberRevoked(address indexed member, address indexed by);
    /// @notice `member` left the programme.
    event MemberLeft(address indexed member);
    /// @notice `member`'s record was erased by `by`: commitment and consent wiped, tombstone kept.
    event MemberErased(address indexed member, address indexed by);
    /// @notice Privacy policy `version` was published; `documentHash` identifies its text.
    event PolicyPublished(uint16 indexed version, bytes32 documentHash);
    /// @notice `member` cancelled every consent change signed with a nonce below `newNonce`.
    event NonceIncreased(address indexed member, uint256 newNonce);
    /// @notice `by` proposed to move the membership of `old` to `newWallet`; anyone can complete
    /// the move from `executableAt` on unless `old` vetoes it or a registrar cancels it first.
    event MoveProposed(address indexed old, address indexed newWallet, uint40 executableAt, address indexed by);
    /// @notice `old` vetoed the pending move of its membership to `newWallet`.
    event MoveVetoed(address indexed old, address indexed newWallet);
    /// @notice `by` cancelled the pending move of `old`'s membership to `newWallet`.
    event MoveCancelled(address indexed old, address indexed newWallet, address indexed by);
    /// @notice The membership of `old` (commitment, consent, tier, status, enrollment time, policy
    /// version) now belongs to `newWallet`; `old` is a tombstone with status Moved. The consent
    /// itself did not change: no {ConsentChanged}.
    event MemberMoved(address indexed old, address indexed newWallet);
    /// @notice The time between proposing and completing a move changed from `oldDelay` to
    /// `newDelay` seconds (for moves proposed from now on).
    event MoveDelaySet(uint32 oldDelay, uint32 newDelay);
    /// @notice `registrar` applied the change batch `contentHash` (keccak256 of its tag and rows):
    /// `changed` rows changed their member (each with the event of its single action), `skipped`
    /// rows were skipped ({ChangeSkipped}); the other rows were already true and emitted nothing.
    event ChangeBatchApplied(
        bytes32 indexed contentHash, address indexed registrar, uint256 changed, uint256 skipped
    );
    /// @notice A change batch row doing `action` to `member` was skipped: `member` is not active
    /// or suspended (status `status`) when the batch landed. Nothing changed.
    event ChangeSkipped(address indexed member, ChangeAction action, Status status);
    /// @notice State changes were paused by `account`.
    event Paused(address account);
    /// @notice State changes were resumed by `account`.
    event Unpaused(address account);

    // ------------------------------------------------------------------ registrar

    /// @notice Enroll one member.
    /// @dev Requirements: caller has `REGISTRAR_ROLE`; not paused; a policy is published;
    /// `member` is not zero, not active or suspended (`AlreadyEnrolled`), not erased
    /// (`MemberIsErased`); `commitment` is not zero; `consent` names known purposes only.
    ///
    /// Consent: a fresh enrollment records `consent`, from the enrollment form, against the
    /// current policy. A revoked member may be enrolled again, and then the stored consent is
    /// `consent & previous`: a registrar can narrow what the member agreed to, never widen it
    /// (the member widens it themself, with {setConsent}). The record's consent policy version
    /// becomes the current one.
    ///
    /// Emits {MemberEnrolled}, then {ConsentChanged} (by the registrar) if the record's consent
    /// changed, as {setConsent} decides: other flags, or the same under another policy version.
    /// A fresh enrollment without consent changes nothing and emits no {ConsentChanged}.
    /// @param member The member's wallet.
    /// @param commitment Salted commitment to the member's personal data.
    /// @param consent Consent flags (bit 0 marketing, bit 1 analytics, bit 2 partner sharing).
    /// @param tier Membership tier.
    function enroll(address member, bytes20 commitment, uint16 consent, uint8 tier) external;

    /// @notice Enroll many members at once; all or none.
    /// @dev `rows` is packed, 43 bytes a row, no padding, big-endian:
    /// `wallet (20 bytes) ‖ commitment (bytes20) ‖ consent (uint16, 2 bytes) ‖ tier (uint8, 1 byte)`.
    /// Requirements: `rows.length` a positive multiple of 43 (`MalformedRows`), and for every row
    /// those of {enroll}; a wallet twice in the batch reverts `AlreadyEnrolled`. Each row records
    /// consent and emits events as {enroll} does, in row order.
    /// @param rows The packed rows.
    function enrollBatch(bytes calldata rows) external;

    /// @notice Replace a member's commitment after their personal data changed.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member active or suspended; new
    /// commitment not zero. A call with the same commitment changes nothing and emits nothing.
    /// Emits {CommitmentRotated}.
    /// @param member The member's wallet.
    /// @param newCommitment The new commitment.
    function rotateCommitment(address member, bytes20 newCommitment) external;

    /// @notice Set a member's tier.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member active or suspended. A call
    /// with the current tier emits nothing. Emits {TierChanged}.
    /// @param member The member's wallet.
    /// @param tier The new tier.
    function setTier(address member, uint8 tier) external;

    /// @notice Suspend an active member: their points are frozen until reinstated.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member active. Emits {MemberSuspended}.
    /// @param member The member's wallet.
    function suspend(address member) external;

    /// @notice Reinstate a suspended member.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member suspended. Emits {MemberReinstated}.
    /// @param member The member's wallet.
    function reinstate(address member) external;

    /// @notice End a membership. The record stays; the wallet may be enrolled again later.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member active or suspended.
    /// Emits {MemberRevoked}.
    /// @param member The member's wallet.
    function revoke(address member) external;

    /// @notice Set tiers, suspend, reinstate and revoke many members at once; the same batch
    /// only once per registrar, ever; a member who changed meanwhile skips its row, never reverts
    /// the batch.
    /// @dev `rows` is packed, 22 bytes a row, no padding:
    /// `wallet (20 bytes) ‖ action (uint8, a {ChangeAction}) ‖ value (uint8: the tier for SetTier,
    /// 0 otherwise)`. Rows are carried out in order, each against the record as the rows before
    /// it left it (a Suspend then a Reinstate of one member both apply).
    ///
    /// The batch is identified by `contentHash = keccak256(abi.encodePacked(batchTag, rows))`,
    /// kept per registrar (`changeBatchApplied(registrar, contentHash)`): re-sending the same tag
    /// and rows reverts, so a sender whose journal was lost cannot apply a file's changes twice.
    /// Unlike a credit, a change row has no identity of its own ("suspend this wallet" may be
    /// right again next month), so the sender names the batch with `batchTag`, e.g. a hash of the
    /// file and lines it carries out; the same rows under another tag are another batch, and
    /// another registrar's identical batch is a batch of its own.
    ///
    /// Requirements: `REGISTRAR_ROLE`; not paused (`EnforcedPause`); `rows.length` a positive
    /// multiple of 22 (`MalformedRows`); the batch not applied by this registrar before
    /// (`BatchAlreadyApplied`); every action byte a {ChangeAction} (`UnknownChangeAction`, all or
    /// none: it is a mistake of the sender).
    ///
    /// A row whose member is not active or suspended when the batch lands (never enrolled, left
    /// or revoked, erased, moved) does not revert the batch: it is skipped with {ChangeSkipped},
    /// except a Revoke of a revoked or erased member, which is already true. A row that is
    /// already true (the current tier, suspending a suspended member, reinstating an active one)
    /// changes nothing and emits nothing. Every other row changes its member as the single
    /// function does and emits the same event: {TierChanged}, {MemberSuspended},
    /// {MemberReinstated}, {MemberRevoked} (by the caller). One {ChangeBatchApplied} closes the
    /// batch, which is recorded as applied even if every row was skipped.
    /// @param batchTag The sender's name for the batch.
    /// @param rows The packed rows.
    function changeBatch(bytes32 batchTag, bytes calldata rows) external;

    /// @notice GDPR erasure: wipe the commitment and consent, keep a tombstone so the wallet
    /// can never be enrolled again.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member enrolled at some time and not
    /// already erased. Emits {MemberErased}.
    /// @param member The member's wallet.
    function erase(address member) external;

    /// @notice Propose moving the membership of `old` to `newWallet` (a member who lost their
    /// wallet): a time-lock with veto, so a stolen registrar key cannot move a membership unseen.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; `old` active or suspended (`WrongStatus`);
    /// `newWallet` not zero (`ZeroAddress`) and never enrolled (`WrongStatus`); no move of `old`
    /// pending (`MovePending`: cancel it first). The move can be completed from
    /// `block.timestamp + moveDelay()` on. A move proposed before `old` was revoked and enrolled
    /// again is void. Emits {MoveProposed}.
    /// @param old The member's current wallet.
    /// @param newWallet The wallet the membership moves to.
    function proposeMove(address old, address newWallet) external;

    /// @notice Cancel the pending move of `old`.
    /// @dev Requirements: `REGISTRAR_ROLE`; a move of `old` pending (`NoPendingMove`). Possible
    /// while paused: it only takes a pending move away. Emits {MoveCancelled}.
    /// @param old The wallet whose move is cancelled.
    function cancelMove(address old) external;

    /// @notice Complete the pending move of `old`: its record goes to the new wallet, `old`
    /// becomes a tombstone with status Moved (only its enrollment time stays), for ever.
    /// @dev Anyone may call. Requirements: not paused; a move of `old` pending (`NoPendingMove`:
    /// also when `old` is no longer active or suspended); `block.timestamp >= executableAt`
    /// (`MoveNotReady`); the new wallet still never enrolled (`WrongStatus`). `memberCount` does
    /// not change. Points follow with `ILoyaltyPoints.carryOver(old)`. Emits {MemberMoved}.
    /// @param old The wallet whose membership moves.
    function completeMove(address old) external;

    /// @notice Set the time between proposing and completing a move, for moves proposed from now
    /// on (3 days at deployment; a local chain may use 0).
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`; not paused. A call with the current delay emits
    /// nothing. Emits {MoveDelaySet}.
    /// @param delay Seconds.
    function setMoveDelay(uint32 delay) external;

    // ------------------------------------------------------------------ member

    /// @notice Change your own consent flags, agreeing to privacy policy `version`.
    /// @dev Requirements: a policy is published (`NoPolicyPublished`); `version` is the current
    /// policy version (`StalePolicy`); `flags` names known purposes only; caller is active,
    /// suspended or revoked (`WrongStatus`); not paused, unless `flags` asks for no purpose the
    /// caller has not already agreed to (narrowing, or the same flags, is always possible:
    /// `EnforcedPause` otherwise). Setting the same flags under the same policy version changes
    /// nothing and emits nothing. Emits {ConsentChanged}.
    /// @param flags The new consent flags.
    /// @param version The policy version the member agrees to (must be current).
    function setConsent(uint16 flags, uint16 version) external;

    /// @notice Submit a consent change the member signed (EIP-712), e.g. from a gas-free relay.
    /// @dev Requirements as {setConsent} for `change.member` (so also possible while paused if it
    /// narrows the member's consent), plus: `block.timestamp` not past
    /// `change.deadline` (`DeadlineExpired`); `change.nonce` is the member's current nonce
    /// (`InvalidAccountNonce`), which is consumed; `signature` is the member's signature of the
    /// typed data (EOA, or ERC-1271 contract wallet) (`InvalidSignature`). Emits {ConsentChanged}.
    /// @param change The signed consent change.
    /// @param signature The member's signature.
    function setConsentBySig(ConsentChange calldata change, bytes calldata signature) external;

    /// @notice Cancel every consent change you signed and that was not submitted yet.
    /// @dev Consumes the caller's current nonce; possible while paused. Emits {NonceIncreased}.
    function increaseNonce() external;

    /// @notice Refuse the pending move of your membership to another wallet.
    /// @dev Requirements: a move of the caller pending (`NoPendingMove`). Possible while paused, so
    /// a pause never runs out a member's time to refuse. Emits {MoveVetoed}.
    function vetoMove() external;

    /// @notice Leave the programme. Your record stays (status revoked) until erased.
    /// @dev Requirements: caller active or suspended; possible while paused. Emits {MemberLeft}.
    function leave() external;

    // ------------------------------------------------------------------ admin and pauser

    /// @notice Publish a new privacy-policy version; consent is then given against it.
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`; not paused; `documentHash` not zero.
    /// Emits {PolicyPublished}.
    /// @param documentHash Hash of the policy document.
    /// @return version The new version number (1 for the first policy).
    function publishPolicy(bytes32 documentHash) external returns (uint16 version);

    /// @notice Stop every state change of the registry and of the points token (role
    /// administration excepted).
    /// @dev Requirements: `PAUSER_ROLE`; not paused. Emits {Paused}.
    function pause() external;

    /// @notice Resume state changes.
    /// @dev Requirements: `PAUSER_ROLE`; paused. Emits {Unpaused}.
    function unpause() external;

    // ------------------------------------------------------------------ views

    /// @notice Whether `registrar` applied the change batch `contentHash`: keccak256 of its tag
    /// and packed rows ({changeBatch}).
    function changeBatchApplied(address registrar, bytes32 contentHash) external view returns (bool);

    /// @notice Number of members currently active or suspended.
    function memberCount() external view returns (uint256);

    /// @notice The full record of `member` (all zero if never enrolled).
    function memberOf(address member) external view returns (Member memory);

    /// @notice The full records of many wallets, in the order given, in one call (all zero for a
    /// wallet never enrolled): what {memberOf} answers for each.
    /// @dev For off-chain readers that check thousands of wallets at once (an `eth_call`, not a
    /// transaction). The cost grows with the count, about 2,100 gas a wallet to read its slot
    /// plus the calldata and the answer's memory: see `members_of_4000` in `snapshots/gas.json`
    /// for 4,000 wallets, which fits the 50,000,000-gas `eth_call` cap of geth's default and
    /// the 30,000,000-gas blocks Anvil answers calls against. Split larger lists.
    /// @param members The wallets.
    /// @return records One record per wallet, in the same order.
    function membersOf(address[] calldata members) external view returns (Member[] memory records);

    /// @notice Status and tier of `member`, in one call (used by the points token).
    function statusAndTier(address member) external view returns (Status status, uint8 tier);

    /// @notice Status and tier of many members in one call, each packed as `status << 8 | tier`.
    /// @dev Lets the points token check a whole credit batch with one external call.
    function statusesAndTiers(address[] calldata members) external view returns (uint256[] memory packed);

    /// @notice Whether `member` is active.
    function isActive(address member) external view returns (bool);

    /// @notice Whether `member` is active or suspended and consents to every purpose in `flags`.
    function hasConsent(address member, uint16 flags) external view returns (bool);

    /// @notice Whether `commitment` is the commitment on record for `member`.
    /// @dev Always false for zero commitments and erased members.
    function commitmentMatches(address member, bytes20 commitment) external view returns (bool);

    /// @notice The wallet the membership of `old` moved to (zero unless `old` has status Moved).
    function movedTo(address old) external view returns (address);

    /// @notice The pending move of `old`: its new wallet and when it can be completed (zeros if
    /// none is pending).
    function pendingMove(address old) external view returns (address newWallet, uint40 executableAt);

    /// @notice Seconds between proposing and completing a move.
    function moveDelay() external view returns (uint32);

    /// @notice The current privacy-policy version (0 before the first publication).
    function policyVersion() external view returns (uint16);

    /// @notice The document hash of policy `version` (zero if unpublished).
    function policyHash(uint16 version) external view returns (bytes32);

    /// @notice Whether state changes are paused.
    function paused() external view returns (bool);

    /// @notice The EIP-712 hash of `change` that the member signs.
    function consentChangeDigest(ConsentChange calldata change) external view returns (bytes32);
}
