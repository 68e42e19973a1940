// The /api/v1 wrapper's error mapping: a database outage is a 503 the caller may retry, never a
// 500 showing internals; anything else unexpected stays a 500 whose cause is only logged.
import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import { toApiError } from "./http";

const adapterError = (kind: string) =>
  Object.assign(new Error(`Invalid \`prisma.$queryRaw()\` invocation: ${kind}`), {
    name: "PrismaClientKnownRequestError",
    code: kind === "DatabaseNotReachable" ? "P1001" : "P2010",
    meta: { driverAdapterError: Object.assign(new Error(kind), { name: "DriverAdapterError", cause: { kind, host: "127.0.0.1", port: 5432 } }) },
  });

describe("toApiError", () => {
  it("maps an unreachable database to 503 gateway_unavailable without internals, and logs the cause", () => {
    const logged: string[] = [];
    const error = toApiError(adapterError("DatabaseNotReachable"), "req_1", { error: (m) => logged.push(m) });
    expect(error).toMatchObject({ code: "gateway_unavailable", status: 503 });
    expect(error.message).not.toMatch(/prisma|127\.0\.0\.1|DatabaseNotReachable/i);
    expect(error.options.headers).toMatchObject({ "retry-after": "1" });
    expect(logged.join("\n")).toMatch(/req_1: the database is unreachable/);
    // A connection cut mid-query by a database shutting down (57P01), as pg reports it.
    expect(toApiError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }), "req_2", { error: () => {} }).code).toBe("gateway_unavailable");
  });

  it("keeps other failures a 500 internal_error (and ApiErrors as they are)", () => {
    expect(toApiError(adapterError("ColumnNotFound"), "req_3", { error: () => {} })).toMatchObject({ code: "internal_error", status: 500 });
    const own = new ApiError("no_provider_available", "none");
    expect(toApiError(own, "req_4", { error: () => {} })).toBe(own);
  });
});
