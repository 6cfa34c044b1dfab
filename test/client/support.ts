import WebSocket from 'ws';
import { ChatHttp } from '../../client/http.js';
import {
  ChatSocket,
  type ChatSocketEvents,
  type ChatSocketOptions,
  type SocketAuth,
  ticketAuth,
  type WebSocketLike,
} from '../../client/socket.js';
import type { Message, RoomSummary, ServerFrame } from '../../client/wire.js';
import type { LocalStack } from '../../local/stack.js';

/**
 * What a test may do with a frame on its way to the client: deliver it, drop it, hold it back (ms), or
 * deliver it twice (now and again 50 ms later).
 */
export type Verdict = 'deliver' | 'drop' | 'twice' | number;

/**
 * A `WebSocketLike` over the `ws` package that records what the client sends and lets a test drop or delay
 * frames the server sends: the faults of a flaky network, on a real socket.
 */
export function wiretap(inspect: (frame: ServerFrame) => Verdict = () => 'deliver') {
  const sent: Record<string, unknown>[] = [];
  const sockets: WebSocket[] = [];
  class Tapped implements WebSocketLike {
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    private readonly inner: WebSocket;
    constructor(url: string) {
      this.inner = new WebSocket(url);
      sockets.push(this.inner);
      this.inner.onopen = (event) => this.onopen?.(event);
      this.inner.onclose = (event) => this.onclose?.(event);
      this.inner.onerror = (event) => this.onerror?.(event);
      this.inner.onmessage = (event) => {
        const verdict = inspect(JSON.parse(String(event.data)) as ServerFrame);
        if (verdict === 'drop') return;
        if (verdict === 'deliver' || verdict === 'twice') this.onmessage?.(event);
        if (verdict === 'twice') setTimeout(() => this.onmessage?.(event), 50);
        else if (typeof verdict === 'number') setTimeout(() => this.onmessage?.(event), verdict);
      };
    }
    get readyState() {
      return this.inner.readyState;
    }
    send(data: string) {
      sent.push(JSON.parse(data) as Record<string, unknown>);
      this.inner.send(data);
    }
    close(code?: number, reason?: string) {
      this.inner.close(code, reason);
    }
  }
  return { WebSocket: Tapped, sent, sockets };
}

/** A door a test opens when it is ready: `auth` callbacks wait at it to keep a client offline on purpose. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

export interface TestUser {
  readonly userId: string;
  readonly token: string;
  readonly http: ChatHttp;
  socket(options?: Partial<ChatSocketOptions>): ChatSocket;
}

export async function user(stack: LocalStack, userId: string, staff = false): Promise<TestUser> {
  const token = await stack.issuer.mint({ userId, staff });
  const http = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => token });
  const sockets: ChatSocket[] = [];
  return {
    userId,
    token,
    http,
    socket(options = {}) {
      const socket = new ChatSocket({
        url: stack.wsUrl,
        http,
        auth: ticketAuth(http),
        WebSocket: WebSocket as unknown as ChatSocketOptions['WebSocket'],
        backoff: { baseMs: 50, maxMs: 500 },
        ...options,
      });
      sockets.push(socket);
      return socket;
    },
  };
}

/** An `auth` that hands out tickets, but waits at `door` from the `from`-th call on. */
export function gatedAuth(http: ChatHttp, door: Promise<void>, from = 2): () => Promise<SocketAuth> {
  let calls = 0;
  const auth = ticketAuth(http);
  return async () => {
    calls += 1;
    if (calls >= from) await door;
    return auth();
  };
}

/** Collects a socket's `message` events. */
export function inbox(socket: ChatSocket): Message[] {
  const messages: Message[] = [];
  socket.on('message', (message) => messages.push(message));
  return messages;
}

/** Collects a socket's staff queue summaries (`queue_rooms` events), in the order they came. */
export function summaries(socket: ChatSocket): RoomSummary[] {
  const rooms: RoomSummary[] = [];
  socket.on('queue_rooms', (event) => rooms.push(...event.rooms));
  return rooms;
}

/** Polls until `check` passes (it throws or returns false until then). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves on the socket's next event of that type that passes `match`. */
export function next<K extends keyof ChatSocketEvents>(
  socket: ChatSocket,
  type: K,
  match: (event: ChatSocketEvents[K]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<ChatSocketEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = socket.on(type, (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

/** Connection ids that appeared between two snapshots of the gateway. */
export function newConnections(stack: LocalStack, before: readonly string[]): string[] {
  return stack.webSocket.connectionIds().filter((id) => !before.includes(id));
}
