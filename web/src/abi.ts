// The parts of the two contracts' ABIs the page uses, copied from
// contracts/interfaces/IMembershipRegistry.sol and ILoyaltyPoints.sol (plus what the
// contracts inherit from OpenZeppelin: nonces, ERC-20 and their errors).

import { parseAbi } from "viem";

export const registryAbi = parseAbi([
  "struct Member { bytes20 commitment; uint16 consent; uint8 tier; uint8 status; uint16 policyVersion; uint40 since; }",
  "function memberOf(address member) view returns (Member)",
  "function policyVersion() view returns (uint16)",
  "function paused() view returns (bool)",
  "function nonces(address owner) view returns (uint256)",
  "function commitmentMatches(address member, bytes20 commitment) view returns (bool)",
  "function setConsent(uint16 flags, uint16 version)",
  "function movedTo(address old) view returns (address)",
  "function pendingMove(address old) view returns (address newWallet, uint40 executableAt)",
  "function vetoMove()",
  "event MemberEnrolled(address indexed member, bytes20 commitment, uint8 tier)",
  "event CommitmentRotated(address indexed member, bytes20 oldCommitment, bytes20 newCommitment)",
  "event TierChanged(address indexed member, uint8 oldTier, uint8 newTier)",
  "event ConsentChanged(address indexed member, uint16 oldFlags, uint16 newFlags, uint16 policyVersion, address indexed by)",
  "event MemberSuspended(address indexed member, address indexed by)",
  "event MemberReinstated(address indexed member, address indexed by)",
  "event MemberRevoked(address indexed member, address indexed by)",
  "event MemberLeft(address indexed member)",
  "event MemberErased(address indexed member, address indexed by)",
  "event MoveProposed(address indexed old, address indexed newWallet, uint40 executableAt, address indexed by)",
  "event MoveVetoed(address indexed old, address indexed newWallet)",
  "event MoveCancelled(address indexed old, address indexed newWallet, address indexed by)",
  "event MemberMoved(address indexed old, address indexed newWallet)",
  "event NonceIncreased(address indexed member, uint256 newNonce)",
  "error WrongStatus(address member, uint8 status)",
  "error UnknownConsentFlags(uint16 flags)",
  "error NoPolicyPublished()",
  "error StalePolicy(uint16 given, uint16 current)",
  "error DeadlineExpired(uint256 deadline)",
  "error InvalidSignature(address member)",
  "error InvalidAccountNonce(address account, uint256 currentNonce)",
  "error NoPendingMove(address old)",
  "error EnforcedPause()",
]);

export const pointsAbi = parseAbi([
  "function balanceOf(address account) view returns (uint256)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function rewardCost(uint256 rewardId) view returns (uint256)",
  "function redeem(uint256 rewardId)",
  "struct RedeemRequest { address member; uint256 rewardId; uint256 cost; uint256 nonce; uint256 deadline; }",
  "function redeemBySig(RedeemRequest request, bytes signature)",
  "function nonces(address owner) view returns (uint256)",
  "function increaseNonce()",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "event Redeemed(address indexed member, uint256 indexed rewardId, uint256 cost)",
  "event PointsForfeited(address indexed member, uint256 amount, address indexed by)",
  "event PointsCarriedOver(address indexed old, address indexed newWallet, uint256 amount)",
  "event NonceIncreased(address indexed member, uint256 newNonce)",
  "event CreditSkipped(address indexed member, bytes16 indexed eventTag, uint256 amount, uint8 status)",
  "event CreditRoundedToZero(address indexed member, bytes16 indexed eventTag, uint256 amount, uint32 multiplierBps)",
  "error NotActiveMember(address member, uint8 status)",
  "error UnknownReward(uint256 rewardId)",
  "error RewardCostChanged(uint256 rewardId, uint256 expected, uint256 actual)",
  "error DeadlineExpired(uint256 deadline)",
  "error InvalidSignature(address member)",
  "error InvalidAccountNonce(address account, uint256 currentNonce)",
  "error EnforcedPause()",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
]);

/** IMembershipRegistry.Status, in the same order. */
export enum Status {
  None = 0,
  Active = 1,
  Suspended = 2,
  Revoked = 3,
  Erased = 4,
  Moved = 5,
}

/** The EIP-712 type the member signs for the gas-free relay (IMembershipRegistry.ConsentChange). */
export const consentChangeTypes = {
  ConsentChange: [
    { name: "member", type: "address" },
    { name: "flags", type: "uint16" },
    { name: "policyVersion", type: "uint16" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export const EIP712_NAME = "MemberLedger MembershipRegistry";
export const EIP712_VERSION = "1";

/** The EIP-712 type the member signs for a gas-free redemption (ILoyaltyPoints.RedeemRequest);
 * `cost` is the price shown, so a catalogue change before submission cannot charge more. */
export const redeemRequestTypes = {
  RedeemRequest: [
    { name: "member", type: "address" },
    { name: "rewardId", type: "uint256" },
    { name: "cost", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** EIP-712 domain of the points token (its own nonces, apart from the registry's). */
export const POINTS_EIP712_NAME = "MemberLedger LoyaltyPoints";
export const POINTS_EIP712_VERSION = "1";
