import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatError } from '../../client/errors.js';
import { readFrame } from '../../client/frames.js';
import {
  currentSummaries,
  isNewer,
  isStale,
  QUEUE_TYPING_MS,
  summaryRoom,
} from '../../client/queue-summaries.js';
import type { ChatSocketEvents } from '../../client/socket.js';
import type { RoomSummary, ServerFrame } from '../../client/wire.js';
import { closeClients, message, room, setup } from './fake-server.js';

/** A room summary as a `queue` frame carries it; `version` orders the summaries of one room. */
function summary(id: string, version: number, overrides: Partial<RoomSummary> = {}): RoomSummary {
  return {
    ...room(version),
    id,
    version,
    last_message_id: version,
    reads: {},
    typing: [],
    ...overrides,
  };
}

const queueFrame = (...rooms: RoomSummary[]): ServerFrame => ({ type: 'queue', data: { rooms } });
/** `id@version`, and `:typists` when someone types. */
const versions = (rooms: readonly RoomSummary[]) =>
  rooms.map((r) => `${r.id}@${r.version}${r.typing.length > 0 ? `:${r.typing.join(',')}` : ''}`);

describe('isNewer', () => {
  it.each([
    { version: 1, known: undefined, newer: true, why: 'the first snapshot of a room' },
    { version: 0, known: undefined, newer: true, why: 'the first snapshot, at version 0' },
    { version: 5, known: 4, newer: true, why: 'a later write' },
    { version: 4, known: 4, newer: false, why: 'the same write again (a redelivered frame)' },
    { version: 3, known: 4, newer: false, why: 'an older write (a retried batch, a late HTTP answer)' },
  ])('says $newer for version $version when $known is known: $why', ({ version, known, newer }) => {
    expect(isNewer(version, known)).toBe(newer);
  });
});

describe('isStale', () => {
  it.each([
    { version: 1, known: undefined, stale: false, why: 'the first summary of a room' },
    { version: 5, known: 4, stale: false, why: 'a later write' },
    { version: 4, known: 4, stale: false, why: 'the same room, perhaps a new typing list' },
    { version: 3, known: 4, stale: true, why: 'an older write (a retried batch)' },
  ])('says $stale for version $version when $known is known: $why', ({ version, known, stale }) => {
    expect(isStale(version, known)).toBe(stale);
  });
});

describe('currentSummaries', () => {
  const known = new Map([
    ['a', 3],
    ['b', 7],
  ]);
  it.each([
    { name: 'keeps a newer summary', rooms: [summary('a', 4)], kept: ['a@4'] },
    { name: 'keeps one at the known version (typing only)', rooms: [summary('a', 3)], kept: ['a@3'] },
    { name: 'drops an older one', rooms: [summary('b', 6)], kept: [] },
    { name: 'keeps a room never seen', rooms: [summary('c', 1)], kept: ['c@1'] },
    {
      name: 'keeps the highest of a room listed twice',
      rooms: [summary('a', 5), summary('a', 9), summary('a', 6)],
      kept: ['a@9'],
    },
    {
      name: 'keeps the later of equal versions',
      rooms: [summary('a', 5), summary('a', 5, { typing: ['x'] })],
      kept: ['a@5:x'],
    },
    {
      name: 'keeps frame order across rooms',
      rooms: [summary('c', 1), summary('b', 6), summary('a', 4)],
      kept: ['c@1', 'a@4'],
    },
  ])('$name', ({ rooms, kept }) => {
    expect(versions(currentSummaries(rooms, (id) => known.get(id)))).toEqual(kept);
  });

  it('strips the queue’s extras off the room', () => {
    const { reads: _reads, typing: _typing, ...plain } = summary('a', 2, { reads: { x: 1 }, typing: ['x'] });
    expect(summaryRoom(summary('a', 2, { reads: { x: 1 }, typing: ['x'] }))).toEqual(plain);
  });
});

describe('readFrame on a queue frame', () => {
  const good = summary('a', 2, { reads: { alice: 2, sam: 1 }, typing: ['alice'] });
  const raw = (rooms: unknown) => JSON.stringify({ type: 'queue', data: { rooms } });

  it('reads well-formed summaries as they are', () => {
    expect(readFrame(raw([good]))).toEqual({ kind: 'frame', frame: queueFrame(good) });
  });

  it.each([
    { name: 'no rooms array', data: '{"type":"queue","data":{}}' },
    { name: 'no data', data: '{"type":"queue"}' },
    { name: 'rooms not an array', data: '{"type":"queue","data":{"rooms":{}}}' },
  ])('reads a frame with $name as invalid', ({ data }) => {
    const read = readFrame(data);
    expect(read.kind).toBe('invalid');
    expect(read.kind === 'invalid' && read.error).toMatchObject({ code: 'invalid_frame' });
  });

  it.each([
    { name: 'without a version', entry: { ...good, version: undefined }, reason: '`version` is missing' },
    { name: 'with a text version', entry: { ...good, version: '3' }, reason: '`version` is malformed' },
    { name: 'with an unknown status', entry: { ...good, status: 'gone' }, reason: '`status` is malformed' },
    { name: 'with a bad read pointer', entry: { ...good, reads: { a: -1 } }, reason: '`reads` is malformed' },
    { name: 'with typing not a list', entry: { ...good, typing: 'alice' }, reason: '`typing` is malformed' },
    {
      name: 'with a preview lacking its text',
      entry: { ...good, last_message: { id: 2, sender_id: 'a', sender_role: 'customer', created_at: '' } },
      reason: '`last_message` is malformed',
    },
    { name: 'that is no object', entry: 42, reason: 'not an object' },
  ])('leaves out a summary $name and keeps the rest, saying why', ({ entry, reason }) => {
    const read = readFrame(raw([entry, good]));
    expect(read.kind === 'frame' && read.frame).toEqual(queueFrame(good));
    expect(read.kind === 'frame' && read.invalid?.message).toBe(
      `Ignored in a queue frame: rooms[0]: ${reason}`,
    );
  });
});

describe('ChatSocket following the queue, against a scripted server', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    closeClients();
    vi.useRealTimers();
  });

  /** A client that follows the queue, with every queue event it emitted. */
  async function following(history: Parameters<typeof setup>[0] = () => []) {
    const t = setup(history);
    const rooms: string[][] = [];
    const typing: string[] = [];
    const errors: ChatError[] = [];
    t.client.on('queue_rooms', (e: ChatSocketEvents['queue_rooms']) => rooms.push(versions(e.rooms)));
    t.client.on('queue_typing', (e) => typing.push(`${e.roomId}:${e.userIds.join(',')}`));
    t.client.on('error', (e) => errors.push(e));
    t.client.connect();
    await vi.advanceTimersByTimeAsync(10);
    const confirmed = t.client.followQueue();
    await vi.advanceTimersByTimeAsync(1);
    t.ws().push({ type: 'room', data: { event: 'subscribed', queue: true, user_id: 'sam' } });
    await confirmed;
    return { ...t, rooms, typing, errors };
  }

  it('reports each room’s summaries in version order, an older one never', async () => {
    const t = await following();
    t.ws().push(queueFrame(summary('a', 2), summary('b', 5)));
    t.ws().push(queueFrame(summary('a', 1), summary('b', 6))); // a's older write came late, in a retried batch
    t.ws().push(queueFrame(summary('a', 3)));
    t.ws().push(queueFrame(summary('b', 4), summary('a', 2)));
    expect(t.rooms).toEqual([['a@2', 'b@5'], ['b@6'], ['a@3']]);
    expect(t.errors).toEqual([]);
  });

  it('takes a typing change, which leaves the room’s version as it was', async () => {
    const t = await following();
    t.ws().push(queueFrame(summary('a', 2)));
    t.ws().push(queueFrame(summary('a', 2, { typing: ['alice'] })));
    t.ws().push(queueFrame(summary('a', 2)));
    expect(t.rooms).toEqual([['a@2'], ['a@2:alice'], ['a@2']]);
    expect(t.typing).toEqual(['a:alice', 'a:']);
  });

  it('shows who types until the room’s next summary, or for 6 s at most', async () => {
    const t = await following();
    t.ws().push(queueFrame(summary('a', 1, { typing: ['alice'] })));
    expect(t.typing).toEqual(['a:alice']);
    await vi.advanceTimersByTimeAsync(QUEUE_TYPING_MS - 1_000);
    // Still typing: the next summary lists alice again, so the 6 s start over, and nothing changed.
    t.ws().push(queueFrame(summary('a', 2, { typing: ['alice'] })));
    await vi.advanceTimersByTimeAsync(QUEUE_TYPING_MS - 1);
    expect(t.typing).toEqual(['a:alice']);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.typing).toEqual(['a:alice', 'a:']);

    // A summary that lists nobody ends it at once; an older one listing someone is ignored.
    t.ws().push(queueFrame(summary('a', 4, { typing: ['alice', 'bob'] })));
    t.ws().push(queueFrame(summary('a', 3, { typing: ['carol'] })));
    t.ws().push(queueFrame(summary('a', 5)));
    expect(t.typing).toEqual(['a:alice', 'a:', 'a:alice,bob', 'a:']);
    await vi.advanceTimersByTimeAsync(QUEUE_TYPING_MS * 2);
    expect(t.typing).toHaveLength(4);
  });

  it('reports a new room, then its close, and never brings it back from an older summary', async () => {
    const t = await following();
    t.ws().push(queueFrame(summary('new', 1, { typing: ['alice'] })));
    t.ws().push(queueFrame(summary('new', 3, { status: 'closed', closed_by: 'sam', typing: ['alice'] })));
    // A retried batch from before the close.
    t.ws().push(queueFrame(summary('new', 2)));
    expect(t.rooms).toEqual([['new@1:alice'], ['new@3:alice']]);
    // Nobody types in a closed room.
    expect(t.typing).toEqual(['new:alice', 'new:']);
  });

  it('takes summaries only while the queue is followed, and ends typing when it is not', async () => {
    const t = await following();
    t.ws().push(queueFrame(summary('a', 1, { typing: ['alice'] })));
    t.client.unfollowQueue();
    expect(t.typing).toEqual(['a:alice', 'a:']);
    t.ws().push(queueFrame(summary('a', 2)));
    expect(t.rooms).toEqual([['a@1:alice']]);
    await vi.advanceTimersByTimeAsync(QUEUE_TYPING_MS);
    expect(t.typing).toHaveLength(2);
  });

  it('says so of a malformed summary, and keeps the rest of its frame', async () => {
    const t = await following();
    const broken = { ...summary('bad', 1), version: null } as unknown as RoomSummary;
    t.ws().push(queueFrame(broken, summary('a', 1)));
    expect(t.rooms).toEqual([['a@1']]);
    expect(t.errors.map((e) => [e.code, e.message])).toEqual([
      ['invalid_frame', 'Ignored in a queue frame: rooms[0]: `version` is malformed'],
    ]);
  });

  it('catches up a followed room when its summary names a newer message than was pushed', async () => {
    const store = [message(1), message(2)];
    const t = await following(() => store);
    const got: number[] = [];
    t.client.on('message', (m) => got.push(m.id));
    const follow = t.client.follow('r1', { after: 1 });
    await vi.advanceTimersByTimeAsync(1);
    t.ws().push({
      type: 'room',
      data: { event: 'subscribed', room_id: 'r1', user_id: 'sam', room: room(1) },
    });
    await follow;
    const calls = t.historyCalls();
    // Message 2's push never came; the queue's summary names it.
    t.ws().push(queueFrame(summary('r1', 4, { last_message_id: 2 })));
    await vi.advanceTimersByTimeAsync(10);
    expect(got).toEqual([2]);
    expect(t.historyCalls()).toBe(calls + 1);
    expect(t.rooms).toEqual([['r1@4']]);
  });
});
