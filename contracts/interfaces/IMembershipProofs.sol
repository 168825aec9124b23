// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMembershipRegistry} from "./IMembershipRegistry.sol";

/// @title MemberLedger private proofs of membership
/// @notice Members prove "an active member of this programme, tier T or higher, for campaign C"
/// without revealing which member they are (Semaphore v4 Groth16 proofs). Partners check a
/// proof for free (`verifyProof`, an `eth_call`) or accept it on chain (`validateProof`),
/// which uses up its nullifier so the same member cannot use the same campaign twice.
/// @dev Four groups, one per predicate: group 0 = Active members (any tier), group g (1..3) =
/// Active members of tier >= g. A group is the set of identity commitments that qualifying
/// members registered here (the latest registration of each member counts), kept as a Semaphore
/// LeanIMT (Poseidon) that is built OFF chain from the registry's and this contract's events;
/// `PROOF_PUBLISHER_ROLE` publishes the four roots together with the block through which
/// events were included, so anyone can rebuild each published root from the chain alone.
/// A root stays valid for `rootValidity()` seconds after a newer one replaces it.
///
/// A proof binds the group through its message (`message == group`) and the campaign through
/// its scope (`campaignScope(campaign)`); its nullifier is Poseidon(hash(scope), secret), the
/// same for every proof one identity makes in one campaign. Nullifiers are used up per consumer
/// (`msg.sender` of `validateProof`): a front-runner who copies a proof can only use it up in
/// its own name, never in the partner's.
interface IMembershipProofs {
    /// @notice A Semaphore v4 proof, field by field as `@semaphore-protocol/proof` returns it.
    struct MembershipProof {
        uint256 merkleTreeDepth;
        uint256 merkleTreeRoot;
        uint256 nullifier;
        uint256 message;
        uint256 scope;
        uint256[8] points;
    }

    /// @notice An identity registration the member signed (EIP-712) for a relay to submit.
    struct IdentityRegistration {
        address member;
        uint256 identityCommitment;
        uint256 nonce;
        uint256 deadline;
    }

    // ------------------------------------------------------------------ errors

    /// @notice Only an Active member may register an identity; `member` is `status`.
    error NotActiveMember(address member, IMembershipRegistry.Status status);
    /// @notice `identityCommitment` is zero or not below the SNARK scalar field.
    error InvalidIdentityCommitment(uint256 identityCommitment);
    /// @notice A signed request is past its `deadline` (unix seconds).
    error DeadlineExpired(uint256 deadline);
    /// @notice The signature is not `member`'s signature of the request.
    error InvalidSignature(address member);
    /// @notice There is no group number `group` (groups are 0..3).
    error UnknownGroup(uint256 group);
    /// @notice Published roots must include more blocks than the last publication
    /// (`throughBlock` must exceed `publishedThroughBlock`).
    error StaleRoots(uint64 throughBlock, uint64 publishedThroughBlock);
    /// @notice Roots cannot include blocks after the current one (`currentBlock`). (Gas
    /// estimation runs in the latest block, so the latest block itself is allowed; a root that
    /// claimed events of its own block after its own transaction would fail the audit.)
    error UnseenBlock(uint64 throughBlock, uint256 currentBlock);
    /// @notice `root` is not below the SNARK scalar field, or is zero for a non-empty group of
    /// `size` (or non-zero for an empty one).
    error InvalidRoot(uint256 group, uint256 root, uint32 size);
    /// @notice Semaphore supports tree depths 1..32 only.
    error UnsupportedTreeDepth(uint256 depth);
    /// @notice The proof was made for another campaign: its scope is `given`, not `expected`.
    error ScopeMismatch(uint256 expected, uint256 given);
    /// @notice The proof was made for another group: its message is `message`, not `group`.
    error GroupMismatch(uint256 group, uint256 message);
    /// @notice `root` was never a root of `group`.
    error UnknownRoot(uint256 group, uint256 root);
    /// @notice `root` of `group` was replaced and stopped being accepted at `expiredAt`.
    error RootExpired(uint256 group, uint256 root, uint256 expiredAt);
    /// @notice `consumer` already accepted a proof with `nullifier` (same member, same campaign).
    error NullifierUsed(address consumer, uint256 nullifier);
    /// @notice The Groth16 proof does not verify for these public inputs.
    error InvalidProof();

    // ------------------------------------------------------------------ events

    /// @notice `member` registered `identityCommitment`; it replaces any earlier registration
    /// of `member` in the groups from the next publication on.
    event IdentityRegistered(address indexed member, uint256 identityCommitment);
    /// @notice New roots of the four groups, built from every event through block
    /// `throughBlock`, were published by `by`; `sizes` are the groups' member counts.
    event RootsPublished(uint64 indexed throughBlock, uint256[4] roots, uint32[4] sizes, address indexed by);
    /// @notice Replaced roots are now accepted for `newSeconds` (was `oldSeconds`).
    event RootValidityChanged(uint32 oldSeconds, uint32 newSeconds);
    /// @notice `consumer` accepted a proof for `group` in campaign `scope`, using up `nullifier`.
    event ProofValidated(address indexed consumer, uint256 indexed group, uint256 indexed scope, uint256 nullifier);
    /// @notice `member` cancelled every registration signed with a nonce below `newNonce`.
    event NonceIncreased(address indexed member, uint256 newNonce);

    // ------------------------------------------------------------------ members

    /// @notice Register your identity commitment for private proofs. Optional; costs one small
    /// transaction. The transaction links your wallet to the commitment (public by design);
    /// proofs never reveal which commitment made them.
    /// @dev Requirements: caller is Active in the registry (`NotActiveMember`);
    /// `identityCommitment` non-zero and below the SNARK scalar field
    /// (`InvalidIdentityCommitment`). Stores nothing: groups are rebuilt from the events.
    /// Emits {IdentityRegistered}.
    /// @param identityCommitment The Semaphore v4 identity commitment.
    function registerIdentity(uint256 identityCommitment) external;

    /// @notice Submit an identity registration the member signed (EIP-712), e.g. from the
    /// gas-free relay.
    /// @dev Requirements as {registerIdentity} for `registration.member`, plus:
    /// `block.timestamp` not past `registration.deadline` (`DeadlineExpired`);
    /// `registration.nonce` is the member's current nonce (`InvalidAccountNonce`), which is
    /// consumed; `signature` is the member's signature of the typed data (EOA or ERC-1271)
    /// (`InvalidSignature`). Emits {IdentityRegistered}.
    /// @param registration The signed registration.
    /// @param signature The member's signature.
    function registerIdentityBySig(IdentityRegistration calldata registration, bytes calldata signature)
        external;

    /// @notice Cancel every identity registration you signed and that was not submitted yet.
    /// @dev Consumes the caller's current nonce. Emits {NonceIncreased}.
    function increaseNonce() external;

    // ------------------------------------------------------------------ publisher and admin

    /// @notice Publish the roots of the four groups, built from every event through
    /// `throughBlock`.
    /// @dev Requirements: `PROOF_PUBLISHER_ROLE`; `throughBlock` above the last publication's
    /// (`StaleRoots`) and not above the current block (`UnseenBlock`); each root below the field,
    /// zero exactly when its size is zero (`InvalidRoot`). A replaced root stays accepted for
    /// `rootValidity()` seconds. Emits {RootsPublished}.
    /// @param roots Root of each group (0 for an empty group).
    /// @param sizes Members in each group.
    /// @param throughBlock Last block whose events the roots include.
    function publishRoots(uint256[4] calldata roots, uint32[4] calldata sizes, uint64 throughBlock) external;

    /// @notice Set how long a replaced root stays accepted.
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`. Setting the current value emits nothing.
    /// Emits {RootValidityChanged}. Applies at once to every replaced root.
    /// @param seconds_ The new window in seconds.
    function setRootValidity(uint32 seconds_) external;

    // ------------------------------------------------------------------ partners

    /// @notice Use up a proof: check it like {verifyProof}, then record its nullifier for the
    /// caller so the same member cannot use the same campaign with the caller again.
    /// @dev For a partner's own contract (or wallet). Requirements: the nullifier unused by
    /// `msg.sender` (`NullifierUsed`); every check of {verifyProof}; the proof verifies
    /// (`InvalidProof`). Emits {ProofValidated}.
    /// @param group The group the proof is for (0 active, 1..3 tier at least that).
    /// @param proof The proof.
    /// @param scope The campaign's scope (`campaignScope(campaign)`).
    function validateProof(uint256 group, MembershipProof calldata proof, uint256 scope) external;

    /// @notice Whether `proof` shows a member of `group` for campaign `scope`. Free by `eth_call`.
    /// @dev Reverts with the reason when the proof is not for this group (`UnknownGroup`,
    /// `GroupMismatch`), campaign (`ScopeMismatch`), a supported depth
    /// (`UnsupportedTreeDepth`) or an accepted root (`UnknownRoot`, `RootExpired`); returns the
    /// Groth16 verifier's answer otherwise. Does not look at nullifiers: see {nullifierUsed}.
    /// @param group The group the proof is for.
    /// @param proof The proof.
    /// @param scope The campaign's scope.
    /// @return valid True when the proof verifies.
    function verifyProof(uint256 group, MembershipProof calldata proof, uint256 scope)
        external
        view
        returns (bool valid);

    // ------------------------------------------------------------------ views

    /// @notice The scope of campaign `campaign` of this programme:
    /// `uint256(keccak256(abi.encode(keccak256("MemberLedger/campaign/v1"), block.chainid,
    /// address(this), keccak256(bytes(campaign)))))`.
    /// @param campaign The campaign id chosen by the partner, e.g. "cinema-2026-12".
    function campaignScope(string calldata campaign) external view returns (uint256);

    /// @notice Whether `consumer` already accepted a proof with `nullifier`.
    function nullifierUsed(address consumer, uint256 nullifier) external view returns (bool);

    /// @notice The latest publication: block through which events are included, current
    /// roots and sizes of the four groups, and the root validity window in seconds.
    function publication()
        external
        view
        returns (uint64 throughBlock, uint256[4] memory roots, uint32[4] memory sizes, uint32 rootValidity);

    /// @notice When `root` of `group` was replaced (0: never replaced, or never a root).
    function supersededAt(uint256 group, uint256 root) external view returns (uint256);

    /// @notice The membership registry whose members the groups hold.
    function registry() external view returns (IMembershipRegistry);

    /// @notice The EIP-712 hash of `registration` that the member signs.
    function identityRegistrationDigest(IdentityRegistration calldata registration)
        external
        view
        returns (bytes32);
}
