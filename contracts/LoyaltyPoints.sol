// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ILoyaltyPoints} from "./interfaces/ILoyaltyPoints.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";

/// @title LoyaltyPoints
/// @notice Points credited to active members under on-chain reward rules, each issuer's batch
/// content exactly once.
/// @dev Invariants (each one is an executable test):
/// - The sum of all balances equals `totalSupply()` (ERC-20).
/// - Points are only ever credited to, redeemed by or transferred between Active members.
/// - An issuer's batch content is applied at most once; `batchApplied` never goes back to false,
///   and one issuer's batches never mark another's as applied.
/// - A credit batch that is applied credits exactly its rows whose recipient is Active and whose
///   points are non-zero; every other row is skipped with an event, never reverts the batch.
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

    /// @dev Bytes per packed credit row: wallet (20) ‖ base amount uint64 (8) ‖ event tag (16).
    uint256 private constant CREDIT_ROW_BYTES = 44;

    /// @dev Batch contents (keccak256 of the packed rows) applied so far, per issuer.
    mapping(address issuer => mapping(bytes32 contentHash => bool)) private _applied;

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
    function credit(bytes calldata rows) external onlyRole(ISSUER_ROLE) {
        _requireNotPaused();
        uint256 length = rows.length;
        if (length == 0 || length % CREDIT_ROW_BYTES != 0) revert MalformedRows(length);
        bytes32 contentHash = keccak256(rows);
        mapping(bytes32 contentHash => bool) storage applied = _applied[msg.sender];
        if (applied[contentHash]) revert BatchAlreadyApplied(msg.sender, contentHash);
        applied[contentHash] = true;

        uint256[] memory statusTier = REGISTRY.statusesAndTiers(_recipients(rows));
        (uint256 total, uint256 skipped) = _mintRows(rows, statusTier);
        emit BatchCredited(contentHash, msg.sender, statusTier.length - skipped, total, skipped);
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
    function batchApplied(address issuer, bytes32 contentHash) external view returns (bool) {
        return _applied[issuer][contentHash];
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

    /// @dev The wallet of every packed credit row, in order; reverts on a zero base amount.
    function _recipients(bytes calldata rows) private pure returns (address[] memory members) {
        uint256 count = rows.length / CREDIT_ROW_BYTES;
        members = new address[](count);
        for (uint256 i; i < count; ++i) {
            (address member, uint256 amount) = _creditRow(rows, i);
            if (amount == 0) revert ZeroAmount(i, member);
            members[i] = member;
        }
    }

    /// @dev Mints each row whose recipient is Active (`statusTier[i]` as the registry's
    /// `statusesAndTiers` packs it) and whose points are not zero; emits why for the others.
    function _mintRows(bytes calldata rows, uint256[] memory statusTier)
        private
        returns (uint256 total, uint256 skipped)
    {
        uint256 count = statusTier.length;
        // Multipliers of tiers 0..7 read so far, 32 bits each (0: not read yet): a batch reads
        // each of the programme's usual tiers from storage once.
        uint256 lowTiers = 0;
        for (uint256 i; i < count; ++i) {
            (address member, uint256 amount) = _creditRow(rows, i);
            uint256 packed = statusTier[i];
            if (packed >> 8 != uint256(IMembershipRegistry.Status.Active)) {
                emit CreditSkipped(member, _eventTag(rows, i), amount, IMembershipRegistry.Status(packed >> 8));
                ++skipped;
                continue;
            }
            uint8 tier = uint8(packed);
            uint32 bps = tier < 8 ? uint32(lowTiers >> (tier * 32)) : 0;
            if (bps == 0) {
                bps = _multiplier(tier);
                if (tier < 8) lowTiers |= uint256(bps) << (tier * 32);
            }
            uint256 points;
            // Cannot overflow: amount < 2**64 and bps <= MAX_MULTIPLIER_BPS < 2**20, so points <
            // 2**84, and a batch has fewer than 2**32 rows (calldata), so total < 2**116.
            unchecked {
                points = amount * bps / BASE_MULTIPLIER_BPS;
                total += points;
            }
            if (points == 0) {
                emit CreditRoundedToZero(member, _eventTag(rows, i), amount, bps);
                ++skipped;
                continue;
            }
            _mint(member, points);
        }
    }

    /// @dev Wallet and base amount of row `i` of packed credit rows (layout in {credit}).
    function _creditRow(bytes calldata rows, uint256 i) private pure returns (address member, uint256 amount) {
        assembly ("memory-safe") {
            let word := calldataload(add(rows.offset, mul(i, CREDIT_ROW_BYTES)))
            member := shr(96, word)
            amount := and(shr(32, word), 0xffffffffffffffff)
        }
    }

    /// @dev Event tag of row `i` of packed credit rows: bytes 28..43 of the row.
    function _eventTag(bytes calldata rows, uint256 i) private pure returns (bytes16 tag) {
        assembly ("memory-safe") {
            tag := and(calldataload(add(rows.offset, add(mul(i, CREDIT_ROW_BYTES), 28))), shl(128, not(0)))
        }
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
