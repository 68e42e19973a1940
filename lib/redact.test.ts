import { describe, expect, it } from "vitest";
import { describeError, redactUrls } from "./redact";

describe("redactUrls", () => {
  it("keeps scheme and host, drops paths, queries and credentials that can hold keys", () => {
    expect(redactUrls("HTTP request failed.\n\nURL: https://base-mainnet.g.alchemy.com/v2/abcdef123 details")).toBe(
      "HTTP request failed.\n\nURL: https://base-mainnet.g.alchemy.com/… details",
    );
    expect(redactUrls("see https://rpc.example/?apikey=secret")).toBe("see https://rpc.example/…");
    expect(redactUrls("postgres is not matched, http://user:pw@host:8545 is")).toBe("postgres is not matched, http://host:8545/… is");
    expect(redactUrls("plain http://127.0.0.1:8545/")).toBe("plain http://127.0.0.1:8545");
  });

  it("describes errors safely", () => {
    expect(describeError(new Error("fetch https://x.io/v2/key failed"))).toBe("fetch https://x.io/… failed");
    expect(describeError("text")).toBe("text");
  });
});
