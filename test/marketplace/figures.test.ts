// The landing page's live figures when the chain does not answer: the chain's figures are
// reported missing (the page then says so) while the database's still come through.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { createApiKey } from "@/lib/auth/api-keys";
import { pgliteBackend, type FreshDatabase } from "../db/backends";
import { migratedDatabase } from "../auth/fixture";

let database: FreshDatabase;
let db: Db;

/** A local port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  database = await migratedDatabase(pgliteBackend);
  Object.assign(process.env, {
    CHAIN: "local",
    RPC_URL: `http://127.0.0.1:${await closedPort()}`,
    DIAMOND_ADDRESS: "0x" + "11".repeat(20),
    MOR_TOKEN_ADDRESS: "0x" + "22".repeat(20),
    DATABASE_URL: "",
    PGLITE_PORT: new URL(database.url).port,
  });
  db = createPrismaClient(database.url, { poolSize: 1 });
});

afterAll(async () => {
  await db?.$disconnect();
  await (await import("@/lib/db")).db().$disconnect();
  await database?.drop();
});

describe("marketplaceFigures", () => {
  it("with the chain down: no chain figures (no exception), requests served in 24 h still counted from the database", async () => {
    const { apiKey } = await createApiKey(db, { owner: "0x" + "a1".repeat(20), name: "figures" });
    const record = (requestId: string, status: string, ageMs: number) => ({
      apiKeyId: apiKey.id,
      requestId,
      endpoint: "chat.completions",
      model: "m",
      durationMs: 10,
      status,
      createdAt: new Date(Date.now() - ageMs),
    });
    await db.usageRecord.createMany({ data: [record("a", "ok", 60_000), record("b", "ok", 3_600_000), record("c", "error", 60_000), record("d", "ok", 2 * 86_400_000)] });
    const { marketplaceFigures } = await import("@/lib/marketplace");
    const figures = await marketplaceFigures();
    expect(figures).toEqual({ chain: { ok: false }, requests24h: { ok: true, value: 2 } });
  });
});
