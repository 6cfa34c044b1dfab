import { view } from '../domain/chat.js';
import type { ChatStore, RoomChanges } from '../domain/ports.js';
import type { Room } from '../domain/types.js';
import { frames } from '../protocol/frames.js';
import { queueSummaryJson } from '../protocol/json.js';
import type { Pusher, PushReport, Target } from './pusher.js';

/**
 * Frames stay under API Gateway's 128 KB post limit with room to spare; a batch of 100 records rarely comes
 * near it (a summary is about 700 bytes), but a larger configured batch could.
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
 * post). A batch costs one Query of the followers and one post per follower, whatever the number of messages in it; a message itself costs nothing per console.
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
    const followers: Target[] = (await this.store.queueFollowers()).map((socket) => ({
      ...socket,
      foundBy: [{ kind: 'queue' }],
    }));
    const now = this.now();
    const chunks = chunked(rooms, (room) => typistsOf(room, now));
    let delivered = 0;
    let failed = 0;
    const gone: string[] = [];
    for (const chunk of chunks) {
      const report = await this.pusher.send(followers, (target) =>
        frames.queueSummaries(chunk.map(({ room, typing }) => queueSummaryJson(view(room, target), typing))),
      );
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

/** Who is typing in a room now: whose last typing frame still stands. */
function typistsOf(room: Room, now: number): string[] {
  return [...(room.typingUntil ?? [])].filter(([, until]) => until > now).map(([userId]) => userId);
}

interface Summarized {
  readonly room: Room;
  readonly typing: readonly string[];
}

/** Splits the rooms so that each frame's JSON stays under the post limit (sized for the first follower). */
function chunked(rooms: readonly Room[], typingOf: (room: Room) => readonly string[]): Summarized[][] {
  const chunks: Summarized[][] = [];
  let current: Summarized[] = [];
  let size = 0;
  for (const room of rooms) {
    const entry = { room, typing: typingOf(room) };
    // Unread counts differ per follower by a few digits; the margin under 128 KB covers them.
    const bytes = Buffer.byteLength(
      JSON.stringify(queueSummaryJson({ ...room, unreadCount: 0 }, entry.typing)),
    );
    if (current.length > 0 && size + bytes > MAX_FRAME_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
