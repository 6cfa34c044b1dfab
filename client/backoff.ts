/** Bounds of an exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay; it doubles with every attempt. */
  readonly baseMs?: number;
  /** Largest ceiling. */
  readonly maxMs?: number;
}

/**
 * "Full jitter": a random delay in `[0, min(maxMs, baseMs · 2^attempt)]`, which spreads the retries of many
 * clients that failed together (a throttled gateway, a dropped connection) instead of bunching them.
 *
 * @example
 * setTimeout(retry, backoffDelay(attempt, { baseMs: 500, maxMs: 30_000 }));
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}
