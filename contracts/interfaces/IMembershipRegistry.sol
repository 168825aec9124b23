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
    enum Status {
        None,
        Active,
        Suspended,
        Revoked,
        Erased
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

    /// @notice GDPR erasure: wipe the commitment and consent, keep a tombstone so the wallet
    /// can never be enrolled again.
    /// @dev Requirements: `REGISTRAR_ROLE`; not paused; member enrolled at some time and not
    /// already erased. Emits {MemberErased}.
    /// @param member The member's wallet.
    function erase(address member) external;

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

    /// @notice Number of members currently active or suspended.
    function memberCount() external view returns (uint256);

    /// @notice The full record of `member` (all zero if never enrolled).
    function memberOf(address member) external view returns (Member memory);

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

    /// @notice The current privacy-policy version (0 before the first publication).
    function policyVersion() external view returns (uint16);

    /// @notice The document hash of policy `version` (zero if unpublished).
    function policyHash(uint16 version) external view returns (bytes32);

    /// @notice Whether state changes are paused.
    function paused() external view returns (bool);

    /// @notice The EIP-712 hash of `change` that the member signs.
    function consentChangeDigest(ConsentChange calldata change) external view returns (bytes32);
}
