import { describe, expect, it } from "vitest";
import { KeyedLocks, Slots } from "./limits";

describe("Slots", () => {
  it("queues past the limit and hands slots over in order", async () => {
    const slots = new Slots(1);
    const order: string[] = [];
    const releaseA = await slots.acquire();
    const b = slots.acquire().then((release) => (order.push("b"), release));
    const c = slots.acquire().then((release) => (order.push("c"), release));
    expect(slots.inUse).toBe(1);
    releaseA();
    (await b)();
    (await c)();
    expect(order).toEqual(["b", "c"]);
    expect(slots.inUse).toBe(0);
  });

  it("a waiter that gives up leaves no slot behind", async () => {
    const slots = new Slots(1);
    const release = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error("client gone"));
    await expect(waiting).rejects.toThrow("client gone");
    release();
    release(); // twice is harmless
    expect(slots.inUse).toBe(0);
    (await slots.acquire())();
  });

  it("0 means unlimited", async () => {
    const slots = new Slots(0);
    await Promise.all([slots.acquire(), slots.acquire(), slots.acquire()]);
    expect(slots.inUse).toBe(3);
  });
});

describe("KeyedLocks", () => {
  it("serialises per key, not across keys", async () => {
    const locks = new KeyedLocks();
    const a1 = await locks.acquire("a");
    const b1 = await locks.acquire("b"); // another key is free
    const events: string[] = [];
    const a2 = locks.acquire("a").then((release) => (events.push("a2 granted"), release));
    // A grant is a promise resolution: one turn of the event loop runs every one already made.
    await new Promise((resolve) => setImmediate(resolve));
    events.push("a1 released");
    a1();
    (await a2)();
    b1();
    expect(events).toEqual(["a1 released", "a2 granted"]);
  });
});
