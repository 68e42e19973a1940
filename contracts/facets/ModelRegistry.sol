// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {LibPage} from "../libraries/LibPage.sol";
import {IModelStorage} from "../storage/Types.sol";
import {FacetBase} from "./FacetBase.sol";

/// Models are registered (with a stake) by their owner; providers then bid to serve them.
contract ModelRegistry is FacetBase {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using LibPage for EnumerableSet.Bytes32Set;

    event ModelRegisteredUpdated(address indexed owner, bytes32 indexed modelId);
    event ModelDeregistered(address indexed owner, bytes32 indexed modelId);
    event ModelMinimumStakeUpdated(uint256 modelMinimumStake);

    error ModelStakeTooLow(uint256 amount, uint256 minAmount);
    error ModelHasActiveBids();
    error ModelHasAlreadyDeregistered();
    error ModelNotFound();

    function modelSetMinStake(uint256 modelMinimumStake_) external onlyOwner {
        _s().modelMinimumStake = modelMinimumStake_;
        emit ModelMinimumStakeUpdated(modelMinimumStake_);
    }

    /// Registers or updates (re-activating a deregistered one) the model keccak256(owner, baseModelId).
    function modelRegister(
        address modelOwner_,
        bytes32 baseModelId_,
        bytes32 ipfsCID_,
        uint256 fee_,
        uint256 amount_,
        string calldata name_,
        string[] memory tags_
    ) external {
        _onlyAccount(modelOwner_, RIGHTS_MODEL);
        bytes32 modelId = getModelId(modelOwner_, baseModelId_);
        IModelStorage.Model storage model = _s().models[modelId];

        uint256 newStake = model.stake + amount_;
        if (newStake < _s().modelMinimumStake) revert ModelStakeTooLow(newStake, _s().modelMinimumStake);
        if (amount_ > 0) _s().token.safeTransferFrom(modelOwner_, address(this), amount_);

        if (model.createdAt == 0) {
            _s().modelIds.add(modelId);
            model.createdAt = uint128(block.timestamp);
            model.owner = modelOwner_;
        }
        model.stake = newStake;
        model.ipfsCID = ipfsCID_;
        model.fee = fee_;
        model.name = name_;
        model.tags = tags_;
        model.isDeleted = false;
        _s().activeModels.add(modelId);

        emit ModelRegisteredUpdated(modelOwner_, modelId);
    }

    /// Returns the whole stake; only possible once no active bid serves the model.
    function modelDeregister(bytes32 modelId_) external {
        IModelStorage.Model storage model = _s().models[modelId_];
        if (model.createdAt == 0) revert ModelNotFound();
        _onlyAccount(model.owner, RIGHTS_MODEL);
        if (_s().modelActiveBids[modelId_].length() != 0) revert ModelHasActiveBids();
        if (model.isDeleted) revert ModelHasAlreadyDeregistered();

        uint256 stake = model.stake;
        model.stake = 0;
        model.isDeleted = true;
        _s().activeModels.remove(modelId_);

        if (stake > 0) _s().token.safeTransfer(model.owner, stake);
        emit ModelDeregistered(model.owner, modelId_);
    }

    function getModelId(address account_, bytes32 baseModelId_) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(account_, baseModelId_));
    }

    function getModel(bytes32 modelId_) external view returns (IModelStorage.Model memory) {
        return _s().models[modelId_];
    }

    function getModelIds(uint256 offset_, uint256 limit_) external view returns (bytes32[] memory, uint256) {
        return _s().modelIds.page(offset_, limit_);
    }

    function getActiveModelIds(uint256 offset_, uint256 limit_) external view returns (bytes32[] memory, uint256) {
        return _s().activeModels.page(offset_, limit_);
    }

    function getModelMinimumStake() external view returns (uint256) {
        return _s().modelMinimumStake;
    }

    function getIsModelActive(bytes32 modelId_) external view returns (bool) {
        return _isModelRegistered(modelId_);
    }
}
