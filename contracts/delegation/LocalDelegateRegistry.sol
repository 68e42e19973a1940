// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDelegateRegistry} from "./IDelegateRegistry.sol";

/// LOCAL STAND-IN for the delegate.xyz v2 registry, deployed only on the local chain (the live
/// networks use the real one at 0x00000000000000447e69651d841bD8D104Bed493). It has v2's
/// wallet-wide and contract-scoped delegations with v2's meaning: a delegation with empty rights
/// covers every rights value, one with specific rights only that value; `enable = false` revokes.
/// Token-scoped delegations, enumeration and multicall are left out: the Compute Node never reads
/// them. Delegation hashes are computed as v2 does, so the returned hashes match the real registry.
contract LocalDelegateRegistry is IDelegateRegistry {
    event DelegateAll(address indexed from, address indexed to, bytes32 rights, bool enable);
    event DelegateContract(address indexed from, address indexed to, address indexed contract_, bytes32 rights, bool enable);

    // v2's DelegationType values: a delegation hash is keccak256(packed params) << 8 | type.
    uint256 private constant TYPE_ALL = 1;
    uint256 private constant TYPE_CONTRACT = 2;

    mapping(bytes32 delegationHash => bool) private enabled;

    /// Delegates (or revokes) everything `msg.sender` may do, for `rights` ("" = all rights).
    function delegateAll(address to, bytes32 rights, bool enable) external payable returns (bytes32 delegationHash) {
        delegationHash = _allHash(msg.sender, rights, to);
        enabled[delegationHash] = enable;
        emit DelegateAll(msg.sender, to, rights, enable);
    }

    /// Delegates (or revokes) what `msg.sender` may do at `contract_`, for `rights` ("" = all rights).
    function delegateContract(address to, address contract_, bytes32 rights, bool enable) external payable returns (bytes32 delegationHash) {
        delegationHash = _contractHash(msg.sender, rights, to, contract_);
        enabled[delegationHash] = enable;
        emit DelegateContract(msg.sender, to, contract_, rights, enable);
    }

    function checkDelegateForAll(address to, address from, bytes32 rights) public view returns (bool) {
        if (_invalidFrom(from)) return false;
        return enabled[_allHash(from, "", to)] || (rights != "" && enabled[_allHash(from, rights, to)]);
    }

    function checkDelegateForContract(address to, address from, address contract_, bytes32 rights) external view returns (bool) {
        if (checkDelegateForAll(to, from, rights)) return true;
        if (_invalidFrom(from)) return false;
        return enabled[_contractHash(from, "", to, contract_)] || (rights != "" && enabled[_contractHash(from, rights, to, contract_)]);
    }

    // v2 stores nothing under the zero address or its "revoked" marker address(1).
    function _invalidFrom(address from) private pure returns (bool) {
        return from == address(0) || from == address(1);
    }

    function _allHash(address from, bytes32 rights, address to) private pure returns (bytes32) {
        return _withType(keccak256(abi.encodePacked(rights, from, to)), TYPE_ALL);
    }

    function _contractHash(address from, bytes32 rights, address to, address contract_) private pure returns (bytes32) {
        return _withType(keccak256(abi.encodePacked(rights, from, to, contract_)), TYPE_CONTRACT);
    }

    function _withType(bytes32 hash, uint256 type_) private pure returns (bytes32) {
        return bytes32((uint256(hash) << 8) | type_);
    }
}
