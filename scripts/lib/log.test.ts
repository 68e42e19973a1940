// Start-up and CLI log lines carry no secrets, at any level: URLs are cut to scheme and host.
import { afterEach, describe, expect, it, vi } from "vitest";
import { logger } from "./log";

afterEach(() => vi.restoreAllMocks());

describe("logger", () => {
  it("redacts URLs at info level as at error level (an RPC_URL holds its API key in the path or query)", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    const log = logger("chain");
    log.info("using base through https://base-mainnet.g.alchemy.com/v2/SECRETKEY123; deploying nothing");
    log.info("model at https://user:SECRETPASS@llm.example/v1/chat/completions?api_key=SECRETQUERY");
    log.error("request to https://rpc.example/?apikey=SECRETERR failed");
    expect(lines.join("\n")).not.toMatch(/SECRET/);
    expect(lines[0]).toContain("https://base-mainnet.g.alchemy.com/…");
  });
});
