import type { ChatStore, RoomChanges } from '../domain/ports.js';
import { type Room, unreadCount } from '../domain/types.js';
import { frames } from '../protocol/frames.js';
import { queueSummaryJson } from '../protocol/json.js';
import { type Pusher, type PushReport, SerializedFrame, type Target } from './pusher.js';

/**
 * Frames stay under API Gateway's 128 KB post limit with room to spare: about 140 summaries of ~700 bytes.
 * A batch that changes more rooms than that (up to 1,000 records) gets a frame per 96 KB.
 */
const MAX_FRAME_BYTES = 96 * 1024;

export interface QueueReport extends PushReport {
  readonly rooms: number;
  readonly followers: number;
  readonly frames: number;
}

/**
 * The staff queue, off the request path: turns what one batch of the table's stream says about rooms into
 * one `queue` frame per socket that follows the queue (more only when the summaries would not fit in one
 * post). A batch costs one Query of the followers and one post per follower, whatever the number of messages
 * in it; a message itself costs nothing per console.
 */
export class QueueSummaries {
  constructor(
    private readonly store: ChatStore,
    private readonly pusher: Pusher,
    private readonly now: () => number = Date.now,
  ) {}

  async publish(changes: RoomChanges): Promise<QueueReport> {
    const rooms = [...changes.rooms.values()];
    if (rooms.length === 0) return { rooms: 0, followers: 0, frames: 0, delivered: 0, gone: [], failed: 0 };
    // Only staff can follow the queue (followQueue refuses anyone else); checked again where it matters.
    const followers: Target[] = (await this.store.queueFollowers())
      .filter((socket) => socket.role === 'staff')
      .map((socket) => ({ ...socket, foundBy: [{ kind: 'queue' }] }));
    const chunks = chunked(summaryParts(rooms, this.now()));
    let delivered = 0;
    let failed = 0;
    const gone: string[] = [];
    for (const chunk of chunks) {
      const frameOf = framePerUser(chunk);
      const report = await this.pusher.send(followers, (target) => frameOf(target.userId));
      delivered += report.delivered;
      failed += report.failed;
      gone.push(...report.gone);
    }
    return {
      rooms: rooms.length,
      followers: followers.length,
      frames: followers.length * chunks.length,
      delivered,
      failed,
      gone,
    };
  }
}

/** Where a follower's own unread count goes in a summary serialized once for everyone. */
const UNREAD_SLOT = ',"unread_count":0,';

/** One room's summary as JSON, split where each follower's own unread count goes. */
interface SummaryParts {
  readonly room: Room;
  readonly before: string;
  readonly after: string;
  /** UTF-8 bytes of the whole summary (with a one-digit count). */
  readonly bytes: number;
}

/**
 * Serializes each room's summary once, with an unread count of 0, and splits it at that count. JSON escapes
 * every `"` inside a string as `\"`, so `,"unread_count":0,` occurs only as the key itself.
 */
function summaryParts(rooms: readonly Room[], now: number): SummaryParts[] {
  return rooms.map((room) => {
    const json = JSON.stringify(queueSummaryJson({ ...room, unreadCount: 0 }, typistsOf(room, now)));
    const at = json.indexOf(UNREAD_SLOT);
    if (at < 0 || json.indexOf(UNREAD_SLOT, at + 1) >= 0)
      throw new Error('A summary without one unread slot');
    return {
      room,
      before: json.slice(0, at),
      after: json.slice(at + UNREAD_SLOT.length),
      bytes: Buffer.byteLength(json),
    };
  });
}

/**
 * The chunk's frame for each follower, joined from the parts around that user's own unread count (one frame
 * per user, whatever their number of sockets). With F followers and R rooms a batch costs R serializations
 * and F string joins, not F × R serializations (500 consoles × 1,000 rooms took 3.7 s of CPU that way).
 */
function framePerUser(chunk: readonly SummaryParts[]): (userId: string) => SerializedFrame {
  const [head, tail] = JSON.stringify(frames.queueSummaries([])).split('[]') as [string, string];
  const byUser = new Map<string, SerializedFrame>();
  return (userId) => {
    let frame = byUser.get(userId);
    if (!frame) {
      const rooms = chunk.map(
        ({ room, before, after }) => `${before},"unread_count":${unreadCount(room, userId)},${after}`,
      );
      frame = new SerializedFrame(`${head}[${rooms.join(',')}]${tail}`);
      byUser.set(userId, frame);
    }
    return frame;
  };
}

/** Who is typing in a room now: whose last typing frame still stands. */
function typistsOf(room: Room, now: number): string[] {
  return [...(room.typingUntil ?? [])].filter(([, until]) => until > now).map(([userId]) => userId);
}

/**
 * Splits the summaries so that each frame's JSON stays under the post limit; unread counts differ per
 * follower by a few digits, which the margin under 128 KB covers.
 */
function chunked(parts: readonly SummaryParts[]): SummaryParts[][] {
  const chunks: SummaryParts[][] = [];
  let current: SummaryParts[] = [];
  let size = 0;
  for (const part of parts) {
    if (current.length > 0 && size + part.bytes > MAX_FRAME_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(part);
    size += part.bytes + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
