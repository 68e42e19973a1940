// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Example of a provider that is a contract, as upstream's ProvidersDelegate is used: the contract
/// is the registered provider (it holds the stake, posts the bids and is paid), and its owner()
/// signs the session approvals and receipts, which the Compute Node accepts as the provider's.
/// The owner drives it by forwarding calls (MOR approve, providerRegister, postModelBid, ...).
contract ContractProvider {
    address public owner;

    error ContractProviderNotOwner(address account);

    constructor(address owner_) {
        owner = owner_;
    }

    /// Calls `target_` with `data_` as this contract; a revert is passed on unchanged, so the
    /// caller decodes the target's own custom error.
    function execute(address target_, bytes calldata data_) external returns (bytes memory result) {
        if (msg.sender != owner) revert ContractProviderNotOwner(msg.sender);
        bool ok;
        (ok, result) = target_.call(data_);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
