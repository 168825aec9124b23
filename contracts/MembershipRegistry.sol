// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";

/// @title MembershipRegistry
/// @notice Salted commitments, consent, tier and status of every member wallet.
/// @dev Invariants (each one is an executable test):
/// - `memberCount()` equals the number of records whose status is Active or Suspended.
/// - An Erased record holds no commitment and no consent, and never leaves Erased.
/// - A non-None record other than Erased holds a non-zero commitment.
/// - Consent changes only by the member, by the member's EIP-712 signature, by an enrollment
///   (recording the consent collected on the enrollment form), or is wiped by erasure; every
///   change names the policy version it was given against and is a {ConsentChanged} event.
/// - Re-enrolling a revoked member never widens its consent: the flags after are a subset of
///   the flags before.
/// - While paused, nothing changes but what members do for themselves: a consent change that
///   asks for no new purpose, `increaseNonce` and `leave`. No policy, role-gated record change,
///   or widening of consent goes through.
contract MembershipRegistry is IMembershipRegistry, AccessControlDefaultAdminRules, EIP712, Nonces {
    /// @notice Role that enrolls and manages members.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Role that pauses and unpauses.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Consent to marketing messages.
    uint16 public constant CONSENT_MARKETING = 1 << 0;
    /// @notice Consent to usage analytics.
    uint16 public constant CONSENT_ANALYTICS = 1 << 1;
    /// @notice Consent to sharing with partners.
    uint16 public constant CONSENT_PARTNERS = 1 << 2;
    /// @notice Every consent bit that names a purpose; the other 13 bits are room for more.
    uint16 public constant KNOWN_CONSENT_FLAGS = CONSENT_MARKETING | CONSENT_ANALYTICS | CONSENT_PARTNERS;

    /// @notice EIP-712 type hash of {ConsentChange}.
    bytes32 public constant CONSENT_CHANGE_TYPEHASH = keccak256(
        "ConsentChange(address member,uint16 flags,uint16 policyVersion,uint256 nonce,uint256 deadline)"
    );

    /// @dev One slot of registry-wide settings, read by every state change:
    /// bits 0..15   policyVersion   current privacy-policy version (0: none yet)
    /// bit  16      paused
    /// bits 24..87  memberCount     records that are Active or Suspended
    struct Config {
        uint16 policyVersion;
        bool paused;
        uint64 memberCount;
    }

    Config private _config;

    /// @dev Bytes per packed enrollment row: wallet (20) ‖ commitment (20) ‖ consent (2) ‖ tier (1).
    uint256 private constant ENROLLMENT_ROW_BYTES = 43;

    /// @dev One slot per member (one fresh SSTORE per enrollment):
    /// bits 0..159    commitment     bytes20, first 160 bits of the salted hash
    /// bits 160..175  consent        uint16 flags
    /// bits 176..183  tier           uint8
    /// bits 184..191  status         uint8 (Status)
    /// bits 192..207  policyVersion  uint16, the version the current consent was given against
    /// bits 208..247  since          uint40, timestamp of the (latest) enrollment
    /// bits 248..255  unused
    mapping(address member => Member) private _members;

    /// @dev Document hash of every published policy version.
    mapping(uint16 version => bytes32 documentHash) private _policies;

    /// @param admin The first holder of `DEFAULT_ADMIN_ROLE` (and of the registrar and
    /// pauser roles, which the admin may hand to others).
    /// @param adminTransferDelay Seconds between beginning and accepting an admin transfer.
    constructor(address admin, uint48 adminTransferDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
        EIP712("MemberLedger MembershipRegistry", "1")
    {
        _grantRole(REGISTRAR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // ------------------------------------------------------------------ registrar

    /// @inheritdoc IMembershipRegistry
    function enroll(address member, bytes20 commitment, uint16 consent, uint8 tier)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        Config memory config = _requireConsentReady();
        _enroll(member, commitment, consent, tier, config.policyVersion);
        // Cannot overflow: memberCount (uint64) counts Active and Suspended records, each a
        // distinct wallet whose first enrollment wrote a fresh slot (22,100 gas); 2**64 of them
        // would take ~4 * 10**23 gas.
        unchecked {
            ++config.memberCount;
        }
        _config = config;
    }

    /// @inheritdoc IMembershipRegistry
    function enrollBatch(bytes calldata rows) external onlyRole(REGISTRAR_ROLE) {
        uint256 length = rows.length;
        if (length == 0 || length % ENROLLMENT_ROW_BYTES != 0) revert MalformedRows(length);
        Config memory config = _requireConsentReady();
        uint256 count = length / ENROLLMENT_ROW_BYTES;
        for (uint256 i; i < count; ++i) {
            (address member, bytes20 commitment, uint16 consent, uint8 tier) = _enrollmentRow(rows, i);
            _enroll(member, commitment, consent, tier, config.policyVersion);
        }
        config.memberCount += uint64(count);
        _config = config;
    }

    /// @inheritdoc IMembershipRegistry
    function rotateCommitment(address member, bytes20 newCommitment) external onlyRole(REGISTRAR_ROLE) {
        _requireNotPaused();
        if (newCommitment == bytes20(0)) revert ZeroCommitment(member);
        Member storage record = _members[member];
        _requireEnrolled(member, record.status);
        bytes20 old = record.commitment;
        if (old == newCommitment) return;
        record.commitment = newCommitment;
        emit CommitmentRotated(member, old, newCommitment);
    }

    /// @inheritdoc IMembershipRegistry
    function setTier(address member, uint8 tier) external onlyRole(REGISTRAR_ROLE) {
        _requireNotPaused();
        Member storage record = _members[member];
        _requireEnrolled(member, record.status);
        uint8 old = record.tier;
        if (old == tier) return;
        record.tier = tier;
        emit TierChanged(member, old, tier);
    }

    /// @inheritdoc IMembershipRegistry
    function suspend(address member) external onlyRole(REGISTRAR_ROLE) {
        _requireNotPaused();
        Member storage record = _members[member];
        if (record.status != Status.Active) revert WrongStatus(member, record.status);
        record.status = Status.Suspended;
        emit MemberSuspended(member, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function reinstate(address member) external onlyRole(REGISTRAR_ROLE) {
        _requireNotPaused();
        Member storage record = _members[member];
        if (record.status != Status.Suspended) revert WrongStatus(member, record.status);
        record.status = Status.Active;
        emit MemberReinstated(member, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function revoke(address member) external onlyRole(REGISTRAR_ROLE) {
        _end(member, false);
        emit MemberRevoked(member, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function erase(address member) external onlyRole(REGISTRAR_ROLE) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        Member storage record = _members[member];
        Status status = record.status;
        if (status == Status.None || status == Status.Erased) revert WrongStatus(member, status);
        if (status == Status.Active || status == Status.Suspended) {
            --config.memberCount;
            _config = config;
        }
        // Only the tombstone stays: status Erased and the enrollment time.
        _members[member] = Member({
            commitment: bytes20(0),
            consent: 0,
            tier: 0,
            status: Status.Erased,
            policyVersion: 0,
            since: record.since
        });
        emit MemberErased(member, msg.sender);
    }

    // ------------------------------------------------------------------ member

    /// @inheritdoc IMembershipRegistry
    function setConsent(uint16 flags, uint16 version) external {
        _setConsent(msg.sender, flags, version);
    }

    /// @inheritdoc IMembershipRegistry
    function setConsentBySig(ConsentChange calldata change, bytes calldata signature) external {
        if (block.timestamp > change.deadline) revert DeadlineExpired(change.deadline);
        _useCheckedNonce(change.member, change.nonce);
        if (!SignatureChecker.isValidSignatureNow(change.member, _consentChangeDigest(change), signature)) {
            revert InvalidSignature(change.member);
        }
        _setConsent(change.member, change.flags, change.policyVersion);
    }

    /// @inheritdoc IMembershipRegistry
    function increaseNonce() external {
        emit NonceIncreased(msg.sender, _useNonce(msg.sender) + 1);
    }

    /// @inheritdoc IMembershipRegistry
    function leave() external {
        _end(msg.sender, true);
        emit MemberLeft(msg.sender);
    }

    // ------------------------------------------------------------------ admin and pauser

    /// @inheritdoc IMembershipRegistry
    function publishPolicy(bytes32 documentHash) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint16 version) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        if (documentHash == bytes32(0)) revert ZeroPolicyHash();
        version = ++config.policyVersion;
        _config = config;
        _policies[version] = documentHash;
        emit PolicyPublished(version, documentHash);
    }

    /// @inheritdoc IMembershipRegistry
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_config.paused) revert EnforcedPause();
        _config.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_config.paused) revert ExpectedPause();
        _config.paused = false;
        emit Unpaused(msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMembershipRegistry
    function memberCount() external view returns (uint256) {
        return _config.memberCount;
    }

    /// @inheritdoc IMembershipRegistry
    function memberOf(address member) external view returns (Member memory) {
        return _members[member];
    }

    /// @inheritdoc IMembershipRegistry
    function statusAndTier(address member) external view returns (Status status, uint8 tier) {
        Member storage record = _members[member];
        return (record.status, record.tier);
    }

    /// @inheritdoc IMembershipRegistry
    function statusesAndTiers(address[] calldata members) external view returns (uint256[] memory packed) {
        uint256 count = members.length;
        packed = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            Member storage record = _members[members[i]];
            packed[i] = uint256(record.status) << 8 | record.tier;
        }
    }

    /// @inheritdoc IMembershipRegistry
    function isActive(address member) external view returns (bool) {
        return _members[member].status == Status.Active;
    }

    /// @inheritdoc IMembershipRegistry
    function hasConsent(address member, uint16 flags) external view returns (bool) {
        Member storage record = _members[member];
        Status status = record.status;
        return (status == Status.Active || status == Status.Suspended) && record.consent & flags == flags;
    }

    /// @inheritdoc IMembershipRegistry
    function commitmentMatches(address member, bytes20 commitment) external view returns (bool) {
        return commitment != bytes20(0) && _members[member].commitment == commitment;
    }

    /// @inheritdoc IMembershipRegistry
    function policyVersion() external view returns (uint16) {
        return _config.policyVersion;
    }

    /// @inheritdoc IMembershipRegistry
    function policyHash(uint16 version) external view returns (bytes32) {
        return _policies[version];
    }

    /// @inheritdoc IMembershipRegistry
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @inheritdoc IMembershipRegistry
    function consentChangeDigest(ConsentChange calldata change) external view returns (bytes32) {
        return _consentChangeDigest(change);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Writes the record in one SSTORE (a fresh slot for a first enrollment). Does not touch
    /// `_config`: callers add the batch to `memberCount` once. A revoked member keeps at most the
    /// consent it had: `consent & previous`.
    function _enroll(address member, bytes20 commitment, uint16 consent, uint8 tier, uint16 version) private {
        if (member == address(0)) revert ZeroAddress();
        if (commitment == bytes20(0)) revert ZeroCommitment(member);
        if (consent & ~KNOWN_CONSENT_FLAGS != 0) revert UnknownConsentFlags(consent);
        Member storage record = _members[member];
        uint256 previous;
        assembly ("memory-safe") {
            previous := sload(record.slot)
        }
        uint16 oldConsent;
        // A fresh record has no consent to compare versions with: only its flags can change.
        uint16 oldVersion = version;
        // A wallet never enrolled has an all-zero slot; every other record has a status.
        if (previous != 0) {
            Status status = Status(uint8(previous >> 184));
            if (status == Status.Active || status == Status.Suspended) revert AlreadyEnrolled(member);
            if (status == Status.Erased) revert MemberIsErased(member);
            // Revoked: enrolled again, the member keeps no purpose it had not agreed to.
            oldConsent = uint16(previous >> 160);
            oldVersion = uint16(previous >> 192);
            consent &= oldConsent;
        }
        // The whole record in one word, laid out as documented above `_members`.
        uint256 word = uint256(uint160(commitment)) | uint256(consent) << 160 | uint256(tier) << 176
            | uint256(uint8(Status.Active)) << 184 | uint256(version) << 192 | block.timestamp << 208;
        assembly ("memory-safe") {
            sstore(record.slot, word)
        }
        emit MemberEnrolled(member, commitment, tier);
        if (consent != oldConsent || version != oldVersion) {
            emit ConsentChanged(member, oldConsent, consent, version, msg.sender);
        }
    }

    /// @dev Member, commitment, consent and tier of row `i` of packed enrollment rows (layout
    /// in {IMembershipRegistry-enrollBatch}): two calldata words, the second read from byte 20.
    function _enrollmentRow(bytes calldata rows, uint256 i)
        private
        pure
        returns (address member, bytes20 commitment, uint16 consent, uint8 tier)
    {
        assembly ("memory-safe") {
            let offset := add(rows.offset, mul(i, ENROLLMENT_ROW_BYTES))
            member := shr(96, calldataload(offset))
            let rest := calldataload(add(offset, 20))
            commitment := and(rest, shl(96, not(0)))
            consent := and(shr(80, rest), 0xffff)
            tier := and(shr(72, rest), 0xff)
        }
    }

    /// @dev Shared by revoke and leave: Active or Suspended becomes Revoked. A member may leave
    /// while paused (`evenIfPaused`); the registrar may not revoke.
    function _end(address member, bool evenIfPaused) private {
        Config memory config = _config;
        if (config.paused && !evenIfPaused) revert EnforcedPause();
        Member storage record = _members[member];
        _requireEnrolled(member, record.status);
        record.status = Status.Revoked;
        --config.memberCount;
        _config = config;
    }

    function _setConsent(address member, uint16 flags, uint16 version) private {
        Config memory config = _config;
        if (config.policyVersion == 0) revert NoPolicyPublished();
        if (version != config.policyVersion) revert StalePolicy(version, config.policyVersion);
        if (flags & ~KNOWN_CONSENT_FLAGS != 0) revert UnknownConsentFlags(flags);
        Member storage record = _members[member];
        Status status = record.status;
        if (status == Status.None || status == Status.Erased) revert WrongStatus(member, status);
        uint16 old = record.consent;
        // While paused a member may still narrow their consent (or keep it), never widen it.
        if (config.paused && flags & ~old != 0) revert EnforcedPause();
        if (old == flags && record.policyVersion == version) return;
        record.consent = flags;
        record.policyVersion = version;
        emit ConsentChanged(member, old, flags, version, msg.sender);
    }

    function _consentChangeDigest(ConsentChange calldata change) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CONSENT_CHANGE_TYPEHASH,
                    change.member,
                    change.flags,
                    change.policyVersion,
                    change.nonce,
                    change.deadline
                )
            )
        );
    }

    function _requireConsentReady() private view returns (Config memory config) {
        config = _config;
        if (config.paused) revert EnforcedPause();
        if (config.policyVersion == 0) revert NoPolicyPublished();
    }

    function _requireNotPaused() private view {
        if (_config.paused) revert EnforcedPause();
    }

    function _requireEnrolled(address member, Status status) private pure {
        if (status != Status.Active && status != Status.Suspended) revert WrongStatus(member, status);
    }
}
