// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDelegateRegistry} from "../delegation/IDelegateRegistry.sol";
import {AppStorage, LibAppStorage} from "../storage/AppStorage.sol";

/// What every facet shares: the storage, the owner check and the account check, which (as on the
/// live contract) lets a delegate.xyz delegatee act for an account when it holds the rights the
/// operation needs, delegated for this contract or for everything.
abstract contract FacetBase {
    error OwnableUnauthorizedAccount(address account_);
    error InsufficientRightsForOperation(address delegator, address delegatee);

    // Session and provider constants of the live contract.
    uint32 internal constant MIN_SESSION_SECONDS = 5 minutes;
    uint32 internal constant SIGNATURE_TTL_SECONDS = 10 minutes;
    uint256 internal constant COMPUTE_POOL = 3;
    uint128 internal constant PROVIDER_REWARD_LIMITER_PERIOD = 365 days;

    // The live delegation rights (Delegation exposes them as DELEGATION_RULES_*).
    bytes32 internal constant RIGHTS_PROVIDER = keccak256("delegation.rules.provider");
    bytes32 internal constant RIGHTS_MODEL = keccak256("delegation.rules.model");
    bytes32 internal constant RIGHTS_MARKETPLACE = keccak256("delegation.rules.marketplace");
    bytes32 internal constant RIGHTS_SESSION = keccak256("delegation.rules.session");

    modifier onlyOwner() {
        if (msg.sender != _s().owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    function _s() internal pure returns (AppStorage storage) {
        return LibAppStorage.get();
    }

    /// The caller is `account` or holds `rights` from it on the delegation registry.
    function _onlyAccount(address account, bytes32 rights) internal view {
        if (msg.sender != account && !_isRightsDelegated(msg.sender, account, rights)) {
            revert InsufficientRightsForOperation(account, msg.sender);
        }
    }

    /// Asks the registry whether `delegator` gave `delegatee` `rights` here (address(this) is the
    /// router: facets run by delegatecall). Before a registry is set nothing is delegated (the
    /// live contract would revert instead; it always has one).
    function _isRightsDelegated(address delegatee, address delegator, bytes32 rights) internal view returns (bool) {
        address registry = _s().delegationRegistry;
        if (registry == address(0)) return false;
        return IDelegateRegistry(registry).checkDelegateForContract(delegatee, delegator, address(this), rights);
    }

    function _isProviderRegistered(address provider) internal view returns (bool) {
        return _s().providers[provider].createdAt != 0 && !_s().providers[provider].isDeleted;
    }

    function _isModelRegistered(bytes32 modelId) internal view returns (bool) {
        return _s().models[modelId].createdAt != 0 && !_s().models[modelId].isDeleted;
    }

    function _isBidLive(bytes32 bidId) internal view returns (bool) {
        return _s().bids[bidId].createdAt != 0 && _s().bids[bidId].deletedAt == 0;
    }
}
