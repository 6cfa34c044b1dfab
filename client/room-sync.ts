/**
 * What a followed room has delivered, and what to do next: pure functions from the room's sync state and one
 * event to the next state and a decision. `ChatSocket` does the I/O (history requests, timers, events).
 *
 * The watermark says every id up to it has been delivered (or is a confirmed hole); `seen` holds delivered
 * ids above it, so a non-empty `seen` is an open gap. An id history shows missing twice (a send that failed
 * after taking its number) becomes a confirmed hole: it stops holding the watermark, yet is still delivered
 * should it show up later, live or in history (a resend that completed it), and history is asked about it
 * again a few times.
 */

/** How many times history is asked again about a confirmed hole, at later catch-ups and room checks. */
export const HOLE_RECHECKS = 5;
/** Confirmed holes remembered per room (newest kept): each is still delivered if it shows up. */
export const MAX_HOLES = 200;

export interface RoomSyncState {
  /** Every id up to here has been delivered or is a confirmed hole; undefined until known. */
  readonly watermark: number | undefined;
  /** Delivered ids above the watermark. */
  readonly seen: ReadonlySet<number>;
  /** Ids history showed missing once. */
  readonly suspected: ReadonlySet<number>;
  /** Confirmed holes (at or below the watermark), with how many history re-checks each has left. */
  readonly holes: ReadonlyMap<number, number>;
}

export type RoomSyncEvent =
  /** A message with this id arrived (live, through the queue, or from history). */
  | { readonly type: 'message'; readonly id: number }
  /** The server confirmed this socket's subscription; its room says `lastMessageId`. */
  | { readonly type: 'subscribed'; readonly lastMessageId: number }
  /** Some other answer carried the room (a `room` frame, a room check). */
  | { readonly type: 'room'; readonly lastMessageId: number }
  /** A pass over history after the watermark ended; `through` is the newest id it returned. */
  | { readonly type: 'history'; readonly through: number }
  /** History was asked about a confirmed hole and did not have it. */
  | { readonly type: 'hole_missing'; readonly id: number };

export interface RoomSyncDecision {
  readonly state: RoomSyncState;
  /** For `message`: emit it, drop it (known already), or hold it until the watermark is known. */
  readonly verdict?: 'deliver' | 'drop' | 'hold';
  /** Read history after the watermark now. */
  readonly catchUp: boolean;
  /** Ids above the watermark are missing: look again after a while. */
  readonly gapOpen: boolean;
  /** The room is complete up to its watermark. */
  readonly synced: boolean;
}

/** A room's state before its first subscription; `after` is the newest id the caller already has. */
export function initialSync(after?: number): RoomSyncState {
  return { watermark: after, seen: new Set(), suspected: new Set(), holes: new Map() };
}

/** The newest id delivered so far (0 when unknown). */
export function newestDelivered(state: RoomSyncState): number {
  return Math.max(state.watermark ?? 0, ...state.seen);
}

/** Confirmed holes history should be asked about again. */
export function holesToRecheck(state: RoomSyncState): number[] {
  return [...state.holes].filter(([, left]) => left > 0).map(([id]) => id);
}

export function step(state: RoomSyncState, event: RoomSyncEvent): RoomSyncDecision {
  switch (event.type) {
    case 'message':
      return onMessage(state, event.id);
    case 'subscribed': {
      const next = state.watermark === undefined ? { ...state, watermark: event.lastMessageId } : state;
      const behind = event.lastMessageId > (next.watermark ?? 0) || next.seen.size > 0;
      return decide(next, { catchUp: behind, synced: !behind });
    }
    case 'room': {
      // Before the first subscription's answer there is no watermark to compare with; the answer brings one.
      if (state.watermark === undefined) return decide(state, { catchUp: false, synced: false });
      return decide(state, { catchUp: event.lastMessageId > newestDelivered(state), synced: false });
    }
    case 'history':
      return onHistory(state, event.through);
    case 'hole_missing': {
      const left = state.holes.get(event.id);
      if (left === undefined) return decide(state, { catchUp: false, synced: false });
      const holes = new Map(state.holes);
      holes.set(event.id, Math.max(0, left - 1));
      return decide({ ...state, holes }, { catchUp: false, synced: false });
    }
  }
}

function onMessage(state: RoomSyncState, id: number): RoomSyncDecision {
  if (state.watermark === undefined) return decide(state, { verdict: 'hold', catchUp: false, synced: false });
  if (state.seen.has(id)) return decide(state, { verdict: 'drop', catchUp: false, synced: false });
  if (id <= state.watermark) {
    // Below the watermark only a confirmed hole that shows up after all is new.
    if (!state.holes.has(id)) return decide(state, { verdict: 'drop', catchUp: false, synced: false });
    const holes = new Map(state.holes);
    holes.delete(id);
    return decide({ ...state, holes }, { verdict: 'deliver', catchUp: false, synced: false });
  }
  const seen = new Set(state.seen).add(id);
  const suspected = new Set(state.suspected);
  suspected.delete(id);
  return decide(advance({ ...state, seen, suspected }), {
    verdict: 'deliver',
    catchUp: false,
    synced: false,
  });
}

function onHistory(state: RoomSyncState, through: number): RoomSyncDecision {
  const seen = new Set(state.seen);
  const suspected = new Set(state.suspected);
  const holes = new Map(state.holes);
  for (let id = (state.watermark ?? 0) + 1; id <= through; id++) {
    if (seen.has(id)) continue;
    if (suspected.delete(id)) {
      seen.add(id);
      holes.set(id, HOLE_RECHECKS);
    } else {
      suspected.add(id);
    }
  }
  while (holes.size > MAX_HOLES) holes.delete(Math.min(...holes.keys()));
  const next = advance({ ...state, seen, suspected, holes });
  return decide(next, { catchUp: false, synced: next.seen.size === 0 });
}

/** Moves the watermark over the delivered ids right above it. */
function advance(state: RoomSyncState): RoomSyncState {
  let watermark = state.watermark ?? 0;
  if (!state.seen.has(watermark + 1)) return state;
  const seen = new Set(state.seen);
  while (seen.delete(watermark + 1)) watermark += 1;
  return { ...state, watermark, seen };
}

function decide(
  state: RoomSyncState,
  decision: { verdict?: 'deliver' | 'drop' | 'hold'; catchUp: boolean; synced: boolean },
): RoomSyncDecision {
  return { state, ...decision, gapOpen: state.seen.size > 0 };
}
