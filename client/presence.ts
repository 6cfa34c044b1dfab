import type { PresenceData, Role } from './wire.js';

/** What is known of one user's presence from frames: the newest frame's answer, version and time (epoch ms). */
export interface PresenceEntry {
  readonly role: Role;
  readonly online: boolean;
  readonly version: number;
  readonly at: number;
}

/**
 * A reading over HTTP, taken at `checkedAt` (epoch ms): the list of online staff (`GET /online-staff/`, ids)
 * or only whether anyone is (`GET /support-status/`, a yes or no).
 */
export type PresenceSnapshot =
  | { readonly staff: ReadonlySet<string>; readonly checkedAt: number }
  | { readonly anyone: boolean; readonly checkedAt: number };

/**
 * The ordering rule of presence frames: a frame is news only if its version is higher than the newest
 * taken for its user. Versions come from one counter per user on the server, so a late "offline" (sent
 * before a newer "online", delivered after it) has the lower version, whatever the clocks say.
 */
export function isNewer(known: Pick<PresenceEntry, 'version'> | undefined, frame: PresenceData): boolean {
  return known === undefined || frame.version > known.version;
}

/**
 * Who is online, from presence frames and HTTP readings together, each user's newest fact winning: frames
 * order among themselves by version ({@link isNewer}); a frame and a reading by time, a frame counting over
 * the reading only if it was decided after the reading was taken (`at > checked_at`: anything decided
 * before is in the reading already). An older reading than the one kept is ignored, as a late frame is.
 *
 * Pure and synchronous: {@link ChatSocket} feeds it the frames it receives (and emits only the ones taken);
 * a page adds its HTTP readings and asks.
 *
 * @example
 * socket.presence.takeSnapshot({ staff: new Set(ids), checkedAt: Date.parse(page.checked_at) });
 * socket.presence.onlineStaff(); // the ids, newer frames applied
 */
export class PresenceBook {
  private readonly entries = new Map<string, PresenceEntry>();
  private snapshot: PresenceSnapshot | undefined;

  /** Takes a frame; false (nothing changes) if one of the same or a higher version was taken for the user. */
  takeFrame(frame: PresenceData): boolean {
    const key = keyOf(frame.role, frame.user_id);
    const known = this.entries.get(key);
    if (!isNewer(known, frame)) return false;
    const at = Date.parse(frame.at);
    // Only seen online (version 0, see sawOnline) after this frame was decided: the sighting stays.
    const seenLater = known !== undefined && known.version === 0 && known.at > at;
    this.entries.set(
      key,
      seenLater
        ? { ...known, version: frame.version }
        : { role: frame.role, online: frame.is_online, version: frame.version, at },
    );
    return true;
  }

  /** Takes an HTTP reading; false if it is older than the one kept (a cached answer from before). */
  takeSnapshot(snapshot: PresenceSnapshot): boolean {
    if (this.snapshot && snapshot.checkedAt < this.snapshot.checkedAt) return false;
    this.snapshot = snapshot;
    return true;
  }

  /** Whether the user is online: their newest frame if it is newer than the reading, else the reading. */
  isOnline(userId: string, role: Role = 'staff'): boolean {
    const entry = this.entries.get(keyOf(role, userId));
    if (entry && this.newerThanSnapshot(entry)) return entry.online;
    const snapshot = this.snapshot;
    if (role !== 'staff' || !snapshot) return entry?.online ?? false;
    return 'staff' in snapshot ? snapshot.staff.has(userId) : entry?.online === true && snapshot.anyone;
  }

  /** The staff online by the same rule (the reading's list with newer frames applied), sorted. */
  onlineStaff(): string[] {
    const ids = new Set(this.snapshot && 'staff' in this.snapshot ? this.snapshot.staff : []);
    for (const [key, entry] of this.entries) {
      if (entry.role !== 'staff') continue;
      const userId = key.slice(key.indexOf(':') + 1);
      if (this.isOnline(userId)) ids.add(userId);
      else ids.delete(userId);
    }
    return [...ids].sort();
  }

  /**
   * Whether anyone from support is online: yes if a frame newer than the reading says someone came online,
   * else what the reading says. A newer "offline" of one staff member cannot overrule a yes-or-no reading
   * (it does not say who else is online); the next reading does.
   */
  anyStaffOnline(): boolean {
    const snapshot = this.snapshot;
    if (!snapshot || 'staff' in snapshot) return this.onlineStaff().length > 0;
    for (const entry of this.entries.values()) {
      if (entry.role === 'staff' && entry.online && this.newerThanSnapshot(entry)) return true;
    }
    return snapshot.anyone;
  }

  /** Marks a user seen online at `at` (e.g. they just sent a message), unless something newer says otherwise. */
  sawOnline(userId: string, role: Role, at: number): void {
    const key = keyOf(role, userId);
    const entry = this.entries.get(key);
    if (entry && entry.at >= at) return;
    if (this.snapshot && at <= this.snapshot.checkedAt) return;
    // No version of its own: the next frame from the server, whatever it says, is newer.
    this.entries.set(key, { role, online: true, version: entry?.version ?? 0, at });
  }

  private newerThanSnapshot(entry: PresenceEntry): boolean {
    return !this.snapshot || entry.at > this.snapshot.checkedAt;
  }
}

const keyOf = (role: Role, userId: string) => `${role}:${userId}`;
