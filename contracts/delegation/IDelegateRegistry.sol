// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The part of the delegate.xyz v2 registry the Compute Node reads (the live one is at
/// 0x00000000000000447e69651d841bD8D104Bed493 on every chain).
interface IDelegateRegistry {
    /// True if `from` delegated to `to` for `contract_` or for everything, with empty rights
    /// (which cover every rights value) or exactly `rights`.
    function checkDelegateForContract(address to, address from, address contract_, bytes32 rights) external view returns (bool);
}
