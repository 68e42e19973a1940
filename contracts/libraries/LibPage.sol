// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// offset/limit pages of the contract's lists, returned with the list's total length as the live
/// getters do (`(items, total)`).
library LibPage {
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using EnumerableSet for EnumerableSet.AddressSet;

    function _bounds(uint256 total, uint256 offset, uint256 limit) private pure returns (uint256 count) {
        if (offset >= total) return 0;
        uint256 left = total - offset;
        return limit < left ? limit : left;
    }

    function page(
        EnumerableSet.Bytes32Set storage set,
        uint256 offset,
        uint256 limit
    ) internal view returns (bytes32[] memory items, uint256 total) {
        total = set.length();
        items = new bytes32[](_bounds(total, offset, limit));
        for (uint256 i = 0; i < items.length; i++) items[i] = set.at(offset + i);
    }

    function page(
        EnumerableSet.AddressSet storage set,
        uint256 offset,
        uint256 limit
    ) internal view returns (address[] memory items, uint256 total) {
        total = set.length();
        items = new address[](_bounds(total, offset, limit));
        for (uint256 i = 0; i < items.length; i++) items[i] = set.at(offset + i);
    }

    function page(
        bytes32[] storage list,
        uint256 offset,
        uint256 limit
    ) internal view returns (bytes32[] memory items, uint256 total) {
        total = list.length;
        items = new bytes32[](_bounds(total, offset, limit));
        for (uint256 i = 0; i < items.length; i++) items[i] = list[offset + i];
    }
}
