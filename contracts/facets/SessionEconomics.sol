// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibRewardPool} from "../libraries/LibRewardPool.sol";
import {ISessionStorage} from "../storage/Types.sol";
import {FacetBase} from "./FacetBase.sol";

/// The stipend economics shared by SessionRouter (which applies them) and SessionViews (which
/// shows them). A user's stake buys a share of the day's compute budget:
///   computeBalance(t) = compute pool emitted until the start of t's day - providers' total claimed
///   totalMORSupply(t) = other pools emitted until the start of t's day + providers' total claimed
///   stipend           = stake * computeBalance / (totalMORSupply * 100)   (the budget is 1% a day)
abstract contract SessionEconomics is FacetBase {
    function _startOfTheDay(uint128 timestamp) internal pure returns (uint128) {
        return timestamp - (timestamp % 1 days);
    }

    function _computeBalance(uint128 timestamp) internal view returns (uint256) {
        ISessionStorage.Pool[] storage pools = _s().pools;
        if (pools.length <= COMPUTE_POOL) return 0;
        uint256 emitted = LibRewardPool.emittedUntil(pools[COMPUTE_POOL], _startOfTheDay(timestamp));
        uint256 claimed = _s().providersTotalClaimed;
        // Saturating: the live contract underflows (reverts) once claims outgrow the pool.
        return emitted > claimed ? emitted - claimed : 0;
    }

    function _totalMORSupply(uint128 timestamp) internal view returns (uint256 supply) {
        ISessionStorage.Pool[] storage pools = _s().pools;
        uint128 dayStart = _startOfTheDay(timestamp);
        for (uint256 i = 0; i < pools.length; i++) {
            if (i != COMPUTE_POOL) supply += LibRewardPool.emittedUntil(pools[i], dayStart);
        }
        supply += _s().providersTotalClaimed;
    }

    function _stakeToStipend(uint256 amount, uint128 timestamp) internal view returns (uint256) {
        uint256 supply = _totalMORSupply(timestamp);
        if (supply == 0) return 0;
        return (amount * _computeBalance(timestamp)) / (supply * 100);
    }

    function _stipendToStake(uint256 stipend, uint128 timestamp) internal view returns (uint256) {
        uint256 balance = _computeBalance(timestamp);
        if (balance == 0) return 0;
        return (stipend * _totalMORSupply(timestamp) * 100) / balance;
    }

    /// stipend / pricePerSecond seconds, capped by the max session duration.
    function _cappedDuration(uint256 stipend, uint256 pricePerSecond) internal view returns (uint128) {
        uint256 maxDuration = _s().maxSessionDuration;
        uint256 duration = pricePerSecond == 0 ? maxDuration : stipend / pricePerSecond;
        return uint128(duration < maxDuration ? duration : maxDuration);
    }
}
