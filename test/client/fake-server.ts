import type { ChatHttp } from '../../client/http.js';
import { ChatSocket, type ChatSocketOptions, type WebSocketLike } from '../../client/socket.js';
import type { Message, Room, ServerFrame } from '../../client/wire.js';

/**
 * A scripted server for ChatSocket: the test pushes exactly the frames, in exactly the order, that the real
 * server may produce but a local stack produces only by chance (frames handled out of order, a hole in the
 * ids, a broadcast ahead of its ack).
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for a condition, checking every few milliseconds, for at most 5 s. */
export async function until(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await sleep(5)) {
    if (Date.now() - started > 5000) throw new Error('condition not met within 5 s');
  }
}
/** Waits until the `n`-th socket is the current one and has sent its subscribe. */
export const untilSubscribing = (sockets: FakeServerSocket[], n: number) =>
  until(() => sockets.length === n && sockets[n - 1]!.sent.some((f) => f.type === 'subscribe'));

export class FakeServerSocket implements WebSocketLike {
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  readonly sent: Record<string, unknown>[] = [];

  constructor(
    readonly url: string,
    sockets: FakeServerSocket[],
  ) {
    sockets.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 1);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.readyState = 3;
  }

  push(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** What the client sent, as `type` or `type:message_id`, pings left out. */
  frames(): string[] {
    return this.sent
      .filter((f) => f.type !== 'ping')
      .map((f) =>
        f.message_id === undefined ? String(f.type) : `${String(f.type)}:${String(f.message_id)}`,
      );
  }
}

export const ROOM = 'r1';

export function room(lastMessageId: number): Room {
  return {
    id: ROOM,
    room_type: 'general',
    subject: 's',
    status: 'open',
    customer_id: 'alice',
    customer_name: null,
    staff_ids: [],
    created_at: '2025-01-01T00:00:00.000Z',
    last_activity_at: '2025-01-01T00:00:00.000Z',
    closed_at: null,
    closed_by: null,
    assignee_id: null,
    assigned_at: null,
    last_message_id: lastMessageId,
    last_message: null,
    unread_count: 0,
    version: lastMessageId,
  };
}

export function message(id: number, overrides: Partial<Message> = {}): Message {
  return {
    id,
    room_id: ROOM,
    sender_id: 'sam',
    sender_role: 'staff',
    content: `m${id}`,
    created_at: '2025-01-01T00:00:00.000Z',
    client_message_id: null,
    ...overrides,
  };
}

export const subscribed = (lastMessageId: number, userId = 'alice'): ServerFrame => ({
  type: 'room',
  data: { event: 'subscribed', room_id: ROOM, user_id: userId, room: room(lastMessageId) },
});

export const clients: ChatSocket[] = [];

/** Closes every client {@link setup} made (call it in `afterEach`). */
export function closeClients(): void {
  for (const client of clients.splice(0)) client.close();
}

/** A ChatSocket whose history endpoint answers from `history()` and whose sockets the test drives. */
export function setup(history: () => Message[] = () => [], options: Partial<ChatSocketOptions> = {}) {
  const sockets: FakeServerSocket[] = [];
  let historyCalls = 0;
  const http = {
    listMessages: async (_roomId: string, query: { after?: number }) => {
      historyCalls += 1;
      return { results: history().filter((m) => m.id > (query.after ?? 0)), has_more: false };
    },
  } as unknown as ChatHttp;
  const client = new ChatSocket({
    url: 'ws://chat.invalid/',
    http,
    auth: async () => ({ ticket: 't' }),
    WebSocket: class extends FakeServerSocket {
      constructor(url: string) {
        super(url, sockets);
      }
    },
    gapCheckMs: 50,
    backoff: { baseMs: 10, maxMs: 10 },
    ...options,
  });
  clients.push(client);
  return {
    client,
    /** The current socket. */
    ws: () => {
      const ws = sockets.at(-1);
      if (!ws) throw new Error('not connected');
      return ws;
    },
    sockets,
    historyCalls: () => historyCalls,
  };
}

/** Connects and follows the room, answering the subscription with `lastMessageId`. */
export async function followed(t: ReturnType<typeof setup>, lastMessageId: number, after?: number) {
  t.client.connect();
  await sleep(10);
  const follow = t.client.follow(ROOM, after === undefined ? {} : { after });
  await sleep(5);
  t.ws().push(subscribed(lastMessageId));
  await follow;
}
