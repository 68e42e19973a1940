// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {LibSD} from "../libraries/LibSD.sol";
import {IBidStorage, IProviderStorage, ISessionStorage, IStatsStorage} from "../storage/Types.sol";
import {SessionEconomics} from "./SessionEconomics.sol";

/// Sessions: a user stakes MOR against a provider's signed approval for one bid, and closes the
/// session with a receipt. Closing settles the provider's pay and the user's stake (see below).
contract SessionRouter is SessionEconomics {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using LibSD for LibSD.SD;

    event SessionOpened(address indexed user, bytes32 indexed sessionId, address indexed provider);
    event SessionClosed(address indexed user, bytes32 indexed sessionId, address indexed provider);
    event UserWithdrawn(address indexed user, uint256 amount);

    error SessionProviderSignatureMismatch();
    error SessionApproveExpired();
    error SessionApprovedForAnotherChainId();
    error SessionDuplicateApproval();
    error SessionReceiptForAnotherChainId();
    error SessionReceiptExpired();
    error SessionTooShort();
    error SessionAlreadyClosed();
    error SessionBidNotFound();
    error SessionPoolIndexOutOfBounds();
    error SessionUserAmountToWithdrawIsZero();
    error SessionMaxDurationTooShort();
    error SessionStakeTooLow();
    error SessionRouterAlreadyInitialized();

    // ---------------------------------------------------------------- configuration (owner)

    /// One-time setup through the router: who funds provider payouts, the longest session and the
    /// emission pools (index 3 is the compute pool; the others make up the MOR supply).
    function __SessionRouter_init(
        address fundingAccount_,
        uint128 maxSessionDuration_,
        ISessionStorage.Pool[] calldata pools_
    ) external onlyOwner {
        if (_s().sessionRouterInitialized) revert SessionRouterAlreadyInitialized();
        _s().sessionRouterInitialized = true;
        _s().fundingAccount = fundingAccount_;
        setMaxSessionDuration(maxSessionDuration_);
        for (uint256 i = 0; i < pools_.length; i++) _s().pools.push(pools_[i]);
    }

    function setPoolConfig(uint256 index_, ISessionStorage.Pool calldata pool_) external onlyOwner {
        if (index_ >= _s().pools.length) revert SessionPoolIndexOutOfBounds();
        _s().pools[index_] = pool_;
    }

    function setMaxSessionDuration(uint128 maxSessionDuration_) public onlyOwner {
        if (maxSessionDuration_ < MIN_SESSION_SECONDS) revert SessionMaxDurationTooShort();
        _s().maxSessionDuration = maxSessionDuration_;
    }

    /// Local extension (the live contract fixes it at init): the account provider pay is pulled
    /// from for sessions not paid directly by the user. It must approve this contract.
    function setFundingAccount(address fundingAccount_) external onlyOwner {
        _s().fundingAccount = fundingAccount_;
    }

    // ---------------------------------------------------------------- open

    /// Opens a session on the bid named in the provider's approval and pulls `amount_` MOR from
    /// the user. The session lasts `stakeToStipend(amount_) / pricePerSecond` seconds (capped by
    /// the max session duration) for every session, direct payment included, as the live
    /// SessionRouter computes it; direct payment must also cover that duration from `amount_`.
    function openSession(
        address user_,
        uint256 amount_,
        bool isDirectPaymentFromUser_,
        bytes calldata approvalEncoded_,
        bytes calldata signature_
    ) external returns (bytes32 sessionId) {
        _onlyAccount(user_, RIGHTS_SESSION);
        bytes32 bidId = _useApproval(approvalEncoded_, signature_);

        uint128 openedAt = uint128(block.timestamp);
        uint256 pricePerSecond = _s().bids[bidId].pricePerSecond;
        uint128 duration = _cappedDuration(_stakeToStipend(amount_, openedAt), pricePerSecond);
        if (duration < MIN_SESSION_SECONDS) revert SessionTooShort();
        if (isDirectPaymentFromUser_ && uint256(duration) * pricePerSecond > amount_) revert SessionStakeTooLow();

        sessionId = _recordSession(user_, bidId, amount_, openedAt + duration, isDirectPaymentFromUser_);
        _s().token.safeTransferFrom(user_, address(this), amount_);
    }

    /// Checks the provider's approval and marks it used; returns the approved bid.
    function _useApproval(bytes calldata approval, bytes calldata signature) private returns (bytes32 bidId) {
        bidId = _readApproval(approval);
        if (!_isBidLive(bidId)) revert SessionBidNotFound();
        if (!_isSignedByProvider(_s().bids[bidId].provider, approval, signature)) revert SessionProviderSignatureMismatch();
        bytes32 approvalKey = keccak256(approval);
        if (_s().isProviderApprovalUsed[approvalKey]) revert SessionDuplicateApproval();
        _s().isProviderApprovalUsed[approvalKey] = true;
    }

    function _recordSession(
        address user,
        bytes32 bidId,
        uint256 amount,
        uint128 endsAt,
        bool isDirectPaymentFromUser
    ) private returns (bytes32 sessionId) {
        IBidStorage.Bid storage bid = _s().bids[bidId];
        sessionId = getSessionId(user, bid.provider, bidId, _s().sessionNonce++);
        ISessionStorage.Session storage session = _s().sessions[sessionId];
        session.user = user;
        session.bidId = bidId;
        session.stake = amount;
        session.openedAt = uint128(block.timestamp);
        session.endsAt = endsAt;
        session.isActive = true;
        session.isDirectPaymentFromUser = isDirectPaymentFromUser;

        _s().userSessions[user].add(sessionId);
        _s().providerSessions[bid.provider].add(sessionId);
        _s().modelSessions[bid.modelId].add(sessionId);
        emit SessionOpened(user, sessionId, bid.provider);
    }

    /// keccak256(user, provider, bidId, nonce), the nonce counting every session ever opened.
    function getSessionId(address user_, address provider_, bytes32 bidId_, uint256 sessionNonce_) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(user_, provider_, bidId_, sessionNonce_));
    }

    /// approval = abi.encode(bytes32 bidId, uint256 chainId, address user, uint128 timestamp).
    /// The timestamp is compared as seconds, exactly as on the live contract. The Go provider
    /// writes milliseconds, which puts `timestamp + 10 min` far in the future, so such an approval
    /// never expires — here as on mainnet, so what works locally works there.
    function _readApproval(bytes calldata approval) private view returns (bytes32 bidId) {
        (bytes32 bidId_, uint256 chainId, , uint128 timestamp) = abi.decode(approval, (bytes32, uint256, address, uint128));
        if (chainId != block.chainid) revert SessionApprovedForAnotherChainId();
        if (block.timestamp > uint256(timestamp) + SIGNATURE_TTL_SECONDS) revert SessionApproveExpired();
        return bidId_;
    }

    // ---------------------------------------------------------------- close

    /// receipt = abi.encode(bytes32 sessionId, uint256 chainId, uint128 timestamp, uint32 tpsScaled1000,
    /// uint32 ttftMs, ...): only the first five words are read, so the Go provider's receipt with
    /// two trailing token counts is accepted. Signed by the provider: the close updates the stats.
    /// Signed by anyone else: the close counts as a dispute (closeoutType 1).
    function closeSession(bytes calldata receiptEncoded_, bytes calldata signature_) external {
        (bytes32 sessionId, uint256 chainId, uint128 timestamp, uint32 tpsScaled1000, uint32 ttftMs) = abi.decode(
            receiptEncoded_,
            (bytes32, uint256, uint128, uint32, uint32)
        );
        if (chainId != block.chainid) revert SessionReceiptForAnotherChainId();
        if (block.timestamp > uint256(timestamp) + SIGNATURE_TTL_SECONDS) revert SessionReceiptExpired();

        ISessionStorage.Session storage session = _s().sessions[sessionId];
        _onlyAccount(session.user, RIGHTS_SESSION);
        if (session.closedAt != 0) revert SessionAlreadyClosed();
        IBidStorage.Bid storage bid = _s().bids[session.bidId];

        session.isActive = false;
        session.closeoutReceipt = receiptEncoded_;
        session.closedAt = uint128(block.timestamp);
        bool signedByProvider = _isSignedByProvider(bid.provider, receiptEncoded_, signature_);

        _settleUser(session, bid);
        _settleProvider(session, bid, signedByProvider);
        _recordStats(session, bid, signedByProvider, tpsScaled1000, ttftMs);

        emit SessionClosed(session.user, sessionId, bid.provider);
    }

    /// The user's side of a close. Direct payment: the provider's pay is deducted from the stake.
    /// Closing late (at or after endsAt) returns the rest at once. Closing early puts on hold, until
    /// the start of the next day, the part of the stake that backs today's usage (the stake worth of
    /// today's stipend, at most the rest of the stake): the daily budget is paid out per day, so
    /// returning it immediately would let a user reuse the same stipend twice in one day.
    function _settleUser(ISessionStorage.Session storage session, IBidStorage.Bid storage bid) private {
        uint256 userStake = session.stake;
        if (session.isDirectPaymentFromUser) userStake -= _providerEarned(session, bid, false);

        uint256 onHold = 0;
        if (session.closedAt < session.endsAt) {
            uint128 dayStart = _startOfTheDay(session.closedAt);
            uint256 usedToday = (session.closedAt - _max(session.openedAt, dayStart)) * bid.pricePerSecond;
            onHold = _min(userStake, _stipendToStake(usedToday, dayStart));
            _s().userStakesOnHold[session.user].push(ISessionStorage.OnHold(onHold, dayStart + 1 days));
        }
        if (userStake > onHold) _s().token.safeTransfer(session.user, userStake - onHold);
    }

    /// The provider's side: paid for the time used, except that a disputed early close holds back
    /// today's share until the next day (then claimable with claimForProvider).
    function _settleProvider(ISessionStorage.Session storage session, IBidStorage.Bid storage bid, bool signedByProvider) private {
        uint256 amount = _providerEarned(session, bid, true);
        if (!signedByProvider && session.closedAt < session.endsAt) amount = _saturatingSub(amount, _providerOnHold(session, bid));
        _payProvider(session, bid, amount);
    }

    /// Stats as the live contract keeps them: the provider-model running means feed the model's
    /// mean of provider means. A dispute only counts towards totalCount.
    function _recordStats(
        ISessionStorage.Session storage session,
        IBidStorage.Bid storage bid,
        bool signedByProvider,
        uint32 tpsScaled1000,
        uint32 ttftMs
    ) private {
        IStatsStorage.ProviderModelStats storage provider = _s().providerModelStats[bid.modelId][bid.provider];
        IStatsStorage.ModelStats storage model = _s().modelStats[bid.modelId];
        provider.totalCount++;

        if (!signedByProvider) {
            session.closeoutType = 1;
            return;
        }
        if (provider.successCount > 0) {
            // This provider's means are already part of the model's means: take them out first.
            model.tpsScaled1000.remove(provider.tpsScaled1000.mean, int64(uint64(model.count - 1)));
            model.ttftMs.remove(provider.ttftMs.mean, int64(uint64(model.count - 1)));
        } else {
            model.count++;
        }
        provider.successCount++;
        provider.totalDuration += uint32(session.closedAt - session.openedAt);
        provider.tpsScaled1000.add(int64(uint64(tpsScaled1000)), int64(uint64(provider.successCount)));
        provider.ttftMs.add(int64(uint64(ttftMs)), int64(uint64(provider.successCount)));

        int64 modelCount = int64(uint64(model.count));
        model.totalDuration.add(int64(uint64(provider.totalDuration)), modelCount);
        model.tpsScaled1000.add(provider.tpsScaled1000.mean, modelCount);
        model.ttftMs.add(provider.ttftMs.mean, modelCount);
    }

    // ---------------------------------------------------------------- provider pay

    /// Pays the provider what it earned on the session and has not been paid yet (a session that
    /// ran to its end without being closed, or today's share held back by a dispute).
    function claimForProvider(bytes32 sessionId_) external {
        ISessionStorage.Session storage session = _s().sessions[sessionId_];
        IBidStorage.Bid storage bid = _s().bids[session.bidId];
        _onlyAccount(bid.provider, RIGHTS_SESSION);
        _payProvider(session, bid, _saturatingSub(_providerEarned(session, bid, true), _providerOnHold(session, bid)));
    }

    /// (min(closedAt, endsAt) - openedAt) * pricePerSecond, once that moment has passed.
    function _providerEarned(
        ISessionStorage.Session storage session,
        IBidStorage.Bid storage bid,
        bool minusWithdrawn
    ) private view returns (uint256) {
        uint256 end = session.closedAt == 0 ? session.endsAt : _min(session.closedAt, session.endsAt);
        if (block.timestamp < end) return 0;
        uint256 earned = (end - session.openedAt) * bid.pricePerSecond;
        return minusWithdrawn ? earned - session.providerWithdrawnAmount : earned;
    }

    /// Today's part of a session closed today; nothing once the day is over.
    function _providerOnHold(ISessionStorage.Session storage session, IBidStorage.Bid storage bid) private view returns (uint256) {
        uint128 dayStart = _startOfTheDay(session.closedAt);
        if (block.timestamp >= dayStart + 1 days) return 0;
        return (session.closedAt - _max(dayStart, session.openedAt)) * bid.pricePerSecond;
    }

    /// Pays at most `provider.stake - limitPeriodEarned` per 365-day limiter period: the stake caps
    /// a provider's yearly earnings. Direct payment comes from the user's stake held here;
    /// otherwise from the funding account (compute emissions).
    function _payProvider(ISessionStorage.Session storage session, IBidStorage.Bid storage bid, uint256 amount) private {
        IProviderStorage.Provider storage provider = _s().providers[bid.provider];
        if (block.timestamp > provider.limitPeriodEnd) {
            provider.limitPeriodEnd = uint128(block.timestamp) + PROVIDER_REWARD_LIMITER_PERIOD;
            provider.limitPeriodEarned = 0;
        }
        amount = _min(amount, _saturatingSub(provider.stake, provider.limitPeriodEarned));
        if (amount == 0) return;

        session.providerWithdrawnAmount += amount;
        provider.limitPeriodEarned += amount;
        _s().providersTotalClaimed += amount;

        if (session.isDirectPaymentFromUser) {
            _s().token.safeTransfer(bid.provider, amount);
        } else {
            _s().token.safeTransferFrom(_s().fundingAccount, bid.provider, amount);
        }
    }

    // ---------------------------------------------------------------- user stakes on hold

    /// Withdraws up to `iterations_` released on-hold entries of the user.
    function withdrawUserStakes(address user_, uint8 iterations_) external {
        _onlyAccount(user_, RIGHTS_SESSION);
        ISessionStorage.OnHold[] storage entries = _s().userStakesOnHold[user_];

        uint256 amount = 0;
        uint256 removed = 0;
        // From the end, so swap-and-pop never skips an entry not yet visited.
        for (uint256 i = entries.length; i > 0 && removed < iterations_; i--) {
            if (block.timestamp < entries[i - 1].releaseAt) continue;
            amount += entries[i - 1].amount;
            entries[i - 1] = entries[entries.length - 1];
            entries.pop();
            removed++;
        }
        if (amount == 0) revert SessionUserAmountToWithdrawIsZero();

        _s().token.safeTransfer(user_, amount);
        emit UserWithdrawn(user_, amount);
    }

    // ---------------------------------------------------------------- signatures

    /// EIP-191 personal_sign over keccak256(payload) by the provider, by a delegatee holding the
    /// provider's PROVIDER rights, or by owner() of a contract provider (as the live contract).
    /// An unusable signature simply is not the provider's.
    function _isSignedByProvider(address provider, bytes calldata payload, bytes calldata signature) private view returns (bool) {
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(keccak256(payload));
        (address signer, ECDSA.RecoverError recoverError, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (recoverError != ECDSA.RecoverError.NoError) return false;
        if (signer == provider || _isRightsDelegated(signer, provider, RIGHTS_PROVIDER)) return true;
        return _contractOwner(provider) == signer;
    }

    /// owner() of a contract, or zero when it has none: a failing call, a reply that is not exactly
    /// one word or not an address counts as no owner. (The live contract reverts on a non-address
    /// word, which would leave such a provider's sessions unclosable; here it is a dispute.) Only
    /// one word of the reply is copied, so a huge reply cannot exhaust the close's gas.
    function _contractOwner(address account) private view returns (address) {
        if (account.code.length == 0) return address(0);
        bytes4 selector = bytes4(keccak256("owner()"));
        bool ok;
        uint256 size;
        uint256 word;
        assembly ("memory-safe") {
            mstore(0, selector)
            ok := staticcall(gas(), account, 0, 4, 0, 32)
            size := returndatasize()
            word := mload(0)
        }
        if (!ok || size != 32 || word > type(uint160).max) return address(0);
        return address(uint160(word));
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint128 a, uint128 b) private pure returns (uint128) {
        return a > b ? a : b;
    }

    function _saturatingSub(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : 0;
    }
}
