// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {LibPage} from "../libraries/LibPage.sol";
import {IProviderStorage} from "../storage/Types.sol";
import {FacetBase} from "./FacetBase.sol";

/// Providers stake MOR to be listed; the stake also caps what they can earn per limiter period.
contract ProviderRegistry is FacetBase {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using LibPage for EnumerableSet.AddressSet;

    event ProviderRegistered(address indexed provider);
    event ProviderDeregistered(address indexed provider);
    event ProviderMinimumStakeUpdated(uint256 providerMinimumStake);

    error ProviderStakeTooLow(uint256 amount, uint256 minAmount);
    error ProviderHasActiveBids();
    error ProviderNotFound();
    error ProviderHasAlreadyDeregistered();

    function providerSetMinStake(uint256 providerMinimumStake_) external onlyOwner {
        _s().providerMinimumStake = providerMinimumStake_;
        emit ProviderMinimumStakeUpdated(providerMinimumStake_);
    }

    /// Registers, re-registers or tops up: `amount_` is added to the current stake.
    function providerRegister(address provider_, uint256 amount_, string calldata endpoint_) external {
        _onlyAccount(provider_, RIGHTS_PROVIDER);
        IProviderStorage.Provider storage provider = _s().providers[provider_];

        uint256 newStake = provider.stake + amount_;
        if (newStake < _s().providerMinimumStake) revert ProviderStakeTooLow(newStake, _s().providerMinimumStake);
        if (amount_ > 0) _s().token.safeTransferFrom(provider_, address(this), amount_);

        if (provider.createdAt == 0) {
            provider.createdAt = uint128(block.timestamp);
            provider.limitPeriodEnd = uint128(block.timestamp) + PROVIDER_REWARD_LIMITER_PERIOD;
        }
        provider.isDeleted = false;
        provider.endpoint = endpoint_;
        provider.stake = newStake;
        _s().activeProviders.add(provider_);

        emit ProviderRegistered(provider_);
    }

    /// Returns the stake, minus what was earned in a limiter period that is still running (so a
    /// provider cannot withdraw and re-stake elsewhere to lift its earnings cap).
    function providerDeregister(address provider_) external {
        _onlyAccount(provider_, RIGHTS_PROVIDER);
        IProviderStorage.Provider storage provider = _s().providers[provider_];

        if (provider.createdAt == 0) revert ProviderNotFound();
        if (_s().providerActiveBids[provider_].length() != 0) revert ProviderHasActiveBids();
        if (provider.isDeleted) revert ProviderHasAlreadyDeregistered();

        uint256 withdrawable = provider.stake;
        if (block.timestamp <= provider.limitPeriodEnd) {
            withdrawable = provider.stake > provider.limitPeriodEarned ? provider.stake - provider.limitPeriodEarned : 0;
        }
        provider.stake -= withdrawable;
        provider.isDeleted = true;
        _s().activeProviders.remove(provider_);

        if (withdrawable > 0) _s().token.safeTransfer(provider_, withdrawable);
        emit ProviderDeregistered(provider_);
    }

    function getProvider(address provider_) external view returns (IProviderStorage.Provider memory) {
        return _s().providers[provider_];
    }

    function getProviderMinimumStake() external view returns (uint256) {
        return _s().providerMinimumStake;
    }

    function getActiveProviders(uint256 offset_, uint256 limit_) external view returns (address[] memory, uint256) {
        return _s().activeProviders.page(offset_, limit_);
    }

    function getIsProviderActive(address provider_) external view returns (bool) {
        return _isProviderRegistered(provider_);
    }
}
