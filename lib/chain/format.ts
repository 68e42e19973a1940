// MOR amounts for people: bigint wei inside the code, formatted only here.
import { formatUnits, parseUnits } from "viem";

const MOR_DECIMALS = 18;
const SECONDS_PER_HOUR = 3600n;

/** Trim a decimal string to at most `digits` fraction digits, without rounding up into wrong precision. */
function trimFraction(value: string, digits: number): string {
  const [whole, fraction = ""] = value.split(".");
  const kept = fraction.slice(0, digits).replace(/0+$/, "");
  return kept ? `${whole}.${kept}` : whole;
}

function groupThousands(value: string): string {
  const [whole, fraction] = value.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction ? `${sign}${digits}.${fraction}` : `${sign}${digits}`;
}

/**
 * Format a MOR wei amount: "1.5 MOR", "1,234.56 MOR", "0.000012 MOR".
 * Small amounts keep `significant` significant digits so they never show as 0.
 */
export function formatMor(wei: bigint, { significant = 4, maxFraction = 6 } = {}): string {
  if (wei === 0n) return "0 MOR";
  const exact = formatUnits(wei, MOR_DECIMALS);
  const abs = wei < 0n ? -wei : wei;
  let fractionDigits = maxFraction;
  if (abs < 10n ** 18n) {
    // Enough digits to show `significant` of them after the leading zeros.
    const leadingZeros = MOR_DECIMALS - abs.toString().length;
    fractionDigits = Math.max(maxFraction, leadingZeros + significant);
  }
  const shown = trimFraction(exact, Math.min(fractionDigits, MOR_DECIMALS));
  return `${groupThousands(shown === "-0" ? "0" : shown)} MOR`;
}

/** A per-second bid price as MOR per hour, the unit people compare prices in. */
export function formatMorPerHour(pricePerSecondWei: bigint): string {
  return `${formatMor(pricePerSecondWei * SECONDS_PER_HOUR).replace(/ MOR$/, "")} MOR/h`;
}

/** Parse a human MOR amount ("1.5") into wei; throws on malformed input. */
export function parseMor(amount: string): bigint {
  const trimmed = amount.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new Error(`Not a MOR amount: "${amount}"`);
  return parseUnits(trimmed, MOR_DECIMALS);
}

/** Parse a MOR-per-hour price into wei per second (the contract's unit), rounding down. */
export function parseMorPerHour(amount: string): bigint {
  return parseMor(amount) / SECONDS_PER_HOUR;
}

/** A MOR-per-hour price as the contract stores it, with what the rounding to whole wei per second costs. */
export interface HourlyPriceQuote {
  /** The price per second in wei, rounded down (what is sent). */
  pricePerSecond: bigint;
  /** The hourly price asked, in wei. */
  askedPerHour: bigint;
  /** The hourly price the bid really charges (pricePerSecond × 3600), in wei. */
  chargedPerHour: bigint;
  /** askedPerHour − chargedPerHour: lost to the rounding, 0 when the price divides exactly. */
  roundedOffPerHour: bigint;
}

/** Quotes a MOR-per-hour price in the contract's wei per second; throws on malformed input. */
export function quoteMorPerHour(amount: string): HourlyPriceQuote {
  const askedPerHour = parseMor(amount);
  const pricePerSecond = askedPerHour / SECONDS_PER_HOUR;
  const chargedPerHour = pricePerSecond * SECONDS_PER_HOUR;
  return { pricePerSecond, askedPerHour, chargedPerHour, roundedOffPerHour: askedPerHour - chargedPerHour };
}

/** Every digit of a wei amount as MOR ("0.499999999999998" MOR), for showing exact conversions. */
export function formatMorExact(wei: bigint): string {
  return `${formatUnits(wei, MOR_DECIMALS)} MOR`;
}

/** The chain's native coin (gas), formatted like MOR amounts: "10 ETH", "0.0021 ETH". */
export function formatEth(wei: bigint): string {
  return `${formatMor(wei).replace(/ MOR$/, "")} ETH`;
}
