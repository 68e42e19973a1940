// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FacetBase} from "./FacetBase.sol";

/// Which delegate.xyz registry the account checks of every facet ask (see FacetBase._onlyAccount),
/// and the rights they ask for: registering as or for a provider (PROVIDER, which also lets the
/// delegatee sign session approvals and receipts), models (MODEL), bids (MARKETPLACE) and
/// sessions (SESSION). The live networks use delegate.xyz v2; the local chain a stand-in for it.
contract Delegation is FacetBase {
    event DelegationRegistryUpdated(address registry);

    error DelegationAlreadyInitialized();

    bytes32 public constant DELEGATION_RULES_PROVIDER = RIGHTS_PROVIDER;
    bytes32 public constant DELEGATION_RULES_MODEL = RIGHTS_MODEL;
    bytes32 public constant DELEGATION_RULES_MARKETPLACE = RIGHTS_MARKETPLACE;
    bytes32 public constant DELEGATION_RULES_SESSION = RIGHTS_SESSION;

    function __Delegation_init(address registry_) external onlyOwner {
        if (_s().delegationInitialized) revert DelegationAlreadyInitialized();
        _s().delegationInitialized = true;
        setRegistry(registry_);
    }

    function setRegistry(address registry_) public onlyOwner {
        _s().delegationRegistry = registry_;
        emit DelegationRegistryUpdated(registry_);
    }

    function getRegistry() external view returns (address) {
        return _s().delegationRegistry;
    }

    /// True if `delegator_` gave `delegatee_` `rights_` (or all rights) for this contract or for everything.
    function isRightsDelegated(address delegatee_, address delegator_, bytes32 rights_) external view returns (bool) {
        return _isRightsDelegated(delegatee_, delegator_, rights_);
    }
}
