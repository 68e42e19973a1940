// SessionRouter + SessionViews against a real anvil: configuration, stipend economics, openSession
// and its checks, closeSession settlement (hold, late close, dispute, stats), provider pay and the
// yearly limiter. Time-of-day sensitive tests first jump to a known hour of the next day.
import { encodePacked, erc20Abi, keccak256, parseEther, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, increaseTime, mineAt, setNextBlockTimestamp } from "@/lib/chain/anvil";
import { computeNodeAbi } from "@/lib/chain/contracts.generated";
import { localMarketplaceConfig } from "@/lib/chain/deploy";
import { getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import {
  claimForProvider,
  closeSession,
  deleteBid,
  ensureMorAllowance,
  minedRevertReason,
  openSession,
  postBid,
  registerModel,
  registerProvider,
  withdrawUserStakes,
  writeComputeNode,
} from "@/lib/chain/writes";
import { approvalFor, chainNow, DAY, expectRevert, goToNextDay, morBalance, read, receiptFor, startMarket, type Market } from "./fixture";

let market: Market;
const PROVIDER = 2;
const SMALL_PROVIDER = 8;
const USER = 6;
const OTHER_USER = 7;
const provider = devAccounts[PROVIDER];
const user = devAccounts[USER];
const price = 10n ** 14n; // 0.36 MOR per hour
let modelId: Hex;
let bidId: Hex;

beforeAll(async () => {
  market = await startMarket();
  await registerProvider(market.ctx, market.wallets[PROVIDER], { endpoint: "127.0.0.1:3333", stake: parseEther("10000") });
  ({ modelId } = await registerModel(market.ctx, market.wallets[3], { name: "session-model", tags: ["chat"], stake: parseEther("0.1") }));
  ({ bidId } = await postBid(market.ctx, market.wallets[PROVIDER], { modelId, pricePerSecond: price }));
});
afterAll(async () => {
  await market?.stop();
});

/** The stake that buys `seconds` of the session bid now, in either payment mode (as the live contract sizes sessions). */
async function stakeFor(seconds: bigint, pricePerSecond = price): Promise<bigint> {
  return stakeForDuration(await getSessionEconomics(market.ctx), pricePerSecond, seconds);
}

/** Opens a session of dev account `userIndex` on `bid`, approved by the provider. */
async function open(userIndex: number, amount: bigint, { direct = true, bid = bidId, signer = PROVIDER } = {}) {
  const approval = await approvalFor(market, { bidId: bid, signer, user: userIndex });
  return openSession(market.ctx, market.wallets[userIndex], { amount, ...approval, directPayment: direct });
}

/** Withdraws whatever on-hold stake of the user is already released, so a test starts from none. */
async function drainReleasedStakes(userIndex: number) {
  const [available] = await read(market, "getUserStakesOnHold", [devAccounts[userIndex].address, 255]);
  if (available > 0n) await withdrawUserStakes(market.ctx, market.wallets[userIndex]);
}

async function close(userIndex: number, sessionId: Hex, signer = PROVIDER, stats: { tpsScaled1000?: number; ttftMs?: number } = {}) {
  const receipt = await receiptFor(market, { sessionId, signer, ...stats });
  return closeSession(market.ctx, market.wallets[userIndex], receipt);
}

// The pool formula, independently: interval k pays initialReward - k * rewardDecrease, pro rata.
function emitted(pool: (typeof localMarketplaceConfig.pools)[number], until: bigint): bigint {
  if (until <= pool.payoutStart) return 0n;
  const elapsed = until - pool.payoutStart;
  let total = 0n;
  for (let k = 0n; k * pool.decreaseInterval < elapsed; k++) {
    const reward = pool.initialReward - k * pool.rewardDecrease;
    if (reward <= 0n) break;
    const part = elapsed - k * pool.decreaseInterval >= pool.decreaseInterval ? pool.decreaseInterval : elapsed - k * pool.decreaseInterval;
    total += (reward * part) / pool.decreaseInterval;
  }
  return total;
}

describe("SessionRouter configuration", () => {
  it("MIN_SESSION_DURATION / SIGNATURE_TTL / COMPUTE_POOL_INDEX: the live constants", async () => {
    expect(await read(market, "MIN_SESSION_DURATION", [])).toBe(300);
    expect(await read(market, "SIGNATURE_TTL", [])).toBe(600);
    expect(await read(market, "COMPUTE_POOL_INDEX", [])).toBe(3n);
  });

  it("__SessionRouter_init: runs once (SessionRouterAlreadyInitialized)", async () => {
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "__SessionRouter_init", [user.address, 1000n, []]), "SessionRouterAlreadyInitialized");
  });

  it("getMaxSessionDuration / setMaxSessionDuration: 7 days at deploy, owner-settable, at least 5 minutes", async () => {
    expect(await read(market, "getMaxSessionDuration", [])).toBe(7n * DAY);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "setMaxSessionDuration", [299n]), "SessionMaxDurationTooShort");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "setMaxSessionDuration", [DAY]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "setMaxSessionDuration", [DAY]);
    expect(await read(market, "getMaxSessionDuration", [])).toBe(DAY);
    await writeComputeNode(market.ctx, market.wallets[0], "setMaxSessionDuration", [7n * DAY]);
  });

  it("getPools / getPool / setPoolConfig: the configured pools, owner-settable, index checked", async () => {
    const pools = await read(market, "getPools", []);
    expect(pools).toEqual(localMarketplaceConfig.pools.map((p) => ({ ...p })));
    expect(await read(market, "getPool", [3n])).toEqual({ ...localMarketplaceConfig.pools[3] });
    const changed = { ...localMarketplaceConfig.pools[3], initialReward: parseEther("1") };
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "setPoolConfig", [5n, changed]), "SessionPoolIndexOutOfBounds");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "setPoolConfig", [3n, changed]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "setPoolConfig", [3n, changed]);
    expect(await read(market, "getPool", [3n])).toEqual(changed);
    await writeComputeNode(market.ctx, market.wallets[0], "setPoolConfig", [3n, { ...localMarketplaceConfig.pools[3] }]);
  });

  it("getFundingAccount / setFundingAccount: the deployed funding account, owner-settable", async () => {
    expect(await read(market, "getFundingAccount", [])).toBe(market.deployed.fundingAccount);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "setFundingAccount", [user.address]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "setFundingAccount", [user.address]);
    expect(await read(market, "getFundingAccount", [])).toBe(user.address);
    await writeComputeNode(market.ctx, market.wallets[0], "setFundingAccount", [market.deployed.fundingAccount]);
  });
});

describe("SessionViews economics", () => {
  it("startOfTheDay: midnight UTC of the timestamp", async () => {
    expect(await read(market, "startOfTheDay", [1_700_000_000n])).toBe(1_700_000_000n - (1_700_000_000n % DAY));
    expect(await read(market, "startOfTheDay", [2n * DAY])).toBe(2n * DAY);
  });

  it("totalMORSupply / getComputeBalance / getTodaysBudget / getProvidersTotalClaimed: the pools' emissions until the start of the day", async () => {
    const now = await chainNow(market);
    const dayStart = now - (now % DAY);
    const pools = localMarketplaceConfig.pools;
    const computeBalance = emitted(pools[3], dayStart);
    const supply = emitted(pools[0], dayStart) + emitted(pools[1], dayStart) + emitted(pools[2], dayStart) + emitted(pools[4], dayStart);
    expect(await read(market, "getProvidersTotalClaimed", [])).toBe(0n);
    expect(await read(market, "getComputeBalance", [now])).toBe(computeBalance);
    expect(await read(market, "totalMORSupply", [now])).toBe(supply);
    expect(await read(market, "getTodaysBudget", [now])).toBe(computeBalance / 100n);
    // The same figures anywhere in the day; none before the pools start paying.
    expect(await read(market, "getComputeBalance", [dayStart + DAY - 1n])).toBe(computeBalance);
    expect(await read(market, "totalMORSupply", [pools[0].payoutStart - 1n])).toBe(0n);
  });

  it("stakeToStipend / stipendToStake: stake * computeBalance / (supply * 100), and back", async () => {
    const now = await chainNow(market);
    const { computeBalance, totalMORSupply } = await getSessionEconomics(market.ctx, now);
    const stake = parseEther("100");
    const stipend = await read(market, "stakeToStipend", [stake, now]);
    expect(stipend).toBe((stake * computeBalance) / (totalMORSupply * 100n));
    expect(await read(market, "stipendToStake", [stipend, now])).toBe((stipend * totalMORSupply * 100n) / computeBalance);
    expect(await read(market, "stipendToStake", [stipend, now])).toBeLessThanOrEqual(stake);
    expect(stake - (await read(market, "stipendToStake", [stipend, now]))).toBeLessThan(parseEther("0.001"));
  });

  it("getSessionEnd: openedAt + stakeToStipend / pricePerSecond, capped by the max session duration", async () => {
    const now = await chainNow(market);
    const stake = parseEther("100");
    const stipend = await read(market, "stakeToStipend", [stake, now]);
    expect(await read(market, "getSessionEnd", [stake, price, now])).toBe(now + stipend / price);
    expect(await read(market, "getSessionEnd", [parseEther("1000000"), price, now])).toBe(now + 7n * DAY);
  });
});

describe("SessionRouter openSession", () => {
  let firstSession: Hex;
  let firstApproval: { approval: Hex; approvalSig: Hex };

  it("openSession / getSession: direct payment pulls the stake and lasts stakeToStipend(amount) / pricePerSecond", async () => {
    await goToNextDay(market, 2n * 3600n);
    const amount = await stakeFor(3600n);
    const before = await morBalance(market, user.address);
    firstApproval = await approvalFor(market, { bidId, signer: PROVIDER, user: USER });
    const opened = await openSession(market.ctx, market.wallets[USER], { amount, ...firstApproval, directPayment: true });
    firstSession = opened.sessionId;
    expect(opened.provider).toBe(provider.address);
    expect(opened.endsAt - opened.openedAt).toBe(3600n);
    expect(await morBalance(market, user.address)).toBe(before - amount);
    expect(await read(market, "getSession", [firstSession])).toMatchObject({
      user: user.address,
      bidId,
      stake: amount,
      closeoutType: 0n,
      providerWithdrawnAmount: 0n,
      openedAt: opened.openedAt,
      endsAt: opened.endsAt,
      closedAt: 0n,
      isActive: true,
      isDirectPaymentFromUser: true,
    });
  });

  it("getSessionId / getUserSessions / getProviderSessions / getModelSessions / getTotalSessions / getIsProviderApprovalUsed", async () => {
    expect(firstSession).toBe(keccak256(encodePacked(["address", "address", "bytes32", "uint256"], [user.address, provider.address, bidId, 0n])));
    expect(await read(market, "getSessionId", [user.address, provider.address, bidId, 0n])).toBe(firstSession);
    expect(await read(market, "getUserSessions", [user.address, 0n, 10n])).toEqual([[firstSession], 1n]);
    expect(await read(market, "getProviderSessions", [provider.address, 0n, 10n])).toEqual([[firstSession], 1n]);
    expect(await read(market, "getModelSessions", [modelId, 0n, 10n])).toEqual([[firstSession], 1n]);
    expect(await read(market, "getTotalSessions", [provider.address])).toBe(1n);
    expect(await read(market, "getIsProviderApprovalUsed", [firstApproval.approval])).toBe(true);
  });

  it("openSession: a reused approval reverts with SessionDuplicateApproval", async () => {
    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(3600n), ...firstApproval, directPayment: true }), "SessionDuplicateApproval");
  });

  it("openSession: not paid directly, the stipend of the stake sets the duration", async () => {
    const economics = await getSessionEconomics(market.ctx);
    const amount = stakeForDuration(economics, price, 1800n);
    const opened = await open(USER, amount, { direct: false });
    const stipend = await read(market, "stakeToStipend", [amount, opened.openedAt]);
    expect(opened.endsAt - opened.openedAt).toBe(stipend / price);
    expect(opened.endsAt - opened.openedAt).toBeGreaterThanOrEqual(1800n);
    expect(opened.endsAt - opened.openedAt).toBeLessThan(1810n);
  });

  it("openSession: both payment modes last as long as stakeForDuration asked; the Go consumer's amount = cost buys a fraction of it", async () => {
    const amount = await stakeFor(3600n);
    const direct = await open(USER, amount, { direct: true });
    const pooled = await open(USER, amount, { direct: false });
    for (const opened of [direct, pooled]) {
      expect(opened.endsAt - opened.openedAt).toBeGreaterThanOrEqual(3600n);
      expect(opened.endsAt - opened.openedAt).toBeLessThan(3610n);
    }
    // The Go consumer stakes the bare cost for a direct-payment hour: a few seconds, so it reverts.
    const now = await chainNow(market);
    expect((await read(market, "getSessionEnd", [price * 3600n, price, now])) - now).toBeLessThan(60n);
    await expectRevert(open(USER, price * 3600n, { direct: true }), "SessionTooShort");
  });

  it("openSession: direct payment whose stake cannot cover its duration reverts with SessionStakeTooLow", async () => {
    // Only reachable when the stipend exceeds the stake: the other pools emitting next to nothing.
    const pools = await read(market, "getPools", []);
    const tiny = { initialReward: 1n, rewardDecrease: 0n, payoutStart: pools[0].payoutStart, decreaseInterval: pools[0].decreaseInterval };
    try {
      for (const index of [0n, 1n, 2n, 4n]) await writeComputeNode(market.ctx, market.wallets[0], "setPoolConfig", [index, tiny]);
      const stake = price * 600n;
      expect(await read(market, "stakeToStipend", [stake, await chainNow(market)])).toBeGreaterThan(stake);
      await expectRevert(open(USER, stake, { direct: true }), "SessionStakeTooLow");
      await open(USER, stake, { direct: false }); // the pool pays: no such check
    } finally {
      for (const [index, pool] of localMarketplaceConfig.pools.entries()) {
        await writeComputeNode(market.ctx, market.wallets[0], "setPoolConfig", [BigInt(index), { ...pool }]);
      }
    }
  });

  it("openSession: the max session duration caps the end", async () => {
    const opened = await open(USER, await stakeFor(8n * DAY));
    expect(opened.endsAt - opened.openedAt).toBe(7n * DAY);
  });

  it("openSession: under 5 minutes reverts with SessionTooShort", async () => {
    await expectRevert(open(USER, await stakeFor(299n)), "SessionTooShort");
    await expectRevert(open(USER, parseEther("0.0001"), { direct: false }), "SessionTooShort");
  });

  it("openSession: an expired approval (older than 10 minutes, in seconds) reverts with SessionApproveExpired", async () => {
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: USER, timestamp: (await chainNow(market)) - 601n });
    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(600n), ...approval, directPayment: true }), "SessionApproveExpired");
  });

  it("openSession: a millisecond timestamp (as the Go provider writes) never expires, as on the live contract", async () => {
    const hourAgoMs = ((await chainNow(market)) - 3600n) * 1000n;
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: USER, timestamp: hourAgoMs });
    const opened = await openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(600n), ...approval, directPayment: true });
    expect(opened.endsAt - opened.openedAt).toBe(600n);
  });

  it("openSession: an approval for another chain id reverts with SessionApprovedForAnotherChainId", async () => {
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: USER, chainId: 8453n });
    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(600n), ...approval, directPayment: true }), "SessionApprovedForAnotherChainId");
  });

  it("openSession: an approval signed by someone else than the bid's provider reverts with SessionProviderSignatureMismatch", async () => {
    await expectRevert(open(USER, await stakeFor(600n), { signer: USER }), "SessionProviderSignatureMismatch");
    await expectRevert(open(USER, await stakeFor(600n), { signer: 4 }), "SessionProviderSignatureMismatch");
  });

  it("openSession: a deleted (inactive) bid reverts with SessionBidNotFound", async () => {
    const { modelId: other } = await registerModel(market.ctx, market.wallets[3], { name: "short-lived", tags: [], stake: parseEther("0.1") });
    const { bidId: deleted } = await postBid(market.ctx, market.wallets[PROVIDER], { modelId: other, pricePerSecond: price });
    await deleteBid(market.ctx, market.wallets[PROVIDER], deleted);
    await expectRevert(open(USER, await stakeFor(600n), { bid: deleted }), "SessionBidNotFound");
  });

  it("openSession: a stake above the user's balance surfaces the token's ERC20InsufficientBalance", async () => {
    const balance = await morBalance(market, user.address);
    await expectRevert(open(USER, balance + 1n), "ERC20InsufficientBalance");
  });

  it("a transaction that reverts once mined (sent past the estimate) has its reason replayed: another instance spending the allowance is a retryable ERC20InsufficientAllowance", async () => {
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: OTHER_USER });
    const amount = await stakeFor(600n);
    // No allowance, and a fixed gas limit so nothing estimates (and refuses) it before it is mined.
    const hash = await market.wallets[OTHER_USER].writeContract({
      address: market.ctx.diamond,
      abi: computeNodeAbi,
      functionName: "openSession",
      args: [devAccounts[OTHER_USER].address, amount, false, approval.approval, approval.approvalSig],
      gas: 800_000n,
      account: market.wallets[OTHER_USER].account!,
      chain: market.wallets[OTHER_USER].chain,
    });
    const receipt = await market.client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("reverted");
    expect(await minedRevertReason(market.ctx, hash, receipt.blockNumber)).toMatchObject({ errorName: "ERC20InsufficientAllowance" });
  });

  it("ensureMorAllowance: approves exactly what is missing, and nothing when the allowance suffices", async () => {
    const allowance = () => market.client.readContract({ address: market.ctx.mor, abi: erc20Abi, functionName: "allowance", args: [devAccounts[9].address, market.ctx.diamond] });
    expect(await ensureMorAllowance(market.ctx, market.wallets[9], parseEther("5"))).toMatch(/^0x/);
    expect(await allowance()).toBe(parseEther("5"));
    expect(await ensureMorAllowance(market.ctx, market.wallets[9], parseEther("3"))).toBeUndefined();
    expect(await allowance()).toBe(parseEther("5"));
  });

  it("two instances sharing a wallet: with exact approvals one's openSession spends the allowance the other checked; approving several stakes at once leaves it enough", async () => {
    const SHARED = 4; // the wallet of two gateway instances
    const wallet = market.wallets[SHARED];
    const amount = await stakeFor(600n);
    const approvals = () => Promise.all([0, 1].map(() => approvalFor(market, { bidId, signer: PROVIDER, user: SHARED })));
    const openWith = (a: { approval: Hex; approvalSig: Hex }) =>
      writeComputeNode(market.ctx, wallet, "openSession", [devAccounts[SHARED].address, amount, false, a.approval, a.approvalSig]);
    // openSession's two steps, interleaved as two instances run them: A checks (and approves), B
    // checks (enough: A's approval), A opens, B opens.
    const [a1, b1] = await approvals();
    expect(await ensureMorAllowance(market.ctx, wallet, amount)).toMatch(/^0x/);
    expect(await ensureMorAllowance(market.ctx, wallet, amount)).toBeUndefined();
    await openWith(a1);
    await expectRevert(openWith(b1), "ERC20InsufficientAllowance");

    const [a2, b2] = await approvals();
    expect(await ensureMorAllowance(market.ctx, wallet, amount, { approveUpTo: 16n * amount })).toMatch(/^0x/);
    expect(await ensureMorAllowance(market.ctx, wallet, amount, { approveUpTo: 16n * amount })).toBeUndefined();
    await openWith(a2);
    await openWith(b2);
    const allowance = await market.client.readContract({ address: market.ctx.mor, abi: erc20Abi, functionName: "allowance", args: [devAccounts[SHARED].address, market.ctx.diamond] });
    expect(allowance).toBe(14n * amount);
  });

  it("openSession: only for the sender's own account (InsufficientRightsForOperation)", async () => {
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: OTHER_USER });
    await expectRevert(
      writeComputeNode(market.ctx, market.wallets[USER], "openSession", [devAccounts[OTHER_USER].address, await stakeFor(600n), true, approval.approval, approval.approvalSig]),
      "InsufficientRightsForOperation",
    );
  });
});

describe("SessionRouter closeSession", () => {
  it("closeSession: someone else's session reverts with InsufficientRightsForOperation", async () => {
    const { sessionId } = await open(USER, await stakeFor(600n));
    await expectRevert(close(OTHER_USER, sessionId), "InsufficientRightsForOperation");
    await close(USER, sessionId);
  });

  it("closeSession: a receipt for another chain id / older than 10 minutes reverts", async () => {
    const { sessionId } = await open(USER, await stakeFor(600n));
    const otherChain = await receiptFor(market, { sessionId, signer: PROVIDER, chainId: 1n });
    await expectRevert(closeSession(market.ctx, market.wallets[USER], otherChain), "SessionReceiptForAnotherChainId");
    const expired = await receiptFor(market, { sessionId, signer: PROVIDER, timestamp: (await chainNow(market)) - 601n });
    await expectRevert(closeSession(market.ctx, market.wallets[USER], expired), "SessionReceiptExpired");
    await close(USER, sessionId);
    await expectRevert(close(USER, sessionId), "SessionAlreadyClosed");
  });

  it("closeSession: early, provider-signed (7-field receipt): provider paid from the stake, the rest on hold until the next day, stats updated", async () => {
    await goToNextDay(market, 3n * 3600n);
    await drainReleasedStakes(USER);
    const amount = await stakeFor(3600n);
    const { sessionId, openedAt } = await open(USER, amount);
    await increaseTime(market.anvil.rpcUrl, 600);
    const providerBefore = await morBalance(market, provider.address);
    const userBefore = await morBalance(market, user.address);
    const statsBefore = await read(market, "getProviderModelStats", [modelId, provider.address]);
    const receipt = await receiptFor(market, { sessionId, signer: PROVIDER, tpsScaled1000: 40_000, ttftMs: 300 });
    await closeSession(market.ctx, market.wallets[USER], receipt);

    const session = await read(market, "getSession", [sessionId]);
    const used = session.closedAt - openedAt;
    expect(session).toMatchObject({ isActive: false, closeoutType: 0n, closeoutReceipt: receipt.report, providerWithdrawnAmount: used * price });
    expect(await morBalance(market, provider.address)).toBe(providerBefore + used * price);
    // The unused part: what backs today's usage goes on hold until the next day, the rest comes back now.
    const [available, onHold] = await read(market, "getUserStakesOnHold", [user.address, 255]);
    expect(available).toBe(0n);
    expect(onHold).toBeGreaterThan(0n);
    expect((await morBalance(market, user.address)) - userBefore + onHold).toBe(amount - used * price);

    const stats = await read(market, "getProviderModelStats", [modelId, provider.address]);
    expect(stats.successCount).toBe(statsBefore.successCount + 1);
    expect(stats.totalCount).toBe(statsBefore.totalCount + 1);
    expect(stats.totalDuration).toBe(statsBefore.totalDuration + Number(used));
  });

  it("withdrawUserStakes / getUserStakesOnHold: nothing before the next day, everything after it", async () => {
    const [, hold] = await read(market, "getUserStakesOnHold", [user.address, 255]);
    await expectRevert(withdrawUserStakes(market.ctx, market.wallets[USER]), "SessionUserAmountToWithdrawIsZero");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[OTHER_USER], "withdrawUserStakes", [user.address, 10]), "InsufficientRightsForOperation");

    await goToNextDay(market, 60n);
    const [available] = await read(market, "getUserStakesOnHold", [user.address, 255]);
    expect(available).toBeGreaterThanOrEqual(hold);
    const before = await morBalance(market, user.address);
    const { amount } = await withdrawUserStakes(market.ctx, market.wallets[USER]);
    expect(amount).toBe(available);
    expect(await morBalance(market, user.address)).toBe(before + available);
    expect(await read(market, "getUserStakesOnHold", [user.address, 255])).toEqual([0n, 0n]);
  });

  it("closeSession: late (not direct payment) returns the whole stake at once; the provider is paid from the funding account", async () => {
    const economics = await getSessionEconomics(market.ctx);
    const amount = stakeForDuration(economics, price, 600n);
    const { sessionId, openedAt, endsAt } = await open(USER, amount, { direct: false });
    await increaseTime(market.anvil.rpcUrl, 900);

    const funding = market.deployed.fundingAccount;
    const [fundingBefore, providerBefore, userBefore] = await Promise.all([
      morBalance(market, funding),
      morBalance(market, provider.address),
      morBalance(market, user.address),
    ]);
    const claimedBefore = await read(market, "getProvidersTotalClaimed", []);
    const onHoldBefore = await read(market, "getUserStakesOnHold", [user.address, 255]);
    const now = await chainNow(market);
    const [supplyBefore, balanceBefore] = [await read(market, "totalMORSupply", [now]), await read(market, "getComputeBalance", [now])];

    await close(USER, sessionId);
    const pay = (endsAt - openedAt) * price;
    expect(await morBalance(market, user.address)).toBe(userBefore + amount);
    expect(await morBalance(market, provider.address)).toBe(providerBefore + pay);
    expect(await morBalance(market, funding)).toBe(fundingBefore - pay);
    expect(await read(market, "getUserStakesOnHold", [user.address, 255])).toEqual(onHoldBefore);
    // Claims move MOR from the compute balance into the supply.
    expect(await read(market, "getProvidersTotalClaimed", [])).toBe(claimedBefore + pay);
    expect(await read(market, "totalMORSupply", [now])).toBe(supplyBefore + pay);
    expect(await read(market, "getComputeBalance", [now])).toBe(balanceBefore - pay);
  });

  it("closeSession: early, not direct payment: the stake worth today's usage goes on hold, the rest comes back", async () => {
    const economics = await getSessionEconomics(market.ctx);
    const amount = stakeForDuration(economics, price, 3600n);
    const { sessionId, openedAt } = await open(USER, amount, { direct: false });
    await increaseTime(market.anvil.rpcUrl, 600);
    // Close at a known second, and price the hold before the close moves the claimed total.
    const closeAt = (await chainNow(market)) + 5n;
    const onHold = await read(market, "stipendToStake", [(closeAt - openedAt) * price, closeAt - (closeAt % DAY)]);
    const [, holdBefore] = await read(market, "getUserStakesOnHold", [user.address, 255]);
    const userBefore = await morBalance(market, user.address);
    const receipt = await receiptFor(market, { sessionId, signer: PROVIDER });
    await setNextBlockTimestamp(market.anvil.rpcUrl, closeAt);
    await closeSession(market.ctx, market.wallets[USER], receipt);
    expect((await read(market, "getSession", [sessionId])).closedAt).toBe(closeAt);
    expect(await read(market, "getUserStakesOnHold", [user.address, 255])).toEqual([0n, holdBefore + onHold]);
    expect(await morBalance(market, user.address)).toBe(userBefore + amount - onHold);
  });

  it("getProviderModelStats / getModelStats: running means of provider-signed receipts", async () => {
    // A fresh provider so the expected figures are simple.
    await registerProvider(market.ctx, market.wallets[5], { endpoint: "127.0.0.1:4444", stake: parseEther("100") });
    const { modelId: statsModel } = await registerModel(market.ctx, market.wallets[3], { name: "stats-model", tags: [], stake: parseEther("0.1") });
    const { bidId: statsBid } = await postBid(market.ctx, market.wallets[5], { modelId: statsModel, pricePerSecond: price });
    for (const [tps, ttft] of [
      [20_000, 500],
      [30_000, 300],
    ]) {
      const { sessionId } = await open(USER, await stakeFor(600n), { bid: statsBid, signer: 5 });
      await close(USER, sessionId, 5, { tpsScaled1000: tps, ttftMs: ttft });
    }
    const stats = await read(market, "getProviderModelStats", [statsModel, devAccounts[5].address]);
    // mean 20000 → 25000; sqSum 0 → (30000 - 25000) * (30000 - 20000) = 5e7
    expect(stats).toMatchObject({ tpsScaled1000: { mean: 25_000n, sqSum: 50_000_000n }, ttftMs: { mean: 400n, sqSum: 20_000n }, successCount: 2, totalCount: 2 });
    const model = await read(market, "getModelStats", [statsModel]);
    expect(model.count).toBe(1);
    expect(model.tpsScaled1000.mean).toBe(25_000n);
    expect(model.ttftMs.mean).toBe(400n);
  });

  it("closeSession: a receipt signed by the user is a dispute: closeoutType 1, no stats, today's pay held for claimForProvider", async () => {
    await goToNextDay(market, 4n * 3600n);
    const { sessionId, openedAt } = await open(USER, await stakeFor(3600n));
    await increaseTime(market.anvil.rpcUrl, 1200);
    const statsBefore = await read(market, "getProviderModelStats", [modelId, provider.address]);
    const providerBefore = await morBalance(market, provider.address);
    await close(USER, sessionId, USER);

    const session = await read(market, "getSession", [sessionId]);
    expect(session.closeoutType).toBe(1n);
    expect(session.providerWithdrawnAmount).toBe(0n);
    expect(await morBalance(market, provider.address)).toBe(providerBefore);
    const stats = await read(market, "getProviderModelStats", [modelId, provider.address]);
    expect(stats).toMatchObject({ successCount: statsBefore.successCount, totalCount: statsBefore.totalCount + 1, tpsScaled1000: statsBefore.tpsScaled1000 });

    // claimForProvider: nothing today, the whole share once the day is over; only the provider may claim.
    await expectRevert(claimForProvider(market.ctx, market.wallets[USER], sessionId), "InsufficientRightsForOperation");
    expect((await claimForProvider(market.ctx, market.wallets[PROVIDER], sessionId)).amount).toBe(0n);
    await goToNextDay(market, 60n);
    const { amount } = await claimForProvider(market.ctx, market.wallets[PROVIDER], sessionId);
    expect(amount).toBe((session.closedAt - openedAt) * price);
    expect(await morBalance(market, provider.address)).toBe(providerBefore + amount);
    expect((await claimForProvider(market.ctx, market.wallets[PROVIDER], sessionId)).amount).toBe(0n);
  });

  it("claimForProvider: a session that ran to its end unclosed pays the provider in full; the late close then refunds the rest", async () => {
    const amount = await stakeFor(900n);
    const { sessionId, openedAt, endsAt } = await open(USER, amount);
    expect((await claimForProvider(market.ctx, market.wallets[PROVIDER], sessionId)).amount).toBe(0n);
    await mineAt(market.anvil.rpcUrl, endsAt + 10n);
    const { amount: paid } = await claimForProvider(market.ctx, market.wallets[PROVIDER], sessionId);
    expect(paid).toBe((endsAt - openedAt) * price);
    const userBefore = await morBalance(market, user.address);
    await close(USER, sessionId);
    expect(await morBalance(market, user.address)).toBe(userBefore + amount - paid);
  });
});

describe("SessionRouter provider pay limiter", () => {
  const smallProvider = devAccounts[SMALL_PROVIDER];
  const highPrice = 10n ** 15n; // 3.6 MOR per hour, against a 0.2 MOR stake
  let smallBid: Hex;

  it("closeSession: pay is capped at provider.stake - limitPeriodEarned within the 365-day period", async () => {
    await registerProvider(market.ctx, market.wallets[SMALL_PROVIDER], { endpoint: "127.0.0.1:5555", stake: localMarketplaceConfig.providerMinimumStake });
    ({ bidId: smallBid } = await postBid(market.ctx, market.wallets[SMALL_PROVIDER], { modelId, pricePerSecond: highPrice }));
    const stake = localMarketplaceConfig.providerMinimumStake;

    const first = await open(USER, await stakeFor(600n, highPrice), { bid: smallBid, signer: SMALL_PROVIDER });
    await mineAt(market.anvil.rpcUrl, first.endsAt + 1n);
    const before = await morBalance(market, smallProvider.address);
    await close(USER, first.sessionId, SMALL_PROVIDER);
    expect(await morBalance(market, smallProvider.address)).toBe(before + stake);
    expect(await read(market, "getProvider", [smallProvider.address])).toMatchObject({ limitPeriodEarned: stake });

    const second = await open(USER, await stakeFor(600n, highPrice), { bid: smallBid, signer: SMALL_PROVIDER });
    await mineAt(market.anvil.rpcUrl, second.endsAt + 1n);
    await close(USER, second.sessionId, SMALL_PROVIDER);
    expect(await morBalance(market, smallProvider.address)).toBe(before + stake);
    expect((await read(market, "getSession", [second.sessionId])).providerWithdrawnAmount).toBe(0n);
  });

  it("claimForProvider: after the limiter period the cap resets and the rest can be claimed", async () => {
    const [[, secondSession]] = await read(market, "getProviderSessions", [smallProvider.address, 0n, 10n]);
    const { limitPeriodEnd } = await read(market, "getProvider", [smallProvider.address]);
    await mineAt(market.anvil.rpcUrl, limitPeriodEnd + 1n);
    const { amount } = await claimForProvider(market.ctx, market.wallets[SMALL_PROVIDER], secondSession);
    expect(amount).toBe(localMarketplaceConfig.providerMinimumStake);
    const refreshed = await read(market, "getProvider", [smallProvider.address]);
    expect(refreshed.limitPeriodEarned).toBe(amount);
    expect(refreshed.limitPeriodEnd).toBeGreaterThan(limitPeriodEnd);
  });
});
