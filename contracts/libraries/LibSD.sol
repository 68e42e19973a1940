// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Running mean and sum of squared deviations (Welford's method), updated in place the way the
/// live contract does, so stats read from a local chain rate bids like stats read from mainnet.
/// Unchecked: an absurd reported value then wraps a statistic instead of making every later
/// closeSession of the model revert (the live contract can be bricked that way).
library LibSD {
    struct SD {
        int64 mean;
        int64 sqSum;
    }

    /// Adds observation `x` as the `count`-th one (count includes x).
    function add(SD storage self, int64 x, int64 count) internal {
        unchecked {
            int64 oldMean = self.mean;
            self.mean = oldMean + (x - oldMean) / count;
            self.sqSum = self.sqSum + (x - self.mean) * (x - oldMean);
        }
    }

    /// Takes observation `x` back out, leaving `count` observations.
    function remove(SD storage self, int64 x, int64 count) internal {
        if (count == 0) {
            self.mean = 0;
            self.sqSum = 0;
            return;
        }
        unchecked {
            int64 oldMean = self.mean;
            self.mean = oldMean - (x - oldMean) / count;
            self.sqSum = self.sqSum - (x - self.mean) * (x - oldMean);
        }
    }
}
