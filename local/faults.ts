/**
 * Seeded fault schedules for the local DynamoDB proxy (`local/dynamo.ts`): a share of requests fails in each
 * of the ways DynamoDB and the network fail, decided by a pseudo-random sequence from a seed, so a test that
 * finds a defect finds it again on the next run.
 */

/** What can happen to one request instead of (or besides) an ordinary answer. */
export const FAULT_KINDS = ['error', 'throttle', 'drop', 'lost'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A share of requests (0..1) per fault kind, and added latency. The n-th request the schedule sees always
 * meets the same fate for the same seed; concurrent requests may reach the proxy in another order from one
 * run to the next, so the faults land on the same positions, not always on the same calls.
 *
 * @example
 * stack.dynamo.faults({ seed: 42, error: 0.2, latencyMs: 20 });
 */
export interface FaultSchedule {
  /** @default 1 */
  readonly seed?: number;
  /** Answered `500 InternalServerError` without reaching the database (the SDK retries it). */
  readonly error?: number;
  /** Answered `400 ProvisionedThroughputExceededException` without reaching the database (retried, with a longer backoff). */
  readonly throttle?: number;
  /** The connection is destroyed before any answer, and the request never reaches the database. */
  readonly drop?: number;
  /** Applied by the database, then answered `500 InternalServerError`: the write happened, its answer was lost. */
  readonly lost?: number;
  /** Each request waits a delay drawn between 0 and this many ms before it is handled. @default 0 */
  readonly latencyMs?: number;
  /** The requests the schedule may touch, by DynamoDB operation and request body. @default every request */
  readonly match?: (operation: string, request: Record<string, unknown>) => boolean;
}

/** The fate of one request. */
export interface FaultFate {
  readonly kind: FaultKind | 'pass';
  readonly delayMs: number;
}

/** Draws the fate of each request from a schedule; counts what it decided. */
export class FaultPlan {
  private readonly random: () => number;
  private readonly tally: Record<FaultKind | 'pass', number> = {
    pass: 0,
    error: 0,
    throttle: 0,
    drop: 0,
    lost: 0,
  };

  constructor(readonly schedule: FaultSchedule) {
    let total = 0;
    for (const kind of FAULT_KINDS) {
      const share = schedule[kind] ?? 0;
      if (!(share >= 0 && share <= 1)) throw new Error(`Fault share ${kind} must be between 0 and 1`);
      total += share;
    }
    if (total > 1) throw new Error('Fault shares add up to more than 1');
    if (!((schedule.latencyMs ?? 0) >= 0)) throw new Error('Fault latency must be at least 0 ms');
    this.random = mulberry32(schedule.seed ?? 1);
  }

  /** Whether the schedule looks at requests of this kind (parsing the body only when it must). */
  applies(operation: string, body: () => Record<string, unknown>): boolean {
    return this.schedule.match ? this.schedule.match(operation, body()) : true;
  }

  /** The next request's fate: two draws per request whatever it is, so fates stay aligned with positions. */
  next(): FaultFate {
    const roll = this.random();
    const delayMs = Math.floor(this.random() * ((this.schedule.latencyMs ?? 0) + 1));
    let bound = 0;
    for (const kind of FAULT_KINDS) {
      bound += this.schedule[kind] ?? 0;
      if (roll < bound) {
        this.tally[kind] += 1;
        return { kind, delayMs };
      }
    }
    this.tally.pass += 1;
    return { kind: 'pass', delayMs };
  }

  /** How many requests met each fate so far. */
  counts(): Record<FaultKind | 'pass', number> {
    return { ...this.tally };
  }
}

/**
 * Parses `npm start`'s `--faults` value: comma-separated `name=value` pairs, shares as fractions,
 * `latency` in ms. `seed=42,error=0.2,throttle=0.1,drop=0.05,lost=0.05,latency=20`.
 */
export function parseFaults(spec: string): FaultSchedule {
  const schedule: Record<string, number> = {};
  const names: Record<string, string> = { seed: 'seed', latency: 'latencyMs' };
  for (const kind of FAULT_KINDS) names[kind] = kind;
  for (const pair of spec.split(',').filter((part) => part.trim() !== '')) {
    const [name, raw, ...rest] = pair.split('=').map((part) => part.trim());
    const key = name === undefined ? undefined : names[name];
    const value = Number(raw);
    if (!key || raw === undefined || raw === '' || rest.length > 0 || !Number.isFinite(value)) {
      throw new Error(
        `--faults: cannot read "${pair}" (expected name=number, names: ${Object.keys(names).join(', ')})`,
      );
    }
    schedule[key] = value;
  }
  const parsed = schedule as FaultSchedule;
  new FaultPlan(parsed); // refuses shares out of range here rather than at the first request
  return parsed;
}

/** A small, fast, seedable PRNG (Mulberry32): good enough to spread faults, not for anything secret. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
