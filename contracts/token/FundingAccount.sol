// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// The local stand-in for the compute-emissions treasury: holds MOR and lets the Compute Node
/// pull provider pay from it (the live funding account is a treasury with an allowance too).
/// A contract rather than a dev account, so paying providers never moves a dev wallet's balance.
contract FundingAccount {
    constructor(IERC20 token_, address computeNode_) {
        token_.approve(computeNode_, type(uint256).max);
    }
}
