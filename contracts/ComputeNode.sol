// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AppStorage, LibAppStorage} from "./storage/AppStorage.sol";

/// The one address clients talk to, like the live Diamond: a selector table routes each call
/// to its facet, which runs by delegatecall in this contract's storage. Facets are fixed at
/// deployment (no diamondCut): a local chain is redeployed, not upgraded.
contract ComputeNode {
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error FunctionNotFound(bytes4 selector);
    error DuplicateSelector(bytes4 selector);
    error FacetListMismatch();
    error OwnableUnauthorizedAccount(address account_);

    constructor(address owner_, address[] memory facets_, bytes4[][] memory selectors_) {
        if (facets_.length != selectors_.length) revert FacetListMismatch();
        AppStorage storage s = LibAppStorage.get();
        for (uint256 i = 0; i < facets_.length; i++) {
            for (uint256 j = 0; j < selectors_[i].length; j++) {
                bytes4 selector = selectors_[i][j];
                if (s.facets[selector] != address(0)) revert DuplicateSelector(selector);
                s.facets[selector] = facets_[i];
            }
        }
        s.owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    function owner() external view returns (address) {
        return LibAppStorage.get().owner;
    }

    function transferOwnership(address newOwner_) external {
        AppStorage storage s = LibAppStorage.get();
        if (msg.sender != s.owner) revert OwnableUnauthorizedAccount(msg.sender);
        emit OwnershipTransferred(s.owner, newOwner_);
        s.owner = newOwner_;
    }

    /// The facet serving `selector_` (zero if none), for debugging deployments.
    function facetAddress(bytes4 selector_) external view returns (address) {
        return LibAppStorage.get().facets[selector_];
    }

    fallback() external {
        address facet = LibAppStorage.get().facets[msg.sig];
        if (facet == address(0)) revert FunctionNotFound(msg.sig);
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), facet, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 {
                revert(0, returndatasize())
            }
            default {
                return(0, returndatasize())
            }
        }
    }
}
