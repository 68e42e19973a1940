// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// MOR for the local chain: a plain 18-decimal ERC-20 the deployer can mint. It keeps
/// increaseAllowance / decreaseAllowance (dropped by OpenZeppelin 5) because the Go node and the
/// live MOR token use them.
contract MorToken is ERC20, Ownable {
    constructor(address owner_) ERC20("Morpheus", "MOR") Ownable(owner_) {}

    function mint(address to_, uint256 amount_) external onlyOwner {
        _mint(to_, amount_);
    }

    function increaseAllowance(address spender_, uint256 addedValue_) external returns (bool) {
        _approve(msg.sender, spender_, allowance(msg.sender, spender_) + addedValue_);
        return true;
    }

    function decreaseAllowance(address spender_, uint256 subtractedValue_) external returns (bool) {
        uint256 current = allowance(msg.sender, spender_);
        if (current < subtractedValue_) revert ERC20InsufficientAllowance(spender_, current, subtractedValue_);
        _approve(msg.sender, spender_, current - subtractedValue_);
        return true;
    }
}
