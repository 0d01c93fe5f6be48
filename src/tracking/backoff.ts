/** Exponential backoff with equal jitter: half the delay fixed, half random, so retries spread out. */
export function retryDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * How long to wait before asking about an invalidation again. Most complete within a few minutes,
 * some take longer: poll at the base rate first, then less often, never slower than every 5 minutes.
 */
export function pollDelay(ageMs: number, baseMs: number): number {
  const factor = ageMs < 2 * 60_000 ? 1 : ageMs < 10 * 60_000 ? 2 : 4;
  return Math.min(baseMs * factor, Math.max(baseMs, 5 * 60_000));
}
