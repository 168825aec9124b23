// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMembershipRegistry} from "./IMembershipRegistry.sol";

/// @title MemberLedger loyalty points
/// @notice An ERC-20 (0 decimals) that issuers credit only to active members of the registry,
/// exactly once per batch id, scaled by the member's tier multiplier; members redeem points
/// for rewards. Non-transferable unless the admin enables member-to-member transfers.
/// @dev Roles: `DEFAULT_ADMIN_ROLE` (two-step transfer) sets multipliers, rewards and the
/// transfer switch; `ISSUER_ROLE` credits. Forfeiting is for the registry's `REGISTRAR_ROLE`.
/// Every state change stops while the registry is paused.
interface ILoyaltyPoints {
    // ------------------------------------------------------------------ errors

    /// @notice Batch `batchId` was credited before; each batch is applied once, ever.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice `members` and `amounts` differ in length, or are empty.
    error BadBatchShape(uint256 members, uint256 amounts);
    /// @notice `member` is not an active member (status `status` in the registry).
    error NotActiveMember(address member, IMembershipRegistry.Status status);
    /// @notice A credit of zero points to `member` (a zero base amount, or one the tier
    /// multiplier rounds down to zero).
    error ZeroAmount(address member);
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

    /// @notice Batch `batchId` credited `total` points to `count` members, issued by `issuer`.
    /// Each member's credit is the ERC-20 `Transfer` from the zero address in the same transaction.
    event BatchCredited(bytes32 indexed batchId, uint256 count, uint256 total, address indexed issuer);
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

    /// @notice Credit `amounts[i]` base points, times the member's tier multiplier, to each
    /// `members[i]`; all or none, and batch `batchId` only once, ever.
    /// @dev Requirements: `ISSUER_ROLE`; registry not paused; equal, non-zero lengths
    /// (`BadBatchShape`); `batchId` not applied before (`BatchAlreadyApplied`); every member active
    /// (`NotActiveMember`); every credit non-zero after the multiplier (`ZeroAmount`). Credited
    /// points are `amount * multiplierBps(tier) / 10_000`, rounded down. Emits one ERC-20 `Transfer` per
    /// member and one {BatchCredited}.
    /// @param batchId Deterministic id of the batch, chosen by the issuer's journal.
    /// @param members The recipients.
    /// @param amounts Base points per recipient.
    function credit(bytes32 batchId, address[] calldata members, uint256[] calldata amounts) external;

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

    /// @notice Whether batch `batchId` was credited.
    function batchApplied(bytes32 batchId) external view returns (bool);

    /// @notice Whether member-to-member transfers are enabled.
    function transfersEnabled() external view returns (bool);
}
