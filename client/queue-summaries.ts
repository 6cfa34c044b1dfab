import type { Room, RoomSummary } from './wire.js';

/**
 * The staff queue's room summaries (`{"type":"queue","data":{"rooms":[…]}}`), as a client keeps them: per
 * room nothing older than what came before it, and a "typing…" that lasts no longer than
 * {@link QUEUE_TYPING_MS} after the summary that listed the typists. The rules are pure functions; the
 * class only keeps their state and the typing timers.
 *
 * `version` counts the writes of the room item, typing included (the server keeps who types on it). A
 * summary at the room's known version is that same write seen again (a redelivered frame): it is taken
 * again, which can do no more than re-arm its typing hint; only a lower version is stale.
 */

/** How long a summary's `typing` list stands, unless the room's next summary replaces it first. */
export const QUEUE_TYPING_MS = 6_000;
/** Rooms whose newest version is remembered (closed ones too, so a redelivered summary cannot revive one). */
export const REMEMBERED_ROOMS = 10_000;

/**
 * Whether a room snapshot with `version` is newer than the newest one known of that room (`known` undefined:
 * none yet). Equal is not newer: the same write of the room, seen again.
 */
export function isNewer(version: number, known: number | undefined): boolean {
  return known === undefined || version > known;
}

/**
 * Whether a summary with `version` is older than the newest known of its room: a write already superseded,
 * delivered late (a retried batch). One at the known version is the same write again, and harmless.
 */
export function isStale(version: number, known: number | undefined): boolean {
  return known !== undefined && version < known;
}

/**
 * The summaries of one frame that are not stale, in frame order: one per room (its highest version, the later
 * entry of equal ones, should a frame list a room twice).
 */
export function currentSummaries(
  rooms: readonly RoomSummary[],
  known: (roomId: string) => number | undefined,
): RoomSummary[] {
  const current = new Map<string, RoomSummary>();
  for (const room of rooms) {
    const seen = current.get(room.id);
    if (seen ? room.version >= seen.version : !isStale(room.version, known(room.id))) {
      current.set(room.id, room);
    }
  }
  return [...current.values()];
}

/** Who a summary says is typing: nobody in a closed room. */
export function typistsOf(summary: RoomSummary): readonly string[] {
  return summary.status === 'open' ? summary.typing : [];
}

/** The room of a summary, without the queue's extras (`reads`, `typing`). */
export function summaryRoom(summary: RoomSummary): Room {
  const { reads: _reads, typing: _typing, ...room } = summary;
  return room;
}

/** What {@link QueueSummaries} reports. */
export interface QueueSummariesHost {
  /** Summaries no older than any before them of their room (the `queue_rooms` event). */
  rooms(rooms: readonly RoomSummary[]): void;
  /** Who types in a room changed: a summary said so, or its list expired (the `queue_typing` event). */
  typing(roomId: string, userIds: readonly string[]): void;
}

/** The newest version of every room the queue reported, and the typing lists still standing. */
export class QueueSummaries {
  private readonly versions = new Map<string, number>();
  private readonly typists = new Map<
    string,
    { readonly userIds: readonly string[]; readonly timer: ReturnType<typeof setTimeout> }
  >();

  constructor(
    private readonly host: QueueSummariesHost,
    private readonly typingMs = QUEUE_TYPING_MS,
  ) {}

  /** The newest version of a room the queue reported. */
  version(roomId: string): number | undefined {
    return this.versions.get(roomId);
  }

  /** Takes one `queue` frame's summaries: reports those not stale, then their typing lists. */
  receive(rooms: readonly RoomSummary[]): void {
    const fresh = currentSummaries(rooms, (roomId) => this.versions.get(roomId));
    if (fresh.length === 0) return;
    for (const summary of fresh) this.remember(summary.id, summary.version);
    this.host.rooms(fresh);
    for (const summary of fresh) this.setTyping(summary.id, typistsOf(summary));
  }

  /** The queue is no longer followed: no typing list stands (versions are kept: they only grow). */
  clear(): void {
    for (const roomId of [...this.typists.keys()]) this.setTyping(roomId, []);
  }

  /** Stops the timers without reporting anything (the socket is closed). */
  dispose(): void {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
  }

  private remember(roomId: string, version: number): void {
    // Re-inserted so the map's order is the order of the last update: the oldest is forgotten first.
    this.versions.delete(roomId);
    this.versions.set(roomId, version);
    if (this.versions.size > REMEMBERED_ROOMS) {
      const oldest = this.versions.keys().next().value;
      if (oldest !== undefined) this.versions.delete(oldest);
    }
  }

  private setTyping(roomId: string, userIds: readonly string[]): void {
    const current = this.typists.get(roomId);
    if (current) clearTimeout(current.timer);
    if (userIds.length === 0) {
      this.typists.delete(roomId);
      if (current) this.host.typing(roomId, []);
      return;
    }
    const timer = setTimeout(() => this.setTyping(roomId, []), this.typingMs);
    this.typists.set(roomId, { userIds, timer });
    if (!current || !sameMembers(current.userIds, userIds)) this.host.typing(roomId, userIds);
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
