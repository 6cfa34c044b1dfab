import type { ChatStore, SocketProbe, StaffPresenceReader } from '../domain/ports.js';
import type { OnlineUser, Subscription } from '../domain/types.js';
import { logger } from '../runtime/logger.js';
import { forEachLimited, type Target } from './pusher.js';

export interface StaffPresenceOptions {
  /**
   * A staff socket whose client has sent nothing for this long is taken for dead: closed and forgotten.
   * The typed client pings every 30 s, so a live one is never older than that plus a little.
   */
  readonly windowMs: number;
  /** At most this many sockets are asked about per read; the rest count as online until a later read. */
  readonly checksPerRead: number;
  /** Forgets a dead socket (its items, "offline" when it was the user's last), as the pusher's `onGone`. */
  readonly onDead: (target: Target) => Promise<void>;
  /**
   * A socket whose `$connect` is still running answers 410 too; one younger than this is not taken for gone.
   * @default 30_000 (API Gateway gives `$connect` at most 29 s)
   */
  readonly connectGraceMs?: number;
  /** Questions to the management API in flight at once. @default 8 */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/**
 * Who of the staff is online, checked against the WebSocket API rather than taken from the presence items
 * alone: `$disconnect` is best effort (a failed one, or a local gateway killed with `kill -9`, leaves the
 * items behind), and a socket that dies without a close frame stays open in API Gateway until its 10-minute
 * idle cut. A socket older than the window is asked about (`GET @connections/{id}`): one that is gone (410),
 * or whose client has sent nothing within the window, is forgotten (its items deleted, "offline" announced
 * when it was the user's last) and, if API Gateway still holds it, closed.
 *
 * Cheap by design: the same one Query of the staff presence partition as before; no table write per ping;
 * each socket is asked about at most once per window per container, because a container remembers until
 * when each answer proves a socket alive (`lastActiveAt + window`); and at most `checksPerRead` questions
 * per read. That memory only saves calls: losing it (a new container) costs a question, never a wrong answer.
 */
export class StaffPresence implements StaffPresenceReader {
  /** Until when (epoch ms) each socket is known to be alive, from the last answer about it. */
  private readonly aliveUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly store: ChatStore,
    private readonly probe: SocketProbe,
    private readonly options: StaffPresenceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async onlineStaff(): Promise<OnlineUser[]> {
    const now = this.now();
    const sockets = await this.store.staffConnections();
    const provenUntil = (socket: Subscription) => this.aliveUntil.get(socket.connectionId) ?? 0;
    const doubtful = sockets
      .filter((socket) => now - socket.connectedAt > this.options.windowMs && provenUntil(socket) <= now)
      // Least recently proven first, so that sockets past the per-read bound get their turn next time.
      .sort((a, b) => provenUntil(a) - provenUntil(b) || a.connectedAt - b.connectedAt)
      .slice(0, this.options.checksPerRead);
    const dead = new Set<string>();
    await forEachLimited(doubtful, this.options.concurrency ?? 8, async (socket) => {
      if (await this.isDead(socket, now)) dead.add(socket.connectionId);
    });
    const live = sockets.filter((socket) => !dead.has(socket.connectionId));
    const listed = new Set(sockets.map((socket) => socket.connectionId));
    for (const connectionId of this.aliveUntil.keys()) {
      if (!listed.has(connectionId)) this.aliveUntil.delete(connectionId);
    }
    return onlineUsers(live);
  }

  /** Asks about one socket; forgets it if it is dead. A failed question counts it as alive (and is logged). */
  private async isDead(socket: Subscription, now: number): Promise<boolean> {
    const { connectionId } = socket;
    let lastActiveAt: number | 'gone';
    try {
      lastActiveAt = await this.probe.lastActiveAt(connectionId);
    } catch (error) {
      logger.error('Could not check a staff socket', { connectionId, error });
      return false;
    }
    if (lastActiveAt !== 'gone' && now - lastActiveAt <= this.options.windowMs) {
      this.aliveUntil.set(connectionId, lastActiveAt + this.options.windowMs);
      return false;
    }
    if (lastActiveAt === 'gone' && now - socket.connectedAt <= (this.options.connectGraceMs ?? 30_000)) {
      return false;
    }
    this.aliveUntil.delete(connectionId);
    try {
      // API Gateway still holds a silent socket: close it, so a client that is alive after all reconnects.
      if (lastActiveAt !== 'gone') await this.probe.disconnect(connectionId);
      await this.options.onDead({ ...socket, foundBy: [{ kind: 'presence' }] });
    } catch (error) {
      logger.error('Could not forget a dead staff socket', { connectionId, error });
    }
    return true;
  }
}

/** One entry per user: how many sockets, online since the oldest. Sorted by user id. */
export function onlineUsers(sockets: readonly Subscription[]): OnlineUser[] {
  const byUser = new Map<string, { role: Subscription['role']; connections: number; since: number }>();
  for (const { userId, role, connectedAt } of sockets) {
    const entry = byUser.get(userId) ?? { role, connections: 0, since: Number.POSITIVE_INFINITY };
    entry.connections += 1;
    entry.since = Math.min(entry.since, connectedAt);
    byUser.set(userId, entry);
  }
  return [...byUser.entries()]
    .map(([userId, { role, connections, since }]) => ({
      userId,
      role,
      connections,
      onlineSince: new Date(since).toISOString(),
    }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}
