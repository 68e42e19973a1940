// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {LibPage} from "../libraries/LibPage.sol";
import {ISessionStorage, IStatsStorage} from "../storage/Types.sol";
import {SessionEconomics} from "./SessionEconomics.sol";

/// Read side of the sessions: session records and lists, stakes on hold, stats, the stipend
/// economics and the session configuration. Apart from SessionRouter to keep each facet small.
contract SessionViews is SessionEconomics {
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using LibPage for EnumerableSet.Bytes32Set;

    uint32 public constant MIN_SESSION_DURATION = MIN_SESSION_SECONDS;
    uint32 public constant SIGNATURE_TTL = SIGNATURE_TTL_SECONDS;
    uint256 public constant COMPUTE_POOL_INDEX = COMPUTE_POOL;

    // ---------------------------------------------------------------- economics

    /// When a session opened at `openedAt` with stake `amount_` (not direct payment) would end.
    function getSessionEnd(uint256 amount_, uint256 pricePerSecond_, uint128 openedAt_) external view returns (uint128) {
        return openedAt_ + _cappedDuration(_stakeToStipend(amount_, openedAt_), pricePerSecond_);
    }

    function stakeToStipend(uint256 amount_, uint128 timestamp_) external view returns (uint256) {
        return _stakeToStipend(amount_, timestamp_);
    }

    function stipendToStake(uint256 stipend_, uint128 timestamp_) external view returns (uint256) {
        return _stipendToStake(stipend_, timestamp_);
    }

    /// 1% of the compute balance: what all sessions of the day can be paid from.
    function getTodaysBudget(uint128 timestamp_) external view returns (uint256) {
        return _computeBalance(timestamp_) / 100;
    }

    function getComputeBalance(uint128 timestamp_) external view returns (uint256) {
        return _computeBalance(timestamp_);
    }

    function totalMORSupply(uint128 timestamp_) external view returns (uint256) {
        return _totalMORSupply(timestamp_);
    }

    function startOfTheDay(uint128 timestamp_) external pure returns (uint128) {
        return _startOfTheDay(timestamp_);
    }

    // ---------------------------------------------------------------- sessions

    function getSession(bytes32 sessionId_) external view returns (ISessionStorage.Session memory) {
        return _s().sessions[sessionId_];
    }

    function getUserSessions(address user_, uint256 offset_, uint256 limit_) external view returns (bytes32[] memory, uint256) {
        return _s().userSessions[user_].page(offset_, limit_);
    }

    function getProviderSessions(
        address provider_,
        uint256 offset_,
        uint256 limit_
    ) external view returns (bytes32[] memory, uint256) {
        return _s().providerSessions[provider_].page(offset_, limit_);
    }

    function getModelSessions(bytes32 modelId_, uint256 offset_, uint256 limit_) external view returns (bytes32[] memory, uint256) {
        return _s().modelSessions[modelId_].page(offset_, limit_);
    }

    /// Number of sessions ever opened with the provider.
    function getTotalSessions(address provider_) external view returns (uint256) {
        return _s().providerSessions[provider_].length();
    }

    function getIsProviderApprovalUsed(bytes calldata approval_) external view returns (bool) {
        return _s().isProviderApprovalUsed[keccak256(approval_)];
    }

    /// What the user can withdraw now and what is still on hold. Like the live contract, it sums
    /// every entry; `iterations_` only bounds withdrawUserStakes.
    function getUserStakesOnHold(address user_, uint8 iterations_) external view returns (uint256 available_, uint256 hold_) {
        iterations_; // same signature as the live contract
        ISessionStorage.OnHold[] storage entries = _s().userStakesOnHold[user_];
        for (uint256 i = 0; i < entries.length; i++) {
            if (block.timestamp < entries[i].releaseAt) hold_ += entries[i].amount;
            else available_ += entries[i].amount;
        }
    }

    // ---------------------------------------------------------------- stats

    function getProviderModelStats(bytes32 modelId_, address provider_) external view returns (IStatsStorage.ProviderModelStats memory) {
        return _s().providerModelStats[modelId_][provider_];
    }

    function getModelStats(bytes32 modelId_) external view returns (IStatsStorage.ModelStats memory) {
        return _s().modelStats[modelId_];
    }

    // ---------------------------------------------------------------- configuration

    function getMaxSessionDuration() external view returns (uint128) {
        return _s().maxSessionDuration;
    }

    function getPools() external view returns (ISessionStorage.Pool[] memory) {
        return _s().pools;
    }

    function getPool(uint256 index_) external view returns (ISessionStorage.Pool memory) {
        return _s().pools[index_];
    }

    function getFundingAccount() external view returns (address) {
        return _s().fundingAccount;
    }

    function getProvidersTotalClaimed() external view returns (uint256) {
        return _s().providersTotalClaimed;
    }
}
