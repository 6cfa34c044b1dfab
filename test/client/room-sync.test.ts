import { describe, expect, it } from 'vitest';
import {
  HOLE_RECHECKS,
  holesToRecheck,
  initialSync,
  newestDelivered,
  type RoomSyncDecision,
  type RoomSyncEvent,
  type RoomSyncState,
  step,
} from '../../client/room-sync.js';

const message = (id: number): RoomSyncEvent => ({ type: 'message', id });
const subscribed = (lastMessageId: number): RoomSyncEvent => ({ type: 'subscribed', lastMessageId });
const room = (lastMessageId: number): RoomSyncEvent => ({ type: 'room', lastMessageId });
const history = (through: number): RoomSyncEvent => ({ type: 'history', through });
const holeMissing = (id: number): RoomSyncEvent => ({ type: 'hole_missing', id });

/** Runs events from a start state; returns every decision and the end state. */
function run(events: readonly RoomSyncEvent[], start: RoomSyncState = initialSync(0)) {
  const decisions: RoomSyncDecision[] = [];
  let state = start;
  for (const event of events) {
    const decision = step(state, event);
    decisions.push(decision);
    state = decision.state;
  }
  return { decisions, state, last: decisions.at(-1) as RoomSyncDecision };
}

/** A readable summary of a state. */
const summary = (state: RoomSyncState) => ({
  watermark: state.watermark,
  seen: [...state.seen].sort((a, b) => a - b),
  suspected: [...state.suspected].sort((a, b) => a - b),
  holes: [...state.holes.keys()].sort((a, b) => a - b),
});

describe('room sync', () => {
  it.each([
    { name: 'delivers the next id and moves the watermark', events: [message(1)], verdicts: ['deliver'] },
    { name: 'drops an id it delivered', events: [message(1), message(1)], verdicts: ['deliver', 'drop'] },
    {
      name: 'drops an id above the watermark it delivered',
      events: [message(3), message(3)],
      verdicts: ['deliver', 'drop'],
    },
    {
      name: 'drops an id at or below the watermark',
      events: [message(1), message(0)],
      verdicts: ['deliver', 'drop'],
    },
    {
      name: 'delivers ids out of order once each',
      events: [message(2), message(1), message(2)],
      verdicts: ['deliver', 'deliver', 'drop'],
    },
  ])('$name', ({ events, verdicts }) => {
    expect(run(events).decisions.map((d) => d.verdict)).toEqual(verdicts);
  });

  it.each([
    { events: [message(1), message(2)], watermark: 2, seen: [], gapOpen: false },
    { events: [message(1), message(3)], watermark: 1, seen: [3], gapOpen: true },
    { events: [message(1), message(3), message(2)], watermark: 3, seen: [], gapOpen: false },
    { events: [message(4), message(2)], watermark: 0, seen: [2, 4], gapOpen: true },
  ])('keeps watermark $watermark and seen $seen after $events.length messages', ({ events, ...want }) => {
    const { state, last } = run(events);
    expect(summary(state)).toMatchObject({ watermark: want.watermark, seen: want.seen });
    expect(last.gapOpen).toBe(want.gapOpen);
  });

  it('holds messages until the first subscription brings a watermark, then decides', () => {
    const { decisions, state } = run([message(5), subscribed(4), message(5), message(4)], initialSync());
    expect(decisions.map((d) => d.verdict)).toEqual(['hold', undefined, 'deliver', 'drop']);
    expect(state.watermark).toBe(5);
  });

  it.each([
    { name: 'up to date', start: 3, last: 3, catchUp: false, synced: true },
    { name: 'behind the room', start: 3, last: 5, catchUp: true, synced: false },
    {
      name: 'ahead of the answer (it was read before a send)',
      start: 6,
      last: 5,
      catchUp: false,
      synced: true,
    },
  ])('decides on a subscription answer when $name', ({ start, last, catchUp, synced }) => {
    const { last: decision } = run([subscribed(last)], initialSync(start));
    expect({ catchUp: decision.catchUp, synced: decision.synced }).toEqual({ catchUp, synced });
  });

  it('catches up on a subscription answer while a gap is open, even if the room says nothing newer', () => {
    const { last } = run([message(1), message(3), subscribed(3)]);
    expect(last.catchUp).toBe(true);
  });

  it('takes the room’s own last id as the watermark when the caller gave none', () => {
    const { state, last } = run([subscribed(7)], initialSync());
    expect(state.watermark).toBe(7);
    expect(last.synced).toBe(true);
  });

  it.each([
    { name: 'names a message newer than any delivered', events: [message(1), room(2)], catchUp: true },
    { name: 'names the newest delivered', events: [message(1), room(1)], catchUp: false },
    { name: 'names an id delivered above a gap', events: [message(1), message(3), room(3)], catchUp: false },
    { name: 'names an older message', events: [message(1), message(2), room(1)], catchUp: false },
  ])('catches up when another answer carrying the room $name', ({ events, catchUp }) => {
    expect(run(events).last.catchUp).toBe(catchUp);
  });

  it('ignores what other answers say before the watermark is known', () => {
    const { last, state } = run([room(9)], initialSync());
    expect(last.catchUp).toBe(false);
    expect(state.watermark).toBeUndefined();
  });

  it.each([
    {
      name: 'suspects an id history shows missing once',
      events: [message(1), message(3), history(3)],
      want: { watermark: 1, seen: [3], suspected: [2], holes: [] },
      gapOpen: true,
      synced: false,
    },
    {
      name: 'confirms a hole when history shows it missing twice, and moves on',
      events: [message(1), message(3), history(3), history(3)],
      want: { watermark: 3, seen: [], suspected: [], holes: [2] },
      gapOpen: false,
      synced: true,
    },
    {
      name: 'clears a suspicion when the id arrives',
      events: [message(1), message(3), history(3), message(2)],
      want: { watermark: 3, seen: [], suspected: [], holes: [] },
      gapOpen: false,
      // A message alone does not say the room is complete: the catch-up that follows does.
      synced: false,
    },
    {
      name: 'confirms each of several holes',
      events: [message(4), history(4), history(4)],
      want: { watermark: 4, seen: [], suspected: [], holes: [1, 2, 3] },
      gapOpen: false,
      synced: true,
    },
  ])('$name', ({ events, want, gapOpen, synced }) => {
    const { state, last } = run(events);
    expect(summary(state)).toEqual(want);
    expect(last.gapOpen).toBe(gapOpen);
    expect(last.synced).toBe(synced);
  });

  it('still delivers a confirmed hole that shows up later, once', () => {
    const { decisions, state } = run([
      message(3),
      history(3),
      history(3),
      message(5),
      message(4),
      message(2),
      message(2),
    ]);
    expect(decisions.slice(-2).map((d) => d.verdict)).toEqual(['deliver', 'drop']);
    expect(summary(state)).toEqual({ watermark: 5, seen: [], suspected: [], holes: [1] });
  });

  it('asks history again about a confirmed hole a bounded number of times, and still accepts it after', () => {
    const confirmed = run([message(2), history(2), history(2)]).state;
    expect(holesToRecheck(confirmed)).toEqual([1]);
    const misses = Array.from({ length: HOLE_RECHECKS }, () => holeMissing(1));
    const { state } = run(misses, confirmed);
    expect(holesToRecheck(state)).toEqual([]);
    expect(step(state, message(1)).verdict).toBe('deliver');
  });

  it('reports the newest delivered id, above a gap too', () => {
    expect(newestDelivered(run([message(1), message(4)]).state)).toBe(4);
    expect(newestDelivered(initialSync())).toBe(0);
  });
});
