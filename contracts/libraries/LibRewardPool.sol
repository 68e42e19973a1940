// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionStorage} from "../storage/Types.sol";

/// Emissions of a linear-decrease pool (the L1 Distribution contract's model): during interval k
/// (0-based, each `decreaseInterval` seconds long from `payoutStart`) the pool pays
/// `initialReward - k * rewardDecrease`, pro rata within the interval, until that reaches zero.
library LibRewardPool {
    /// Total emitted from `payoutStart` up to `until`.
    function emittedUntil(ISessionStorage.Pool memory pool, uint256 until) internal pure returns (uint256) {
        if (pool.decreaseInterval == 0 || until <= pool.payoutStart) return 0;

        uint256 interval = pool.decreaseInterval;
        uint256 elapsed = until - pool.payoutStart;
        uint256 full = elapsed / interval;

        if (pool.rewardDecrease > 0) {
            // Intervals with a positive reward: ceil(initialReward / rewardDecrease).
            uint256 paying = (pool.initialReward + pool.rewardDecrease - 1) / pool.rewardDecrease;
            if (full >= paying) return _sumOfIntervals(pool, paying);
        }

        uint256 current = pool.initialReward - full * pool.rewardDecrease;
        return _sumOfIntervals(pool, full) + (current * (elapsed % interval)) / interval;
    }

    /// Arithmetic series: reward of the first `n` full intervals.
    function _sumOfIntervals(ISessionStorage.Pool memory pool, uint256 n) private pure returns (uint256) {
        if (n == 0) return 0;
        return pool.initialReward * n - (pool.rewardDecrease * n * (n - 1)) / 2;
    }
}
