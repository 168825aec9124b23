// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SemaphoreVerifier} from "@semaphore-protocol/contracts/base/SemaphoreVerifier.sol";

/// @title ProofVerifier
/// @notice Semaphore v4's Groth16 verifier, unchanged: the verification keys of Semaphore's
/// production trusted-setup ceremony for every tree depth 1..32 (the npm package
/// semaphore-protocol/contracts, pinned in package.json), given a name in this project so
/// that it is compiled and deployed with the rest. {MembershipProofs} calls it.
// solhint-disable-next-line no-empty-blocks
contract ProofVerifier is SemaphoreVerifier {}
