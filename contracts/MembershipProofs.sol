// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ISemaphoreVerifier} from "@semaphore-protocol/contracts/interfaces/ISemaphoreVerifier.sol";
import {IMembershipProofs} from "./interfaces/IMembershipProofs.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";

/// @title MembershipProofs
/// @notice Identity registration, published group roots and Semaphore v4 proof checks for
/// private proofs of membership (see {IMembershipProofs}).
/// @dev Invariants (each one is an executable test):
/// - `publication().throughBlock` only increases, and never exceeds the block that published it.
/// - A group's root is zero exactly when its size is zero.
/// - A root is accepted for a group only while it is the group's current root, or for
///   `rootValidity` seconds after it was replaced.
/// - A nullifier, once used by a consumer, stays used; `validateProof` never succeeds twice for
///   the same consumer and nullifier.
/// - Registration stores nothing and never touches the registry: enrollment gas is unchanged.
contract MembershipProofs is IMembershipProofs, AccessControlDefaultAdminRules, EIP712, Nonces {
    /// @notice Role that publishes group roots.
    bytes32 public constant PROOF_PUBLISHER_ROLE = keccak256("PROOF_PUBLISHER_ROLE");
    /// @notice Number of groups: 0 = active, 1..3 = tier at least 1..3.
    uint256 public constant GROUP_COUNT = 4;
    /// @notice Order of the BN254 scalar field: identity commitments and roots are below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Domain tag of campaign scopes (see {campaignScope}).
    bytes32 public constant SCOPE_TAG = keccak256("MemberLedger/campaign/v1");
    /// @notice EIP-712 type hash of {IdentityRegistration}.
    bytes32 public constant IDENTITY_REGISTRATION_TYPEHASH =
        keccak256("IdentityRegistration(address member,uint256 identityCommitment,uint256 nonce,uint256 deadline)");

    IMembershipRegistry private immutable REGISTRY;
    ISemaphoreVerifier private immutable VERIFIER;

    /// @dev One slot, written by every publication:
    /// bits 0..63     throughBlock   last block whose events the current roots include
    /// bits 64..95    rootValidity   seconds a replaced root stays accepted
    /// bits 96..127   size0          members in group 0
    /// bits 128..159  size1          members in group 1
    /// bits 160..191  size2          members in group 2
    /// bits 192..223  size3          members in group 3
    /// bits 224..255  unused
    struct Publication {
        uint64 throughBlock;
        uint32 rootValidity;
        uint32 size0;
        uint32 size1;
        uint32 size2;
        uint32 size3;
    }

    Publication private _publication;

    /// @dev Current root of each group, one slot each (a root is a 254-bit field element).
    uint256[4] private _roots;

    /// @dev Time (unix seconds) at which a root of a group was last replaced; 0 if never.
    mapping(uint256 group => mapping(uint256 root => uint256 timestamp)) private _supersededAt;

    /// @dev Nullifiers used by each consumer (a partner's contract or wallet).
    mapping(address consumer => mapping(uint256 nullifier => bool)) private _nullifierUsed;

    /// @param registry_ The membership registry whose members the groups hold.
    /// @param verifier Semaphore v4's `SemaphoreVerifier` (Groth16, every depth 1..32).
    /// @param admin The first holder of `DEFAULT_ADMIN_ROLE` and `PROOF_PUBLISHER_ROLE`.
    /// @param adminTransferDelay Seconds between beginning and accepting an admin transfer.
    /// @param rootValidity Seconds a replaced root stays accepted.
    constructor(
        IMembershipRegistry registry_,
        ISemaphoreVerifier verifier,
        address admin,
        uint48 adminTransferDelay,
        uint32 rootValidity
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) EIP712("MemberLedger MembershipProofs", "1") {
        REGISTRY = registry_;
        VERIFIER = verifier;
        _publication.rootValidity = rootValidity;
        _grantRole(PROOF_PUBLISHER_ROLE, admin);
        emit RootValidityChanged(0, rootValidity);
    }

    // ------------------------------------------------------------------ members

    /// @inheritdoc IMembershipProofs
    function registerIdentity(uint256 identityCommitment) external {
        _register(msg.sender, identityCommitment);
    }

    /// @inheritdoc IMembershipProofs
    function registerIdentityBySig(IdentityRegistration calldata registration, bytes calldata signature)
        external
    {
        if (block.timestamp > registration.deadline) revert DeadlineExpired(registration.deadline);
        _useCheckedNonce(registration.member, registration.nonce);
        if (!SignatureChecker.isValidSignatureNow(registration.member, _registrationDigest(registration), signature))
        {
            revert InvalidSignature(registration.member);
        }
        _register(registration.member, registration.identityCommitment);
    }

    /// @inheritdoc IMembershipProofs
    function increaseNonce() external {
        emit NonceIncreased(msg.sender, _useNonce(msg.sender) + 1);
    }

    // ------------------------------------------------------------------ publisher and admin

    /// @inheritdoc IMembershipProofs
    function publishRoots(uint256[4] calldata roots, uint32[4] calldata sizes, uint64 throughBlock)
        external
        onlyRole(PROOF_PUBLISHER_ROLE)
    {
        Publication memory current = _publication;
        uint64 previous = current.throughBlock;
        if (!(throughBlock > previous)) revert StaleRoots(throughBlock, previous);
        if (throughBlock > block.number) revert UnseenBlock(throughBlock, block.number);
        for (uint256 group; group < GROUP_COUNT;) {
            uint256 root = roots[group];
            if (!(root < SNARK_SCALAR_FIELD) || (root == 0) != (sizes[group] == 0)) {
                revert InvalidRoot(group, root, sizes[group]);
            }
            uint256 old = _roots[group];
            if (old != root) {
                if (old != 0) _supersededAt[group][old] = block.timestamp;
                _roots[group] = root;
            }
            unchecked {
                ++group;
            }
        }
        _publication = Publication({
            throughBlock: throughBlock,
            rootValidity: current.rootValidity,
            size0: sizes[0],
            size1: sizes[1],
            size2: sizes[2],
            size3: sizes[3]
        });
        emit RootsPublished(throughBlock, roots, sizes, msg.sender);
    }

    /// @inheritdoc IMembershipProofs
    function setRootValidity(uint32 seconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 old = _publication.rootValidity;
        if (old == seconds_) return;
        _publication.rootValidity = seconds_;
        emit RootValidityChanged(old, seconds_);
    }

    // ------------------------------------------------------------------ partners

    /// @inheritdoc IMembershipProofs
    function validateProof(uint256 group, MembershipProof calldata proof, uint256 scope) external {
        uint256 nullifier = proof.nullifier;
        mapping(uint256 => bool) storage used = _nullifierUsed[msg.sender];
        if (used[nullifier]) revert NullifierUsed(msg.sender, nullifier);
        if (!_verify(group, proof, scope)) revert InvalidProof();
        used[nullifier] = true;
        emit ProofValidated(msg.sender, group, scope, nullifier);
    }

    /// @inheritdoc IMembershipProofs
    function verifyProof(uint256 group, MembershipProof calldata proof, uint256 scope)
        external
        view
        returns (bool valid)
    {
        return _verify(group, proof, scope);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMembershipProofs
    function campaignScope(string calldata campaign) external view returns (uint256) {
        return uint256(keccak256(abi.encode(SCOPE_TAG, block.chainid, address(this), keccak256(bytes(campaign)))));
    }

    /// @inheritdoc IMembershipProofs
    function nullifierUsed(address consumer, uint256 nullifier) external view returns (bool) {
        return _nullifierUsed[consumer][nullifier];
    }

    /// @inheritdoc IMembershipProofs
    function publication()
        external
        view
        returns (uint64 throughBlock, uint256[4] memory roots, uint32[4] memory sizes, uint32 rootValidity)
    {
        Publication memory current = _publication;
        sizes = [current.size0, current.size1, current.size2, current.size3];
        return (current.throughBlock, _roots, sizes, current.rootValidity);
    }

    /// @inheritdoc IMembershipProofs
    function supersededAt(uint256 group, uint256 root) external view returns (uint256) {
        return _supersededAt[group][root];
    }

    /// @inheritdoc IMembershipProofs
    function registry() external view returns (IMembershipRegistry) {
        return REGISTRY;
    }

    /// @inheritdoc IMembershipProofs
    function identityRegistrationDigest(IdentityRegistration calldata registration)
        external
        view
        returns (bytes32)
    {
        return _registrationDigest(registration);
    }

    // ------------------------------------------------------------------ internal

    function _register(address member, uint256 identityCommitment) private {
        if (identityCommitment == 0 || !(identityCommitment < SNARK_SCALAR_FIELD)) {
            revert InvalidIdentityCommitment(identityCommitment);
        }
        if (!REGISTRY.isActive(member)) revert NotActiveMember(member, REGISTRY.memberOf(member).status);
        emit IdentityRegistered(member, identityCommitment);
    }

    /// @dev Every check but the nullifier's, then the Groth16 verification (public signals as
    /// Semaphore v4 orders them: root, nullifier, hash(message), hash(scope)).
    function _verify(uint256 group, MembershipProof calldata proof, uint256 scope) private view returns (bool) {
        if (!(group < GROUP_COUNT)) revert UnknownGroup(group);
        if (proof.message != group) revert GroupMismatch(group, proof.message);
        if (proof.scope != scope) revert ScopeMismatch(scope, proof.scope);
        uint256 depth = proof.merkleTreeDepth;
        if (depth == 0 || depth > 32) revert UnsupportedTreeDepth(depth);
        uint256 root = proof.merkleTreeRoot;
        if (root == 0) revert UnknownRoot(group, root);
        if (root != _roots[group]) {
            uint256 replaced = _supersededAt[group][root];
            if (replaced == 0) revert UnknownRoot(group, root);
            uint256 expiredAt = replaced + _publication.rootValidity;
            if (block.timestamp > expiredAt) revert RootExpired(group, root, expiredAt);
        }
        uint256[8] calldata points = proof.points;
        return VERIFIER.verifyProof(
            [points[0], points[1]],
            [[points[2], points[3]], [points[4], points[5]]],
            [points[6], points[7]],
            [root, proof.nullifier, _hash(group), _hash(scope)],
            depth
        );
    }

    /// @dev Semaphore's hash of message and scope into the scalar field.
    function _hash(uint256 value) private pure returns (uint256) {
        return uint256(keccak256(abi.encodePacked(value))) >> 8;
    }

    function _registrationDigest(IdentityRegistration calldata registration) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    IDENTITY_REGISTRATION_TYPEHASH,
                    registration.member,
                    registration.identityCommitment,
                    registration.nonce,
                    registration.deadline
                )
            )
        );
    }
}
