import { describe, expect, it } from "vitest";
import { formatMor, formatMorExact, formatMorPerHour, parseMor, parseMorPerHour, quoteMorPerHour } from "./format";

describe("MOR formatting", () => {
  it("formats whole and fractional amounts", () => {
    expect(formatMor(0n)).toBe("0 MOR");
    expect(formatMor(10n ** 18n)).toBe("1 MOR");
    expect(formatMor(1_500_000_000_000_000_000n)).toBe("1.5 MOR");
    expect(formatMor(1234n * 10n ** 18n + 560_000_000_000_000_000n)).toBe("1,234.56 MOR");
  });

  it("keeps small amounts visible", () => {
    expect(formatMor(12_345_678_901_234n)).toBe("0.00001234 MOR");
    expect(formatMor(1n)).toBe("0.000000000000000001 MOR");
  });

  it("shows per-second prices per hour", () => {
    // 1e14 wei/s = 0.36 MOR per hour
    expect(formatMorPerHour(100_000_000_000_000n)).toBe("0.36 MOR/h");
  });

  it("parses amounts", () => {
    expect(parseMor("1.5")).toBe(1_500_000_000_000_000_000n);
    expect(parseMorPerHour("0.36")).toBe(100_000_000_000_000n);
    expect(() => parseMor("1,5")).toThrow(/Not a MOR amount/);
    expect(() => parseMor("-1")).toThrow();
  });
});

describe("MOR per hour quotes", () => {
  it("converts exactly when the hourly price divides by 3600", () => {
    expect(quoteMorPerHour("0.36")).toEqual({ pricePerSecond: 10n ** 14n, askedPerHour: 36n * 10n ** 16n, chargedPerHour: 36n * 10n ** 16n, roundedOffPerHour: 0n });
  });

  it("rounds down to whole wei per second and says what that costs per hour", () => {
    const quote = quoteMorPerHour("1");
    expect(quote.pricePerSecond).toBe(277_777_777_777_777n);
    expect(quote.chargedPerHour).toBe(999_999_999_999_997_200n);
    expect(quote.roundedOffPerHour).toBe(2_800n);
    expect(formatMorExact(quote.chargedPerHour)).toBe("0.9999999999999972 MOR");
  });

  it("refuses what is not an amount", () => {
    expect(() => quoteMorPerHour("1e3")).toThrow(/Not a MOR amount/);
  });
});
