// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title OwnerWallet
/// @notice A contract wallet as the simplest ERC-1271 wallets are: it holds no key of its own,
/// and a signature is valid for it when its one owner signed the hash. The tests use it to show
/// that members whose wallet is a contract can sign EIP-712 requests. Not deployed by the
/// project; compiled by tests/contracts/conftest.py.
contract OwnerWallet {
    /// @notice ERC-1271's answer for a valid signature.
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e;

    /// @notice The key that signs for this wallet.
    address public immutable OWNER;

    constructor(address owner) {
        OWNER = owner;
    }

    /// @notice ERC-1271: whether `signature` (65 bytes, r ‖ s ‖ v) is the owner's signature of `hash`.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        return ecrecover(hash, v, r, s) == OWNER ? MAGIC_VALUE : bytes4(0xffffffff);
    }
}
