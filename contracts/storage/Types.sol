// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The structs of the live Morpheus Compute Node Diamond, field for field and in the same order, so
// that one ABI decodes both. They sit in interfaces named like the live ones so even the ABI's
// `internalType` strings match.

import {LibSD} from "../libraries/LibSD.sol";

interface IProviderStorage {
    struct Provider {
        string endpoint; // host:port, no scheme
        uint256 stake;
        uint128 createdAt;
        uint128 limitPeriodEnd; // end of the current reward limiter period
        uint256 limitPeriodEarned; // paid to the provider within that period
        bool isDeleted;
    }
}

interface IModelStorage {
    struct Model {
        bytes32 ipfsCID;
        uint256 fee; // unused royalty field, kept for layout parity
        uint256 stake;
        address owner;
        string name;
        string[] tags;
        uint128 createdAt;
        bool isDeleted;
    }
}

interface IBidStorage {
    struct Bid {
        address provider;
        bytes32 modelId;
        uint256 pricePerSecond;
        uint256 nonce;
        uint128 createdAt;
        uint128 deletedAt; // 0 while the bid is active
    }
}

interface ISessionStorage {
    struct Session {
        address user;
        bytes32 bidId;
        uint256 stake;
        bytes closeoutReceipt;
        uint256 closeoutType; // 1 = dispute (receipt not signed by the provider)
        uint256 providerWithdrawnAmount;
        uint128 openedAt;
        uint128 endsAt;
        uint128 closedAt;
        bool isActive;
        bool isDirectPaymentFromUser;
    }

    struct OnHold {
        uint256 amount;
        uint128 releaseAt;
    }

    /// A linear-decrease emission pool, the shape of the L1 Distribution contract's pools.
    struct Pool {
        uint256 initialReward;
        uint256 rewardDecrease;
        uint128 payoutStart;
        uint128 decreaseInterval;
    }
}

interface IStatsStorage {
    struct ProviderModelStats {
        LibSD.SD tpsScaled1000;
        LibSD.SD ttftMs;
        uint32 totalDuration;
        uint32 successCount;
        uint32 totalCount;
    }

    struct ModelStats {
        LibSD.SD tpsScaled1000;
        LibSD.SD ttftMs;
        LibSD.SD totalDuration;
        uint32 count;
    }
}
