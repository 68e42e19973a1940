// Work over a list with at most `limit` items in flight: the pinger's pings, the pool's closes,
// the rate limiter's store calls. One helper, so every bounded fan-out stays bounded the same way.

/** `items` through `work`, at most `limit` at once; results in input order. A rejection rejects the whole (catch inside `work` to go on). */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}
