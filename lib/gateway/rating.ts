// The Morpheus bid rating (the Go consumer's default scorer, spec: compute-node-contracts.md):
// score = Σ weight·component / (pricePerSecond / 1e18), components in [0, 1]. tps and duration
// are the provider's mean as a z-score against the model's on-chain stats, clipped to ±3 and
// mapped to [0, 1]; ttft the same, inverted; success = (successCount / totalCount)²; stake is
// min-max scaled over [minStake, 10·minStake]. Bigint amounts stay exact until the final ratio
// (Go converts wei to int64 there, which overflows above ~9.2 MOR).

export interface RatingWeights {
  tps: number;
  ttft: number;
  duration: number;
  success: number;
  stake: number;
}

export const DEFAULT_RATING_WEIGHTS: RatingWeights = { tps: 0.24, ttft: 0.08, duration: 0.24, success: 0.32, stake: 0.12 };

/** Parses "tps=0.24,ttft=0.08,…"; the weights must be non-negative and sum to 1. */
export function parseRatingWeights(text: string): RatingWeights {
  const weights = { ...DEFAULT_RATING_WEIGHTS };
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!(name in weights)) throw new Error(`unknown rating weight "${name}" (tps, ttft, duration, success, stake)`);
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`rating weight ${name} must be a non-negative number, got "${value}"`);
    weights[name as keyof RatingWeights] = n;
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new Error(`rating weights must sum to 1, they sum to ${sum}`);
  return weights;
}

/** Running mean and sum of squared deviations, as the contract keeps them (LibSD). */
export interface StatSD {
  mean: bigint;
  sqSum: bigint;
}

export interface ProviderModelStats {
  tpsScaled1000: StatSD;
  ttftMs: StatSD;
  totalDuration: number;
  successCount: number;
  totalCount: number;
}

export interface ModelStats {
  tpsScaled1000: StatSD;
  ttftMs: StatSD;
  totalDuration: StatSD;
  count: number;
}

export interface RatingInput {
  pricePerSecond: bigint;
  providerStake: bigint;
  minProviderStake: bigint;
  providerModel: ProviderModelStats;
  model: ModelStats;
}

function standardDeviation(sd: StatSD, count: number): number {
  return count <= 1 ? 0 : Math.sqrt(Number(sd.sqSum) / (count - 1));
}

function zScore(value: number, sd: StatSD, count: number): number {
  const deviation = standardDeviation(sd, count);
  return deviation === 0 ? 0 : (value - Number(sd.mean)) / deviation;
}

/** Clips to [-range, range] and maps onto [0, 1]. */
function normRange(z: number, range = 3): number {
  return Math.min(1, Math.max(0, (z + range) / (2 * range)));
}

function minMax(value: bigint, min: bigint, max: bigint): number {
  if (max === min || value <= min) return 0;
  if (value >= max) return 1;
  return Number(((value - min) * 1_000_000n) / (max - min)) / 1_000_000;
}

export function scoreBid(input: RatingInput, weights: RatingWeights = DEFAULT_RATING_WEIGHTS): number {
  const { providerModel: pm, model: m } = input;
  const tps = normRange(zScore(Number(pm.tpsScaled1000.mean), m.tpsScaled1000, m.count));
  const ttft = normRange(-zScore(Number(pm.ttftMs.mean), m.ttftMs, m.count));
  const duration = normRange(zScore(pm.totalDuration, m.totalDuration, m.count));
  const success = pm.totalCount === 0 ? 0 : (pm.successCount / pm.totalCount) ** 2;
  const stake = minMax(input.providerStake, input.minProviderStake, 10n * input.minProviderStake);
  const total = weights.tps * tps + weights.ttft * ttft + weights.duration * duration + weights.success * success + weights.stake * stake;
  const price = Number(input.pricePerSecond) / 1e18;
  return total / price;
}
