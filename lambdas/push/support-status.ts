import type { StaffPresenceReader } from '../domain/ports.js';

/** Whether anyone from support is online, and when that was read (epoch ms, just before the read). */
export interface SupportStatusReading {
  readonly online: boolean;
  readonly checkedAt: number;
}

export interface SupportStatusOptions {
  /** How long one reading answers every caller of this container. */
  readonly ttlMs: number;
  readonly now?: () => number;
}

/**
 * "Is support online", shared by every caller of a container: one reading of staff presence (one Query of
 * the staff presence partition and its socket checks) answers everyone for `ttlMs`, and callers that arrive
 * while it runs wait for that same reading instead of starting their own. So the reads of the partition grow
 * with containers and time, never with the number of widgets asking: at most one per `ttlMs` per container.
 * A failed reading is not kept: the next caller tries again.
 */
export class SupportStatus {
  private current: { readonly reading: Promise<SupportStatusReading>; readonly until: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly presence: StaffPresenceReader,
    private readonly options: SupportStatusOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The shared reading, and until when (epoch ms) it stays the answer. */
  read(): Promise<SupportStatusReading & { readonly freshUntil: number }> {
    const now = this.now();
    if (!this.current || this.current.until <= now) {
      const until = now + this.options.ttlMs;
      const reading = this.presence
        .onlineStaff()
        .then((staff) => ({ online: staff.length > 0, checkedAt: now }));
      const entry = { reading, until };
      this.current = entry;
      reading.catch(() => {
        if (this.current === entry) this.current = undefined;
      });
    }
    const { reading, until } = this.current;
    return reading.then((value) => ({ ...value, freshUntil: until }));
  }
}
