// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMembershipRegistry} from "./IMembershipRegistry.sol";

/// @title MemberLedger loyalty points
/// @notice An ERC-20 (0 decimals) that issuers credit only to active members of the registry,
/// each issuer's batch content exactly once, scaled by the member's tier multiplier; members
/// redeem points for rewards. Non-transferable unless the admin enables member-to-member
/// transfers.
/// @dev Roles: `DEFAULT_ADMIN_ROLE` (two-step transfer) sets multipliers, rewards and the
/// transfer switch; `ISSUER_ROLE` credits. Forfeiting is for the registry's `REGISTRAR_ROLE`.
/// Every state change stops while the registry is paused.
interface ILoyaltyPoints {
    // ------------------------------------------------------------------ errors

    /// @notice `issuer` already credited a batch whose rows hash to `contentHash`; each issuer's
    /// batch content is applied once, ever.
    error BatchAlreadyApplied(address issuer, bytes32 contentHash);
    /// @notice Packed rows of `length` bytes: not a positive multiple of the row size.
    error MalformedRows(uint256 length);
    /// @notice `member` is not an active member (status `status` in the registry).
    error NotActiveMember(address member, IMembershipRegistry.Status status);
    /// @notice Row `row` (0-based) of a credit batch, for `member`, has a base amount of zero.
    error ZeroAmount(uint256 row, address member);
    /// @notice Member-to-member transfers are switched off.
    error TransfersDisabled();
    /// @notice Reward `rewardId` is not in the catalogue.
    error UnknownReward(uint256 rewardId);
    /// @notice A tier multiplier must be between 1 and `max` basis points.
    error InvalidMultiplier(uint32 bps, uint32 max);
    /// @notice Points of `member` (status `status`) cannot be forfeited: they are not revoked or erased.
    error NotForfeitable(address member, IMembershipRegistry.Status status);
    /// @notice `account` lacks the registry's registrar role.
    error NotRegistrar(address account);
    /// @notice The registry is paused: no state changes.
    error EnforcedPause();

    // ------------------------------------------------------------------ events

    /// @notice `issuer` credited the batch whose packed rows hash to `contentHash`: `count` rows
    /// credited `total` points, `skipped` rows credited nothing ({CreditSkipped},
    /// {CreditRoundedToZero}). Each credited row is an ERC-20 `Transfer` from the zero address
    /// in the same transaction; the rows themselves are the transaction's calldata.
    event BatchCredited(
        bytes32 indexed contentHash, address indexed issuer, uint256 count, uint256 total, uint256 skipped
    );
    /// @notice The row paying reward event `eventTag` to `member` (`amount` base points) was
    /// skipped: `member` is not active (status `status` in the registry). Nothing was credited.
    event CreditSkipped(
        address indexed member, bytes16 indexed eventTag, uint256 amount, IMembershipRegistry.Status status
    );
    /// @notice The row paying reward event `eventTag` to active `member` was skipped: `amount` base
    /// points times the tier multiplier `multiplierBps` round down to zero points.
    event CreditRoundedToZero(address indexed member, bytes16 indexed eventTag, uint256 amount, uint32 multiplierBps);
    /// @notice `member` redeemed `cost` points for reward `rewardId`.
    event Redeemed(address indexed member, uint256 indexed rewardId, uint256 cost);
    /// @notice Reward `rewardId` now costs `cost` points (0: withdrawn from the catalogue).
    event RewardSet(uint256 indexed rewardId, uint256 oldCost, uint256 cost);
    /// @notice The multiplier of `tier` changed from `oldBps` to `bps` basis points.
    event TierMultiplierSet(uint8 indexed tier, uint32 oldBps, uint32 bps);
    /// @notice Member-to-member transfers were switched on or off.
    event TransfersEnabledSet(bool enabled);
    /// @notice `amount` points of revoked or erased `member` were forfeited by `by`.
    event PointsForfeited(address indexed member, uint256 amount, address indexed by);

    // ------------------------------------------------------------------ issuer

    /// @notice Credit a batch of reward events: each row's base points, times the recipient's
    /// tier multiplier, to each active recipient; the same content only once per issuer, ever.
    /// @dev `rows` is packed, 44 bytes a row, no padding:
    /// `wallet (20 bytes) ‖ base amount (uint64, 8 bytes, big-endian) ‖ event tag (bytes16)`.
    /// The event tag is the first 16 bytes of `keccak256("MemberLedger/reward-event/v1" ‖ event
    /// id)`, computed off-chain: event ids never reach the chain.
    ///
    /// The batch is identified by its content: `contentHash = keccak256(rows)`, computed here and
    /// kept per issuer (`batchApplied(issuer, contentHash)`). Re-sending the same rows reverts
    /// whatever batch size or order the sender's journal used before; another issuer's identical
    /// rows are a batch of their own and cannot use up this issuer's.
    ///
    /// Reconciliation: a tool learns which event tags a {BatchCredited} paid from the calldata of
    /// its transaction, which is exactly `credit(bytes)` when an issuer account sends it directly
    /// (through a contract wallet, read the call from a trace instead); `keccak256(rows)` of the
    /// decoded rows equals `contentHash`. Rows that credited nothing are in {CreditSkipped} and
    /// {CreditRoundedToZero} logs of the same transaction.
    ///
    /// Requirements: `ISSUER_ROLE`; registry not paused; `rows.length` a positive multiple of 44
    /// (`MalformedRows`); the content not applied by this issuer before (`BatchAlreadyApplied`);
    /// every base amount non-zero (`ZeroAmount`, all or none: it is a mistake of the sender).
    ///
    /// A recipient that is not active when the batch lands (never enrolled, suspended, revoked,
    /// erased, moved) does not revert the batch: its row is skipped with {CreditSkipped}. A row
    /// whose credit `amount * multiplierBps(tier) / 10_000` rounds down to zero is skipped with
    /// {CreditRoundedToZero}. Every other row mints its points: one ERC-20 `Transfer` from the zero
    /// address per row. The batch is recorded as applied even if every row was skipped, and one
    /// {BatchCredited} closes it.
    /// @param rows The packed rows.
    function credit(bytes calldata rows) external;

    // ------------------------------------------------------------------ member

    /// @notice Spend points on reward `rewardId`.
    /// @dev Requirements: registry not paused; caller active; reward in the catalogue
    /// (`UnknownReward`); balance covers the cost (`ERC20InsufficientBalance`). Burns the cost.
    /// Emits `Transfer` to the zero address and {Redeemed}.
    /// @param rewardId The reward.
    function redeem(uint256 rewardId) external;

    // ------------------------------------------------------------------ registrar

    /// @notice Burn the whole balance of a revoked or erased member.
    /// @dev Requirements: caller holds the registry's `REGISTRAR_ROLE` (`NotRegistrar`); registry
    /// not paused; member revoked or erased (`NotForfeitable`). A zero balance changes nothing
    /// and emits nothing. Emits `Transfer` to the zero address and {PointsForfeited}.
    /// @param member The member's wallet.
    /// @return amount The points forfeited.
    function forfeit(address member) external returns (uint256 amount);

    // ------------------------------------------------------------------ admin

    /// @notice Set the multiplier of `tier` in basis points (10_000 = 1.00x).
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`; registry not paused; 1 <= bps <= MAX_MULTIPLIER_BPS.
    /// Emits {TierMultiplierSet} when the value changes.
    function setTierMultiplier(uint8 tier, uint32 bps) external;

    /// @notice Put reward `rewardId` in the catalogue at `cost` points, or withdraw it with 0.
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`; registry not paused. Emits {RewardSet} when the
    /// cost changes.
    function setReward(uint256 rewardId, uint256 cost) external;

    /// @notice Switch member-to-member transfers on or off (off at deployment).
    /// @dev Requirements: `DEFAULT_ADMIN_ROLE`; registry not paused. Emits {TransfersEnabledSet}
    /// when the setting changes. Transfers always need both parties active.
    function setTransfersEnabled(bool enabled) external;

    // ------------------------------------------------------------------ views

    /// @notice The registry whose members earn points.
    function registry() external view returns (IMembershipRegistry);

    /// @notice Multiplier of `tier` in basis points; 10_000 (1.00x) unless set.
    function multiplierBps(uint8 tier) external view returns (uint32);

    /// @notice Cost of reward `rewardId` in points (0: not in the catalogue).
    function rewardCost(uint256 rewardId) external view returns (uint256);

    /// @notice Whether `issuer` credited the batch whose packed rows hash to `contentHash`.
    function batchApplied(address issuer, bytes32 contentHash) external view returns (bool);

    /// @notice Whether member-to-member transfers are enabled.
    function transfersEnabled() external view returns (bool);
}
