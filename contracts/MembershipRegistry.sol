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
/// - While paused, nothing changes but what members do for themselves (a consent change that
///   asks for no new purpose, `increaseNonce`, `leave`, `vetoMove`) and the cancelling of a
///   pending move. No policy, role-gated record change, widening of consent or move goes through.
/// - A move completes only after its delay, and only if the old wallet did not veto it and no
///   registrar cancelled it; it keeps `memberCount`; a Moved record holds no commitment and no
///   consent, never leaves Moved, and `movedTo` names a wallet that was never enrolled before.
/// - A registrar's change batch (tag and rows) is applied at most once; `changeBatchApplied` never goes
///   back to false, and one registrar's batches never mark another's as applied.
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

    /// @notice Time between proposing and completing a move, at deployment.
    uint32 public constant DEFAULT_MOVE_DELAY = 3 days;

    /// @notice EIP-712 type hash of {ConsentChange}.
    bytes32 public constant CONSENT_CHANGE_TYPEHASH = keccak256(
        "ConsentChange(address member,uint16 flags,uint16 policyVersion,uint256 nonce,uint256 deadline)"
    );

    /// @dev One slot of registry-wide settings, read by every state change:
    /// bits 0..15    policyVersion   current privacy-policy version (0: none yet)
    /// bit  16       paused
    /// bits 24..87   memberCount     records that are Active or Suspended
    /// bits 88..119  moveDelay       seconds between proposing and completing a move
    struct Config {
        uint16 policyVersion;
        bool paused;
        uint64 memberCount;
        uint32 moveDelay;
    }

    /// @dev A proposed move, one slot per old wallet:
    /// bits 0..159    newWallet
    /// bits 160..199  executableAt   uint40, when it may be completed
    /// bits 200..239  since          uint40, the `since` of the record it was proposed for: a move
    ///                               proposed before the member was revoked and enrolled again no
    ///                               longer matches the record and is void
    /// Kept after completion: `newWallet` is then what {movedTo} answers for a Moved record.
    struct Move {
        address newWallet;
        uint40 executableAt;
        uint40 since;
    }

    Config private _config;

    /// @dev Bytes per packed enrollment row: wallet (20) ‖ commitment (20) ‖ consent (2) ‖ tier (1).
    uint256 private constant ENROLLMENT_ROW_BYTES = 43;

    /// @dev Bytes per packed change row: wallet (20) ‖ action (1) ‖ value (1).
    uint256 private constant CHANGE_ROW_BYTES = 22;

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

    /// @dev The latest move proposed for each wallet (layout above {Move}).
    mapping(address old => Move) private _moves;

    /// @dev Change batches (keccak256 of the tag and packed rows) applied so far, per registrar.
    mapping(address registrar => mapping(bytes32 contentHash => bool)) private _changeBatches;

    /// @param admin The first holder of `DEFAULT_ADMIN_ROLE` (and of the registrar and
    /// pauser roles, which the admin may hand to others).
    /// @param adminTransferDelay Seconds between beginning and accepting an admin transfer.
    constructor(address admin, uint48 adminTransferDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
        EIP712("MemberLedger MembershipRegistry", "1")
    {
        _grantRole(REGISTRAR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _config.moveDelay = DEFAULT_MOVE_DELAY;
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
    function changeBatch(bytes32 batchTag, bytes calldata rows) external onlyRole(REGISTRAR_ROLE) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        bytes32 contentHash = _useChangeBatch(batchTag, rows);
        uint256 count = rows.length / CHANGE_ROW_BYTES;
        uint256 changed = 0;
        uint256 skipped = 0;
        uint64 revoked = 0;
        // Cannot overflow: each counter counts at most one per row of calldata.
        unchecked {
            for (uint256 i = 0; i < count; ++i) {
                (address member, uint8 code, uint8 value) = _changeRow(rows, i);
                if (code > uint8(type(ChangeAction).max)) revert UnknownChangeAction(i, member, code);
                ChangeAction action = ChangeAction(code);
                Member storage record = _members[member];
                Status status = record.status;
                if (status != Status.Active && status != Status.Suspended) {
                    // Revoking a membership that already ended is already true.
                    if (action != ChangeAction.Revoke || (status != Status.Revoked && status != Status.Erased)) {
                        ++skipped;
                        emit ChangeSkipped(member, action, status);
                    }
                } else if (action == ChangeAction.SetTier) {
                    uint8 old = record.tier;
                    if (old == value) continue;
                    record.tier = value;
                    ++changed;
                    emit TierChanged(member, old, value);
                } else if (action == ChangeAction.Revoke) {
                    record.status = Status.Revoked;
                    ++changed;
                    ++revoked;
                    emit MemberRevoked(member, msg.sender);
                } else if (action == ChangeAction.Suspend) {
                    if (status == Status.Suspended) continue;
                    record.status = Status.Suspended;
                    ++changed;
                    emit MemberSuspended(member, msg.sender);
                } else if (status == Status.Suspended) {
                    record.status = Status.Active;
                    ++changed;
                    emit MemberReinstated(member, msg.sender);
                }
            }
        }
        if (revoked != 0) {
            // Each revoked record was Active or Suspended, so counted in memberCount.
            config.memberCount -= revoked;
            _config = config;
        }
        emit ChangeBatchApplied(contentHash, msg.sender, changed, skipped);
    }

    /// @inheritdoc IMembershipRegistry
    function erase(address member) external onlyRole(REGISTRAR_ROLE) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        Member storage record = _members[member];
        Status status = record.status;
        if (status == Status.None || status == Status.Erased || status == Status.Moved) {
            revert WrongStatus(member, status);
        }
        if (status == Status.Active || status == Status.Suspended) {
            --config.memberCount;
            _config = config;
        }
        _bury(record, Status.Erased);
        emit MemberErased(member, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function proposeMove(address old, address newWallet) external onlyRole(REGISTRAR_ROLE) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        Member storage record = _members[old];
        _requireEnrolled(old, record.status);
        if (newWallet == address(0)) revert ZeroAddress();
        Status newStatus = _members[newWallet].status;
        if (newStatus != Status.None) revert WrongStatus(newWallet, newStatus);
        Move storage move = _moves[old];
        if (_isPending(old, move)) revert MovePending(old, move.newWallet, move.executableAt);
        // A uint40 timestamp plus a uint32 delay: room for 34,000 years.
        uint40 executableAt = uint40(block.timestamp) + config.moveDelay;
        _moves[old] = Move({newWallet: newWallet, executableAt: executableAt, since: record.since});
        emit MoveProposed(old, newWallet, executableAt, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function cancelMove(address old) external onlyRole(REGISTRAR_ROLE) {
        address newWallet = _pendingMove(old).newWallet;
        delete _moves[old];
        emit MoveCancelled(old, newWallet, msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function completeMove(address old) external {
        _requireNotPaused();
        Move memory move = _pendingMove(old);
        if (block.timestamp < move.executableAt) revert MoveNotReady(old, move.executableAt);
        Member storage target = _members[move.newWallet];
        Status newStatus = target.status;
        if (newStatus != Status.None) revert WrongStatus(move.newWallet, newStatus);
        Member storage record = _members[old];
        _members[move.newWallet] = record;
        // `_moves[old]` keeps the new wallet for {movedTo}.
        _bury(record, Status.Moved);
        emit MemberMoved(old, move.newWallet);
    }

    /// @inheritdoc IMembershipRegistry
    function setMoveDelay(uint32 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Config memory config = _config;
        if (config.paused) revert EnforcedPause();
        uint32 old = config.moveDelay;
        if (old == delay) return;
        config.moveDelay = delay;
        _config = config;
        emit MoveDelaySet(old, delay);
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
    function vetoMove() external {
        address newWallet = _pendingMove(msg.sender).newWallet;
        delete _moves[msg.sender];
        emit MoveVetoed(msg.sender, newWallet);
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
    function changeBatchApplied(address registrar, bytes32 contentHash) external view returns (bool) {
        return _changeBatches[registrar][contentHash];
    }

    /// @inheritdoc IMembershipRegistry
    function memberCount() external view returns (uint256) {
        return _config.memberCount;
    }

    /// @inheritdoc IMembershipRegistry
    function memberOf(address member) external view returns (Member memory) {
        return _members[member];
    }

    /// @inheritdoc IMembershipRegistry
    function membersOf(address[] calldata members) external view returns (Member[] memory) {
        // Writes the ABI encoding of the answer straight into free memory and returns it: the
        // offset, the count, then six words per record, each field of the slot (layout above
        // `_members`) in its own word. Building a `Member[] memory` first copies every record
        // twice more, and memory costs grow with its square: 4,000 wallets took 26.6M gas that
        // way. A wallet's high 96 bits, zero in valid ABI, are masked off rather than refused.
        assembly ("memory-safe") {
            let out := mload(0x40)
            mstore(out, 0x20)
            mstore(add(out, 0x20), members.length)
            let at := add(out, 0x40)
            mstore(0x20, _members.slot)
            for { let i := 0 } lt(i, members.length) { i := add(i, 1) } {
                mstore(0, and(calldataload(add(members.offset, shl(5, i))), sub(shl(160, 1), 1)))
                let word := sload(keccak256(0, 0x40))
                mstore(at, shl(96, word)) // commitment: bytes20, left-aligned
                mstore(add(at, 0x20), and(shr(160, word), 0xffff)) // consent
                mstore(add(at, 0x40), and(shr(176, word), 0xff)) // tier
                mstore(add(at, 0x60), and(shr(184, word), 0xff)) // status
                mstore(add(at, 0x80), and(shr(192, word), 0xffff)) // policyVersion
                mstore(add(at, 0xa0), and(shr(208, word), 0xffffffffff)) // since
                at := add(at, 0xc0)
            }
            return(out, sub(at, out))
        }
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
    function movedTo(address old) external view returns (address) {
        return _members[old].status == Status.Moved ? _moves[old].newWallet : address(0);
    }

    /// @inheritdoc IMembershipRegistry
    function pendingMove(address old) external view returns (address newWallet, uint40 executableAt) {
        Move storage move = _moves[old];
        if (_isPending(old, move)) return (move.newWallet, move.executableAt);
    }

    /// @inheritdoc IMembershipRegistry
    function moveDelay() external view returns (uint32) {
        return _config.moveDelay;
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
            if (status == Status.Moved) revert WalletMoved(member, _moves[member].newWallet);
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

    /// @dev Checks the shape of a change batch and records it as applied by the caller; its
    /// content hash. Reverts `MalformedRows` or `BatchAlreadyApplied`.
    function _useChangeBatch(bytes32 batchTag, bytes calldata rows) private returns (bytes32 contentHash) {
        uint256 length = rows.length;
        if (length == 0 || length % CHANGE_ROW_BYTES != 0) revert MalformedRows(length);
        contentHash = keccak256(abi.encodePacked(batchTag, rows));
        mapping(bytes32 contentHash => bool) storage applied = _changeBatches[msg.sender];
        if (applied[contentHash]) revert BatchAlreadyApplied(msg.sender, contentHash);
        applied[contentHash] = true;
    }

    /// @dev Member, action byte and value of row `i` of packed change rows (layout in
    /// {IMembershipRegistry-changeBatch}): one calldata word from the row's first byte.
    function _changeRow(bytes calldata rows, uint256 i) private pure returns (address member, uint8 code, uint8 value) {
        assembly ("memory-safe") {
            let word := calldataload(add(rows.offset, mul(i, CHANGE_ROW_BYTES)))
            member := shr(96, word)
            code := and(shr(88, word), 0xff)
            value := and(shr(80, word), 0xff)
        }
    }

    /// @dev Leaves only a tombstone in `record` (layout above `_members`): `status` (Erased or
    /// Moved) and the enrollment time; commitment, consent, tier and policy version are wiped.
    function _bury(Member storage record, Status status) private {
        uint256 word = uint256(uint8(status)) << 184 | uint256(record.since) << 208;
        assembly ("memory-safe") {
            sstore(record.slot, word)
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
        if (status != Status.Active && status != Status.Suspended && status != Status.Revoked) {
            revert WrongStatus(member, status);
        }
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

    /// @dev Whether `move` is pending: proposed for the record `old` holds now, which is active or
    /// suspended (a completed move leaves `old` Moved; a revoked or erased one cannot move).
    function _isPending(address old, Move storage move) private view returns (bool) {
        if (move.newWallet == address(0)) return false;
        Member storage record = _members[old];
        Status status = record.status;
        return (status == Status.Active || status == Status.Suspended) && record.since == move.since;
    }

    /// @dev The pending move of `old`; reverts `NoPendingMove` if there is none.
    function _pendingMove(address old) private view returns (Move memory) {
        Move storage move = _moves[old];
        if (!_isPending(old, move)) revert NoPendingMove(old);
        return move;
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
