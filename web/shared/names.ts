import { type ReadonlySignal, signal } from '@preact/signals';

/** How many characters of a nameless guest's id tell two guests apart in a list. */
const GUEST_TAG_CHARS = 4;

/**
 * The name a page shows for a person: their display name, else something a person can read. A guest without
 * a name is "Guest" and the end of their id (`guest_…` ids are long and random), anyone else their id (a
 * staff member's or an account's user name). Always text: pages render it as a text node, never as HTML.
 */
export function shownName(userId: string, name: string | null | undefined): string {
  if (name) return name;
  if (userId.startsWith('guest_')) return `Guest ${userId.slice(-GUEST_TAG_CHARS)}`;
  return userId;
}

/**
 * The display names a page has learnt (from room details' members, the signed-in person's profile), by user
 * id; null for someone the server was asked about and had no name for, so the page does not ask again.
 */
export class NameBook {
  private readonly known = signal<ReadonlyMap<string, string | null>>(new Map());

  get names(): ReadonlySignal<ReadonlyMap<string, string | null>> {
    return this.known;
  }

  learn(entries: Iterable<readonly [userId: string, name: string | null]>): void {
    const next = new Map(this.known.value);
    let changed = false;
    for (const [userId, name] of entries) {
      if (next.has(userId) && next.get(userId) === name) continue;
      next.set(userId, name);
      changed = true;
    }
    if (changed) this.known.value = next;
  }

  /** Whether the server was asked about the person (with or without a name for them). */
  knows(userId: string): boolean {
    return this.known.value.has(userId);
  }

  /** The person's shown name: learnt, else `fallback` (a room's `customer_name`), else {@link shownName}'s. */
  nameOf(userId: string, fallback?: string | null): string {
    return shownName(userId, this.known.value.get(userId) ?? fallback);
  }
}
