import type { AutoAssignPolicy } from '../domain/assignment.js';

/** The largest per-agent cap `AUTO_ASSIGN` takes: the count is a set of room ids on one small item. */
export const MAX_AUTO_ASSIGN_CAP = 100;

/**
 * Parses `AUTO_ASSIGN`: absent, empty or `off` (the default) leaves new rooms unassigned; `round-robin:<cap>`
 * gives each new room to the next online staff member with fewer than `cap` open rooms assigned. Anything
 * else stops the function at start, as a wrong setting should.
 *
 * @example parseAutoAssign('round-robin:3') // { kind: 'round-robin', cap: 3 }
 */
export function parseAutoAssign(raw: string | undefined): AutoAssignPolicy {
  if (raw === undefined || raw === '' || raw === 'off') return { kind: 'off' };
  const match = /^round-robin:(\d{1,3})$/.exec(raw);
  const cap = match ? Number(match[1]) : Number.NaN;
  if (!Number.isInteger(cap) || cap < 1 || cap > MAX_AUTO_ASSIGN_CAP)
    throw new Error(
      `AUTO_ASSIGN must be off or round-robin:<cap> with a cap of 1 to ${MAX_AUTO_ASSIGN_CAP}, got "${raw}"`,
    );
  return { kind: 'round-robin', cap };
}
