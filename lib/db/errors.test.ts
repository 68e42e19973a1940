import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./errors";

const named = (name: string, fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? name)), { name, ...fields });

describe("isDatabaseUnavailable", () => {
  it("recognises an unreachable database however Prisma and pg report it", () => {
    // What Prisma 7 with @prisma/adapter-pg throws while PostgreSQL is stopped.
    const adapter = named("DriverAdapterError", { cause: { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 } });
    expect(isDatabaseUnavailable(named("PrismaClientKnownRequestError", { code: "P1001", meta: { driverAdapterError: adapter } }))).toBe(true);
    expect(isDatabaseUnavailable(adapter)).toBe(true);
    expect(isDatabaseUnavailable(named("DriverAdapterError", { cause: { kind: "ConnectionClosed" } }))).toBe(true);
    // Server shutting down under a connection (57P01) and not accepting yet (57P03).
    expect(isDatabaseUnavailable(named("DriverAdapterError", { cause: { kind: "postgres", code: "57P01" } }))).toBe(true);
    expect(isDatabaseUnavailable({ code: "57P03", message: "the database system is starting up" })).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(named("PrismaClientInitializationError", {}))).toBe(true);
    // Every connection busy past the transaction's maxWait: overloaded, retry shortly.
    expect(isDatabaseUnavailable(named("PrismaClientKnownRequestError", { code: "P2028", message: "Transaction API error: Unable to start a transaction in the given time." }))).toBe(true);
  });

  it("leaves real errors alone", () => {
    expect(isDatabaseUnavailable(named("PrismaClientKnownRequestError", { code: "P2002" }))).toBe(false);
    expect(isDatabaseUnavailable(named("DriverAdapterError", { cause: { kind: "postgres", code: "42P01" } }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    const cycle: Record<string, unknown> = { message: "loop" };
    cycle.cause = cycle;
    expect(isDatabaseUnavailable(cycle)).toBe(false);
  });
});
