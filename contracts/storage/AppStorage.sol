// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IBidStorage, IModelStorage, IProviderStorage, ISessionStorage, IStatsStorage} from "./Types.sol";

/// Everything the router and its facets keep, in one struct at one fixed slot: facets run by
/// delegatecall in the router's storage, so they must agree on a single layout. Append only.
struct AppStorage {
    // router
    address owner;
    mapping(bytes4 selector => address facet) facets;
    // providers
    uint256 providerMinimumStake;
    mapping(address provider => IProviderStorage.Provider) providers;
    EnumerableSet.AddressSet activeProviders;
    // models
    uint256 modelMinimumStake;
    EnumerableSet.Bytes32Set modelIds;
    mapping(bytes32 modelId => IModelStorage.Model) models;
    EnumerableSet.Bytes32Set activeModels;
    // bids and marketplace
    IERC20 token;
    uint256 bidFee;
    uint256 feeBalance;
    uint256 bidMinPricePerSecond;
    uint256 bidMaxPricePerSecond;
    mapping(bytes32 bidId => IBidStorage.Bid) bids;
    mapping(bytes32 modelId => bytes32[]) modelBids;
    mapping(bytes32 modelId => EnumerableSet.Bytes32Set) modelActiveBids;
    mapping(address provider => bytes32[]) providerBids;
    mapping(address provider => EnumerableSet.Bytes32Set) providerActiveBids;
    mapping(bytes32 providerModelId => uint256) providerModelNonce;
    // sessions
    address fundingAccount;
    ISessionStorage.Pool[] pools;
    uint256 providersTotalClaimed;
    uint256 sessionNonce;
    uint128 maxSessionDuration;
    mapping(bytes32 sessionId => ISessionStorage.Session) sessions;
    mapping(address user => EnumerableSet.Bytes32Set) userSessions;
    mapping(address provider => EnumerableSet.Bytes32Set) providerSessions;
    mapping(bytes32 modelId => EnumerableSet.Bytes32Set) modelSessions;
    mapping(address user => ISessionStorage.OnHold[]) userStakesOnHold;
    mapping(bytes32 approvalHash => bool) isProviderApprovalUsed;
    // stats
    mapping(bytes32 modelId => mapping(address provider => IStatsStorage.ProviderModelStats)) providerModelStats;
    mapping(bytes32 modelId => IStatsStorage.ModelStats) modelStats;
    // one-time initialisers
    bool marketplaceInitialized;
    bool sessionRouterInitialized;
    // delegation (appended)
    address delegationRegistry;
    bool delegationInitialized;
}

library LibAppStorage {
    // A hashed slot, far from the low slots any contract's own state variables would use.
    bytes32 internal constant SLOT = keccak256("morpheus.computenode.app.storage");

    function get() internal pure returns (AppStorage storage s) {
        bytes32 slot = SLOT;
        assembly {
            s.slot := slot
        }
    }
}
