import * as v from 'valibot';
import type { RateLimits } from '../domain/limits.js';

/**
 * What a deployment gets without configuration: about what a person can do, and staff ten times that. Guest
 * sessions are per source address, where offices and mobile carriers put many visitors behind one (each
 * browser mints one and then refreshes it for a month): 20 per half hour and 100 a day. The short window is
 * half an hour, not ten minutes, because a day holds at most 60 of a limit's shorter windows (one counter item).
 */
export const DEFAULT_LIMITS_SPEC = {
  rooms_opened: [[5, 600]],
  messages: [
    [20, 10],
    [60, 60],
  ],
  typing: [[2, 1]],
  guest_sessions: [
    [20, 1800],
    [100, 86_400],
  ],
  sockets: 10,
  staff_factor: 10,
} as const satisfies LimitsSpec;

/** Slots of a shorter window within the longest: 10 s in a minute is 6. */
const MAX_SLOTS = 60;

const windowSpec = v.pipe(
  v.tuple([v.pipe(v.number(), v.integer(), v.minValue(1)), v.pipe(v.number(), v.integer(), v.minValue(1))]),
  v.readonly(),
);
const windowsSpec = v.pipe(
  v.array(windowSpec),
  v.maxLength(3, 'at most 3 windows a limit'),
  v.check(
    (windows) => windows.every(([, seconds]) => Math.max(...windows.map(([, s]) => s)) % seconds === 0),
    'every window must divide the longest one evenly (they share one counter item)',
  ),
  v.check(
    (windows) => new Set(windows.map(([, seconds]) => seconds)).size === windows.length,
    'two windows of one limit must not have the same length',
  ),
  // Each slot of a shorter window is an attribute of the one counter item: keep it small (one write unit).
  v.check(
    (windows) =>
      windows.every(([, seconds]) => Math.max(...windows.map(([, s]) => s)) / seconds <= MAX_SLOTS),
    `the longest window may be at most ${MAX_SLOTS} times a shorter one (its slots share one counter item)`,
  ),
);

/**
 * The `RATE_LIMITS` setting (CDK context `rateLimits`), as JSON; every field is optional and defaults to
 * {@link DEFAULT_LIMITS_SPEC}. Windows are `[max, seconds]`; staff get `staff_factor` times each `max`
 * (`guest_sessions` counts per source address, whoever is behind it: no factor).
 *
 * @example `{"messages": [[10, 10], [30, 60]], "sockets": 5}`
 */
export const limitsSpec = v.strictObject({
  rooms_opened: v.optional(windowsSpec),
  messages: v.optional(windowsSpec),
  typing: v.optional(windowsSpec),
  guest_sessions: v.optional(windowsSpec),
  sockets: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  staff_factor: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export type LimitsSpec = v.InferInput<typeof limitsSpec>;

/** Reads a `RATE_LIMITS` JSON text (absent: the defaults); throws with the offending field otherwise. */
export function parseLimits(text: string | undefined): RateLimits {
  let raw: unknown = {};
  if (text) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new Error('RATE_LIMITS must be JSON');
    }
  }
  const result = v.safeParse(limitsSpec, raw);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`RATE_LIMITS ${v.getDotPath(issue) ?? ''}: ${issue.message}`.replace('  ', ' '));
  }
  const spec = { ...DEFAULT_LIMITS_SPEC, ...result.output };
  const windows = (list: readonly (readonly [number, number])[], factor: number) =>
    list.map(([max, seconds]) => ({ max: max * factor, seconds }));
  const forRole = (factor: number) => ({
    rooms_opened: windows(spec.rooms_opened, factor),
    messages: windows(spec.messages, factor),
    typing: windows(spec.typing, factor),
  });
  return {
    customer: forRole(1),
    staff: forRole(spec.staff_factor),
    perAddress: { guest_sessions: windows(spec.guest_sessions, 1) },
    sockets: { customer: spec.sockets, staff: spec.sockets * spec.staff_factor },
  };
}
