// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AppStorage, LibAppStorage} from "../storage/AppStorage.sol";

/// What every facet shares: the storage, the owner check and the "only the account itself" check.
/// The live contract also lets a delegate.xyz delegatee act for an account; this implementation
/// leaves delegation out but keeps the live error, so clients decode the same revert.
abstract contract FacetBase {
    error OwnableUnauthorizedAccount(address account_);
    error InsufficientRightsForOperation(address delegator, address delegatee);

    // Session and provider constants of the live contract.
    uint32 internal constant MIN_SESSION_SECONDS = 5 minutes;
    uint32 internal constant SIGNATURE_TTL_SECONDS = 10 minutes;
    uint256 internal constant COMPUTE_POOL = 3;
    uint128 internal constant PROVIDER_REWARD_LIMITER_PERIOD = 365 days;

    modifier onlyOwner() {
        if (msg.sender != _s().owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    function _s() internal pure returns (AppStorage storage) {
        return LibAppStorage.get();
    }

    function _onlyAccount(address account) internal view {
        if (msg.sender != account) revert InsufficientRightsForOperation(account, msg.sender);
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
