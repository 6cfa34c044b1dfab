import { describe, expect, it } from 'vitest';
import { isNewer, PresenceBook, type PresenceSnapshot } from '../../client/presence.js';
import type { PresenceData, Role } from '../../client/wire.js';

const T = Date.parse('2026-12-01T12:00:00.000Z');

/** A presence frame: `+` online, `-` offline; `version` and `at` (ms after T) as the server stamps them. */
function frame(sign: '+' | '-', version: number, atMs: number, userId = 'tess', role: Role = 'staff') {
  return {
    user_id: userId,
    role,
    is_online: sign === '+',
    version,
    at: new Date(T + atMs).toISOString(),
  } satisfies PresenceData;
}

const staff = (ids: string[], checkedMs: number): PresenceSnapshot => ({
  staff: new Set(ids),
  checkedAt: T + checkedMs,
});
const anyone = (yes: boolean, checkedMs: number): PresenceSnapshot => ({
  anyone: yes,
  checkedAt: T + checkedMs,
});

type Event = PresenceData | PresenceSnapshot;
const isFrame = (event: Event): event is PresenceData => 'user_id' in event;

function replay(events: readonly Event[]): PresenceBook {
  const book = new PresenceBook();
  for (const event of events) {
    if (isFrame(event)) book.takeFrame(event);
    else book.takeSnapshot(event);
  }
  return book;
}

describe('isNewer', () => {
  it.each([
    ['nothing known', undefined, 5, true],
    ['a higher version', { version: 4 }, 5, true],
    ['the same version (a redelivered frame)', { version: 5 }, 5, false],
    ['a lower version (a late frame)', { version: 6 }, 5, false],
  ])('with %s, a frame of version 5 is news: %s', (_case, known, version, expected) => {
    expect(isNewer(known, frame('+', version, 0))).toBe(expected);
  });
});

describe('PresenceBook', () => {
  it.each<[string, Event[], boolean]>([
    ['an online frame', [frame('+', 10, 0)], true],
    ['online, then offline', [frame('+', 10, 0), frame('-', 11, 5)], false],
    ['a late offline after a newer online', [frame('+', 12, 10), frame('-', 11, 5)], true],
    ['a late online after a newer offline', [frame('-', 12, 10), frame('+', 11, 5)], false],
    // Time does not decide between frames: containers' clocks may disagree, the version's counter cannot.
    ['a higher version with an earlier clock', [frame('+', 11, 10), frame('-', 12, 9)], false],
    ['the same version twice', [frame('+', 11, 10), frame('-', 11, 20)], true],
    ['a reading that lists them', [staff(['tess'], 0)], true],
    ['a reading, then an older offline frame', [staff(['tess'], 10), frame('-', 11, 5)], true],
    ['a reading, then a newer offline frame', [staff(['tess'], 10), frame('-', 11, 15)], false],
    ['an offline frame decided at the reading’s own time', [staff(['tess'], 10), frame('-', 11, 10)], true],
    ['a newer online frame, then an older reading without them', [frame('+', 11, 15), staff([], 10)], true],
    ['an older online frame, then a newer reading without them', [frame('+', 11, 5), staff([], 10)], false],
    ['a newer reading, then an older cached one', [staff([], 20), staff(['tess'], 10)], false],
    [
      'a late frame after the reading that took in the newer one',
      [staff(['tess'], 20), frame('-', 11, 5)],
      true,
    ],
  ])('%s: online is %s', (_case, events, expected) => {
    const book = replay(events);
    expect(book.isOnline('tess')).toBe(expected);
    expect(book.onlineStaff()).toEqual(expected ? ['tess'] : []);
  });

  it.each<[string, Event[], boolean]>([
    ['a yes', [anyone(true, 0)], true],
    ['a no', [anyone(false, 0)], false],
    ['a no, then someone comes online after it', [anyone(false, 10), frame('+', 11, 15)], true],
    ['a no, then an online decided before it', [anyone(false, 10), frame('+', 11, 5)], false],
    // The answer names nobody: one agent's "offline" cannot say nobody else is online.
    ['a yes, then one agent goes offline', [anyone(true, 10), frame('-', 11, 15)], true],
    ['a yes, then an older no from another cache', [anyone(true, 20), anyone(false, 10)], true],
    ['frames only', [frame('+', 11, 0, 'sam'), frame('+', 11, 0), frame('-', 12, 1)], true],
    ['frames only, all offline', [frame('+', 11, 0), frame('-', 12, 1)], false],
    ['a customer coming online', [anyone(false, 10), frame('+', 11, 15, 'alice', 'customer')], false],
  ])('is anyone from support online, after %s: %s', (_case, events, expected) => {
    expect(replay(events).anyStaffOnline()).toBe(expected);
  });

  it('says whether it took a frame, so that only news is emitted', () => {
    const book = new PresenceBook();
    expect(book.takeFrame(frame('+', 12, 10))).toBe(true);
    expect(book.takeFrame(frame('-', 11, 5))).toBe(false);
    expect(book.takeFrame(frame('+', 12, 10))).toBe(false);
    expect(book.takeFrame(frame('-', 13, 20))).toBe(true);
  });

  it('keeps staff and customers with the same id apart', () => {
    const book = replay([frame('+', 11, 0, 'pat', 'customer'), frame('-', 11, 0, 'pat', 'staff')]);
    expect(book.isOnline('pat', 'customer')).toBe(true);
    expect(book.isOnline('pat', 'staff')).toBe(false);
  });

  it('takes a staff member seen writing as online, until a frame decided after that says otherwise', () => {
    const book = replay([anyone(false, 10)]);
    book.sawOnline('tess', 'staff', T + 20);
    expect(book.anyStaffOnline()).toBe(true);
    book.takeFrame(frame('-', 11, 15));
    expect(book.isOnline('tess')).toBe(true);
    book.takeFrame(frame('-', 12, 25));
    expect(book.isOnline('tess')).toBe(false);
  });
});
