import { AppError } from './errors.js';
import type { LimitWindow, RateLimiter } from './ports.js';
import { type Actor, Role } from './types.js';

/**
 * Per-user limits. API Gateway's throttles are stage-wide, so without these one customer could spend
 * everyone's budget (10,000 rooms, ~130 messages a second, 1,000 sockets were measured). The counters live
 * in the table, so a limit holds however many Lambda containers serve the user.
 */
export const Limit = {
  /** Rooms a customer opens. */
  roomsOpened: 'rooms_opened',
  /** Messages a user sends, over HTTP and the WebSocket together. */
  messages: 'messages',
  /** Typing frames a user sends, over all their sockets. */
  typing: 'typing',
  /**
   * Guest sessions minted for one source address (`POST /api/chat/guest-sessions/` without a token): the open
   * door has no user to count by, so it counts by the viewer's address. Refreshes and identity exchanges are
   * not counted.
   */
  guestSessions: 'guest_sessions',
} as const;
export type Limit = (typeof Limit)[keyof typeof Limit];
/** The limits counted per user (by role); the rest are counted per source address. */
export type UserLimit = Exclude<Limit, AddressLimit>;
/** The limits counted per source address, the same for everyone behind it. */
export type AddressLimit = typeof Limit.guestSessions;

export type Window = LimitWindow;

export interface RateLimits {
  /** The windows of each limit, for customers; an empty list turns a limit off. */
  readonly customer: Readonly<Record<UserLimit, readonly Window[]>>;
  readonly staff: Readonly<Record<UserLimit, readonly Window[]>>;
  /** The windows of each per-address limit. */
  readonly perAddress: Readonly<Record<AddressLimit, readonly Window[]>>;
  /** Live sockets a user may hold at once, by role. */
  readonly sockets: Readonly<Record<Role, number>>;
}

/** 429: a limit is used up. The client may try again after `retryAfterSeconds`. */
export class RateLimited extends AppError {
  constructor(
    readonly limit: Limit | 'sockets',
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(
      429,
      'rate_limited',
      retryAfterSeconds === undefined
        ? `Too many ${limit.replace('_', ' ')}: close one first`
        : `Too many ${limit.replace('_', ' ')}: try again in ${retryAfterSeconds} s`,
    );
  }
}

/** What a use case needs to enforce the limits. */
export interface LimitDeps {
  readonly limiter: RateLimiter;
  readonly limits: RateLimits;
}

/**
 * Counts one use of `limit` by `subject` (a user id, or a connection id for per-socket limits) and throws
 * {@link RateLimited} when one of its windows is full. A refused use is not counted. One conditional write.
 */
export async function spend(
  deps: LimitDeps,
  actor: Actor,
  limit: UserLimit,
  subject: string,
  nowMs: number,
): Promise<void> {
  const windows = deps.limits[actor.role === Role.staff ? 'staff' : 'customer'][limit];
  await take(deps, limit, subject, windows, nowMs);
}

/**
 * Counts one use of a per-address `limit` by `address` (the viewer's, as `clientAddress` establishes it: never
 * a header a caller sets) and throws {@link RateLimited} when one of its windows is full. One conditional write.
 */
export async function spendByAddress(
  deps: LimitDeps,
  limit: AddressLimit,
  address: string,
  nowMs: number,
): Promise<void> {
  await take(deps, limit, addressSubject(address), deps.limits.perAddress[limit], nowMs);
}

/**
 * What an address is counted as: an IPv4 address itself (and an IPv4-mapped IPv6 one as that IPv4 address);
 * an IPv6 address by its /64, the block one subscriber is given whole (RFC 6177), so that the 2^64 addresses
 * of one network, which CloudFront passes on as they come, count as one. Anything else is counted as given.
 */
export function addressSubject(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const halves = (address.toLowerCase().split('%')[0] as string).split('::');
  if (halves.length > 2) return address;
  const [head = '', tail] = halves;
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8 || groups.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return address;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

async function take(
  deps: LimitDeps,
  limit: Limit,
  subject: string,
  windows: readonly Window[],
  nowMs: number,
): Promise<void> {
  if (windows.length === 0) return;
  const verdict = await deps.limiter.take(limit, subject, windows, nowMs);
  if (!verdict.allowed) throw new RateLimited(limit, verdict.retryAfterSeconds);
}
