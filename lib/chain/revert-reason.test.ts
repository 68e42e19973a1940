import { BaseError, ContractFunctionRevertedError, encodeErrorResult, parseEther, UserRejectedRequestError } from "viem";
import { describe, expect, it } from "vitest";
import { computeNodeAbiWithTokenErrors, describeTransactionError } from "./revert-reason";

function reverted(errorName: string, args: readonly unknown[] = []) {
  const data = encodeErrorResult({ abi: computeNodeAbiWithTokenErrors, errorName: errorName as never, args: args as never });
  return new BaseError("simulation failed", { cause: new ContractFunctionRevertedError({ abi: computeNodeAbiWithTokenErrors, data, functionName: "providerRegister" }) });
}

describe("transaction errors in words", () => {
  it("says which minimum a stake missed", () => {
    expect(describeTransactionError(reverted("ProviderStakeTooLow", [parseEther("0.1"), parseEther("0.2")]))).toBe(
      "Stake below the minimum of 0.2 MOR (the provider's stake would be 0.1 MOR).",
    );
    expect(describeTransactionError(reverted("ModelStakeTooLow", [0n, parseEther("0.1")]))).toMatch(/^Stake below the minimum of 0.1 MOR/);
  });

  it("decodes the MOR token's errors bubbled up through the Diamond", () => {
    expect(describeTransactionError(reverted("ERC20InsufficientBalance", ["0x0000000000000000000000000000000000000001", parseEther("1"), parseEther("2")]))).toBe(
      "Not enough MOR: the wallet holds 1 MOR and 2 MOR is needed.",
    );
  });

  it("explains errors without arguments and names unknown ones", () => {
    expect(describeTransactionError(reverted("ProviderHasActiveBids"))).toMatch(/delete them before deregistering/);
    expect(describeTransactionError(reverted("SessionTooShort"))).toBe("The contract refused it (SessionTooShort).");
  });

  it("tells a rejection in the wallet apart", () => {
    expect(describeTransactionError(new UserRejectedRequestError(new Error("User rejected the request.")))).toBe("You rejected the request in your wallet.");
    expect(describeTransactionError(Object.assign(new Error("User rejected"), { code: 4001 }))).toBe("You rejected the request in your wallet.");
  });
});
