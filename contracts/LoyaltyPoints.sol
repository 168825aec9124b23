// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ILoyaltyPoints} from "./interfaces/ILoyaltyPoints.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";

/// @title LoyaltyPoints
/// @notice Points credited to active members under on-chain reward rules, exactly once per batch.
/// @dev Invariants (each one is an executable test):
/// - The sum of all balances equals `totalSupply()` (ERC-20).
/// - Points are only ever credited to, redeemed by or transferred between Active members.
/// - A batch id is applied at most once; `batchApplied` never goes back to false.
/// - While the registry is paused, no balance, allowance, catalogue or setting changes.
contract LoyaltyPoints is ILoyaltyPoints, ERC20, AccessControlDefaultAdminRules {
    /// @notice Role that credits points.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice The registry's registrar role, which may forfeit points.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice 1.00x in basis points.
    uint32 public constant BASE_MULTIPLIER_BPS = 10_000;
    /// @notice Largest multiplier: 100.00x.
    uint32 public constant MAX_MULTIPLIER_BPS = 1_000_000;

    IMembershipRegistry private immutable REGISTRY;

    /// @dev Whether member-to-member transfers are on (slot shared with nothing else).
    bool private _transfersEnabled;

    /// @dev Tier multiplier in basis points; 0 means unset, read as 1.00x.
    mapping(uint8 tier => uint32 bps) private _multipliers;

    /// @dev Reward catalogue: cost in points; 0 means not offered.
    mapping(uint256 rewardId => uint256 cost) private _rewards;

    /// @dev Batch ids applied so far.
    mapping(bytes32 batchId => bool) private _applied;

    /// @param registry_ The membership registry whose active members earn points.
    /// @param admin The first holder of `DEFAULT_ADMIN_ROLE` and `ISSUER_ROLE`.
    /// @param adminTransferDelay Seconds between beginning and accepting an admin transfer.
    constructor(IMembershipRegistry registry_, address admin, uint48 adminTransferDelay)
        ERC20("MemberLedger Points", "MLP")
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
    {
        REGISTRY = registry_;
        _grantRole(ISSUER_ROLE, admin);
    }

    /// @notice Points are whole numbers.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    // ------------------------------------------------------------------ issuer

    /// @inheritdoc ILoyaltyPoints
    function credit(bytes32 batchId, address[] calldata members, uint256[] calldata amounts)
        external
        onlyRole(ISSUER_ROLE)
    {
        _requireNotPaused();
        uint256 count = members.length;
        if (count == 0 || count != amounts.length) revert BadBatchShape(count, amounts.length);
        if (_applied[batchId]) revert BatchAlreadyApplied(batchId);
        _applied[batchId] = true;

        uint256[] memory statusTier = REGISTRY.statusesAndTiers(members);
        uint256 total = 0;
        for (uint256 i; i < count; ++i) {
            address member = members[i];
            uint256 packed = statusTier[i];
            if (packed >> 8 != uint256(IMembershipRegistry.Status.Active)) {
                revert NotActiveMember(member, IMembershipRegistry.Status(packed >> 8));
            }
            uint256 points = amounts[i] * _multiplier(uint8(packed)) / BASE_MULTIPLIER_BPS;
            // A zero base amount, or one the multiplier rounds down to nothing, credits nothing.
            if (points == 0) revert ZeroAmount(member);
            _mint(member, points);
            total += points;
        }
        emit BatchCredited(batchId, count, total, msg.sender);
    }

    // ------------------------------------------------------------------ member

    /// @inheritdoc ILoyaltyPoints
    function redeem(uint256 rewardId) external {
        _requireNotPaused();
        _requireActive(msg.sender);
        uint256 cost = _rewards[rewardId];
        if (cost == 0) revert UnknownReward(rewardId);
        _burn(msg.sender, cost);
        emit Redeemed(msg.sender, rewardId, cost);
    }

    // ------------------------------------------------------------------ registrar

    /// @inheritdoc ILoyaltyPoints
    function forfeit(address member) external returns (uint256 amount) {
        if (!AccessControlDefaultAdminRules(address(REGISTRY)).hasRole(REGISTRAR_ROLE, msg.sender)) {
            revert NotRegistrar(msg.sender);
        }
        _requireNotPaused();
        // The tier does not matter here, only the status.
        // slither-disable-next-line unused-return
        (IMembershipRegistry.Status status,) = REGISTRY.statusAndTier(member);
        if (status != IMembershipRegistry.Status.Revoked && status != IMembershipRegistry.Status.Erased) {
            revert NotForfeitable(member, status);
        }
        amount = balanceOf(member);
        if (amount == 0) return 0;
        _burn(member, amount);
        emit PointsForfeited(member, amount, msg.sender);
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ILoyaltyPoints
    function setTierMultiplier(uint8 tier, uint32 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireNotPaused();
        if (bps == 0 || bps > MAX_MULTIPLIER_BPS) revert InvalidMultiplier(bps, MAX_MULTIPLIER_BPS);
        uint32 old = _multiplier(tier);
        if (old == bps) return;
        _multipliers[tier] = bps;
        emit TierMultiplierSet(tier, old, bps);
    }

    /// @inheritdoc ILoyaltyPoints
    function setReward(uint256 rewardId, uint256 cost) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireNotPaused();
        uint256 old = _rewards[rewardId];
        if (old == cost) return;
        _rewards[rewardId] = cost;
        emit RewardSet(rewardId, old, cost);
    }

    /// @inheritdoc ILoyaltyPoints
    function setTransfersEnabled(bool enabled) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireNotPaused();
        if (_transfersEnabled == enabled) return;
        _transfersEnabled = enabled;
        emit TransfersEnabledSet(enabled);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILoyaltyPoints
    function registry() external view returns (IMembershipRegistry) {
        return REGISTRY;
    }

    /// @inheritdoc ILoyaltyPoints
    function multiplierBps(uint8 tier) external view returns (uint32) {
        return _multiplier(tier);
    }

    /// @inheritdoc ILoyaltyPoints
    function rewardCost(uint256 rewardId) external view returns (uint256) {
        return _rewards[rewardId];
    }

    /// @inheritdoc ILoyaltyPoints
    function batchApplied(bytes32 batchId) external view returns (bool) {
        return _applied[batchId];
    }

    /// @inheritdoc ILoyaltyPoints
    function transfersEnabled() external view returns (bool) {
        return _transfersEnabled;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Transfers (neither side the zero address) need the switch on, the registry
    /// unpaused and both parties active. Mints and burns are checked by their callers.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            if (!_transfersEnabled) revert TransfersDisabled();
            _requireNotPaused();
            _requireActive(from);
            _requireActive(to);
        }
        super._update(from, to, value);
    }

    /// @dev Approvals are state too: they stop while the registry is paused.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        _requireNotPaused();
        super._approve(owner, spender, value, emitEvent);
    }

    function _multiplier(uint8 tier) private view returns (uint32) {
        uint32 bps = _multipliers[tier];
        return bps == 0 ? BASE_MULTIPLIER_BPS : bps;
    }

    function _requireActive(address member) private view {
        // slither-disable-next-line unused-return
        (IMembershipRegistry.Status status,) = REGISTRY.statusAndTier(member);
        if (status != IMembershipRegistry.Status.Active) revert NotActiveMember(member, status);
    }

    function _requireNotPaused() private view {
        if (REGISTRY.paused()) revert EnforcedPause();
    }
}
