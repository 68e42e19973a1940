// The gateway wallet's transaction queue: one at a time, and conflicts with other gateway
// instances sharing the wallet (a nonce taken, an allowance spent) retried; anything else not.
import { describe, expect, it } from "vitest";
import { ChainWriteError } from "@/lib/chain/writes";
import { TxQueue } from "./tx-queue";

describe("TxQueue", () => {
  it("runs transactions one after another, in order", async () => {
    const queue = new TxQueue();
    const log: string[] = [];
    const send = (name: string, ms: number) => () =>
      new Promise<string>((resolve) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          resolve(name);
        }, ms);
      });
    expect(await Promise.all([queue.run(send("a", 30)), queue.run(send("b", 1)), queue.run(send("c", 1))])).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("retries when another instance took the nonce or spent the allowance", async () => {
    const queue = new TxQueue();
    const conflicts = [
      new Error("Nonce provided for the transaction is lower than the current nonce of the account", { cause: new Error("nonce too low") }),
      new ChainWriteError("openSession", "openSession reverted: ERC20InsufficientAllowance(0x0165878A594ca255338adfa4d48449f69242Eb8F, 0, 19000000000000000000)"),
    ];
    let attempts = 0;
    const result = await queue.run(async () => {
      if (attempts < conflicts.length) throw conflicts[attempts++];
      attempts++;
      return "opened";
    });
    expect({ result, attempts }).toEqual({ result: "opened", attempts: 3 });
  });

  it("keeps retrying while the other instance is busy sending (a burst of openings: several conflicts in a row)", async () => {
    const queue = new TxQueue(1);
    let attempts = 0;
    const result = await queue.run(async () => {
      if (++attempts < 9) throw new Error("Nonce provided for the transaction is lower than the current nonce of the account.");
      return "opened";
    });
    expect({ result, attempts }).toEqual({ result: "opened", attempts: 9 });
  });

  it("does not retry other failures, and gives up on conflicts after a bounded number of attempts", async () => {
    const queue = new TxQueue(1);
    let reverted = 0;
    await expect(
      queue.run(async () => {
        reverted++;
        throw new ChainWriteError("openSession", "openSession reverted: SessionTooShort()");
      }),
    ).rejects.toThrow("SessionTooShort");
    expect(reverted).toBe(1);

    let conflicted = 0;
    await expect(
      queue.run(async () => {
        conflicted++;
        throw new Error("nonce too low");
      }),
    ).rejects.toThrow("nonce too low");
    expect(conflicted).toBe(10);
    // A failure does not block what is queued after it.
    await expect(queue.run(async () => "next")).resolves.toBe("next");
  });
});
