import { describe, expect, it } from 'vitest';
import type { Room } from '../../client/wire.js';
import {
  assigneeOf,
  byLongestWaiting,
  staffSenderName,
  waited,
  waitingSince,
} from '../../web/console/assignment.js';
import { NameBook } from '../../web/shared/names.js';

const at = (iso: string) => Date.parse(iso);

describe('how long an unassigned room has waited', () => {
  it.each([
    ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:59.000Z', 'under a minute'],
    ['2026-12-01T10:00:00.000Z', '2026-12-01T10:04:30.000Z', '4 min'],
    ['2026-12-01T10:00:00.000Z', '2026-12-01T12:00:00.000Z', '2 h'],
    ['2026-12-01T10:00:00.000Z', '2026-12-01T12:05:00.000Z', '2 h 5 min'],
    // A clock a little behind the server's: never a negative wait.
    ['2026-12-01T10:00:10.000Z', '2026-12-01T10:00:00.000Z', 'under a minute'],
  ])('since %s, at %s: %s', (since, now, shown) => {
    expect(waited(since, at(now))).toBe(shown);
  });

  it('counts from when the room was last unassigned, else from when it was opened', () => {
    expect(waitingSince({ created_at: 'a', assigned_at: null })).toBe('a');
    expect(waitingSince({ created_at: 'a', assigned_at: 'b' })).toBe('b');
  });

  it('puts the longest-waiting room first', () => {
    const room = (id: string, created_at: string, assigned_at: string | null) =>
      ({ id, created_at, assigned_at }) as Room;
    const rooms = [
      room('new', '2026-12-01T10:05:00.000Z', null),
      room('put back', '2026-12-01T09:00:00.000Z', '2026-12-01T10:06:00.000Z'),
      room('old', '2026-12-01T10:01:00.000Z', null),
    ];
    expect(rooms.sort(byLongestWaiting).map((r) => r.id)).toEqual(['old', 'new', 'put back']);
  });

  it('reads a room without assignee_id (an older server) as nobody having it', () => {
    expect(assigneeOf({} as Room)).toBeNull();
    expect(assigneeOf({ assignee_id: 'sam' } as Room)).toBe('sam');
  });
});

describe('who is marked as helping', () => {
  const app = { names: new NameBook() };
  const room = { assignee_id: 'tess', assigned_at: '2026-12-01T10:05:00.000Z' };
  const at = (sender_id: string, created_at?: string) => ({
    sender_id,
    ...(created_at ? { created_at } : {}),
  });

  it.each([
    ['a colleague, since the assignee got the room', at('sam', '2026-12-01T10:06:00.000Z'), 'sam (helping)'],
    ['the assignee', at('tess', '2026-12-01T10:06:00.000Z'), 'tess (staff)'],
    // Sam had the room then, and transferred it to Tess: his answer was not help.
    ['a colleague, before the assignee got the room', at('sam', '2026-12-01T10:01:00.000Z'), 'sam (staff)'],
    ['a colleague typing now', at('sam'), 'sam (helping)'],
  ])('%s', (_, message, shown) => {
    expect(staffSenderName(app, room, message)).toBe(shown);
  });

  it('marks nobody while nobody has the room', () => {
    expect(staffSenderName(app, { assignee_id: null, assigned_at: null }, at('sam'))).toBe('sam (staff)');
  });
});
