// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {LibPage} from "../libraries/LibPage.sol";
import {IBidStorage} from "../storage/Types.sol";
import {FacetBase} from "./FacetBase.sol";

/// Bids: a provider's price per second for serving a model. One active bid per provider and model.
contract Marketplace is FacetBase {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using LibPage for EnumerableSet.Bytes32Set;
    using LibPage for bytes32[];

    // "Maretplace" is the live contract's spelling; the event signature must match it.
    event MaretplaceFeeUpdated(uint256 bidFee);
    event MarketplaceBidPosted(address indexed provider, bytes32 indexed modelId, uint256 nonce);
    event MarketplaceBidDeleted(address indexed provider, bytes32 indexed modelId, uint256 nonce);
    event MarketplaceBidMinMaxPriceUpdated(uint256 bidMinPricePerSecond, uint256 bidMaxPricePerSecond);

    error MarketplaceProviderNotFound();
    error MarketplaceModelNotFound();
    error MarketplaceActiveBidNotFound();
    error MarketplaceBidMinPricePerSecondIsZero();
    error MarketplaceBidMinPricePerSecondIsInvalid();
    error MarketplaceBidPricePerSecondInvalid();
    error MarketplaceFeeAmountIsZero();
    error MarketplaceAlreadyInitialized();

    /// One-time setup through the router, as on the live Diamond: the stake token and price bounds.
    function __Marketplace_init(
        address token_,
        uint256 bidMinPricePerSecond_,
        uint256 bidMaxPricePerSecond_
    ) external onlyOwner {
        if (_s().marketplaceInitialized) revert MarketplaceAlreadyInitialized();
        _s().marketplaceInitialized = true;
        _s().token = IERC20(token_);
        setMinMaxBidPricePerSecond(bidMinPricePerSecond_, bidMaxPricePerSecond_);
    }

    function setMarketplaceBidFee(uint256 bidFee_) external onlyOwner {
        _s().bidFee = bidFee_;
        emit MaretplaceFeeUpdated(bidFee_);
    }

    function setMinMaxBidPricePerSecond(uint256 bidMinPricePerSecond_, uint256 bidMaxPricePerSecond_) public onlyOwner {
        if (bidMinPricePerSecond_ == 0) revert MarketplaceBidMinPricePerSecondIsZero();
        if (bidMinPricePerSecond_ > bidMaxPricePerSecond_) revert MarketplaceBidMinPricePerSecondIsInvalid();
        _s().bidMinPricePerSecond = bidMinPricePerSecond_;
        _s().bidMaxPricePerSecond = bidMaxPricePerSecond_;
        emit MarketplaceBidMinMaxPriceUpdated(bidMinPricePerSecond_, bidMaxPricePerSecond_);
    }

    /// Charges the bid fee every time; an active bid of the same provider for the model is replaced.
    function postModelBid(address provider_, bytes32 modelId_, uint256 pricePerSecond_) external returns (bytes32 bidId) {
        _onlyAccount(provider_, RIGHTS_MARKETPLACE);
        if (!_isProviderRegistered(provider_)) revert MarketplaceProviderNotFound();
        if (!_isModelRegistered(modelId_)) revert MarketplaceModelNotFound();
        if (pricePerSecond_ < _s().bidMinPricePerSecond || pricePerSecond_ > _s().bidMaxPricePerSecond) {
            revert MarketplaceBidPricePerSecondInvalid();
        }

        uint256 fee = _s().bidFee;
        if (fee > 0) _s().token.safeTransferFrom(provider_, address(this), fee);
        _s().feeBalance += fee;

        uint256 nonce = _s().providerModelNonce[getProviderModelId(provider_, modelId_)]++;
        if (nonce != 0) {
            bytes32 previous = getBidId(provider_, modelId_, nonce - 1);
            if (_isBidLive(previous)) _deleteBid(previous);
        }

        bidId = getBidId(provider_, modelId_, nonce);
        _s().bids[bidId] = IBidStorage.Bid(provider_, modelId_, pricePerSecond_, nonce, uint128(block.timestamp), 0);
        _s().providerBids[provider_].push(bidId);
        _s().modelBids[modelId_].push(bidId);
        _s().providerActiveBids[provider_].add(bidId);
        _s().modelActiveBids[modelId_].add(bidId);

        emit MarketplaceBidPosted(provider_, modelId_, nonce);
    }

    function deleteModelBid(bytes32 bidId_) external {
        if (!_isBidLive(bidId_)) revert MarketplaceActiveBidNotFound();
        _onlyAccount(_s().bids[bidId_].provider, RIGHTS_MARKETPLACE);
        _deleteBid(bidId_);
    }

    /// Sends collected bid fees (at most the fee balance, never users' stakes) to `recipient_`.
    function withdrawFee(address recipient_, uint256 amount_) external onlyOwner {
        if (amount_ > _s().feeBalance) amount_ = _s().feeBalance;
        if (amount_ == 0) revert MarketplaceFeeAmountIsZero();
        _s().feeBalance -= amount_;
        _s().token.safeTransfer(recipient_, amount_);
    }

    function _deleteBid(bytes32 bidId) private {
        IBidStorage.Bid storage bid = _s().bids[bidId];
        bid.deletedAt = uint128(block.timestamp);
        _s().providerActiveBids[bid.provider].remove(bidId);
        _s().modelActiveBids[bid.modelId].remove(bidId);
        emit MarketplaceBidDeleted(bid.provider, bid.modelId, bid.nonce);
    }

    function getBidId(address provider_, bytes32 modelId_, uint256 nonce_) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(provider_, modelId_, nonce_));
    }

    function getProviderModelId(address provider_, bytes32 modelId_) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(provider_, modelId_));
    }

    function getBid(bytes32 bidId_) external view returns (IBidStorage.Bid memory) {
        return _s().bids[bidId_];
    }

    function isBidActive(bytes32 bidId_) external view returns (bool) {
        return _isBidLive(bidId_);
    }

    function getProviderActiveBids(
        address provider_,
        uint256 offset_,
        uint256 limit_
    ) external view returns (bytes32[] memory, uint256) {
        return _s().providerActiveBids[provider_].page(offset_, limit_);
    }

    function getModelActiveBids(
        bytes32 modelId_,
        uint256 offset_,
        uint256 limit_
    ) external view returns (bytes32[] memory, uint256) {
        return _s().modelActiveBids[modelId_].page(offset_, limit_);
    }

    function getProviderBids(
        address provider_,
        uint256 offset_,
        uint256 limit_
    ) external view returns (bytes32[] memory, uint256) {
        return _s().providerBids[provider_].page(offset_, limit_);
    }

    function getModelBids(bytes32 modelId_, uint256 offset_, uint256 limit_) external view returns (bytes32[] memory, uint256) {
        return _s().modelBids[modelId_].page(offset_, limit_);
    }

    function getToken() external view returns (address) {
        return address(_s().token);
    }

    function getBidFee() external view returns (uint256) {
        return _s().bidFee;
    }

    function getFeeBalance() external view returns (uint256) {
        return _s().feeBalance;
    }

    function getMinMaxBidPricePerSecond() external view returns (uint256, uint256) {
        return (_s().bidMinPricePerSecond, _s().bidMaxPricePerSecond);
    }
}
