import { type BackoffOptions, backoffDelay } from './backoff.js';
import { ChatError } from './errors.js';
import type { ChatHttp } from './http.js';
import type { ClientFrame } from './wire.js';

/** How a connection proves who it is: a JWT, or a one-time ticket from `POST /api/chat/ws-ticket`. */
export type SocketAuth = { readonly token: string } | { readonly ticket: string };

/** The part of the WHATWG `WebSocket` the client uses; browsers, Node 22 and the `ws` package provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Authenticates every connection with a fresh one-time ticket: no long-lived JWT in a URL. */
export function ticketAuth(http: ChatHttp): () => Promise<SocketAuth> {
  return async () => ({ ticket: (await http.createWsTicket()).ticket });
}

/** Authenticates every connection with the current JWT (`?token=`), as the original clients did. */
export function tokenAuth(getToken: () => string | Promise<string>): () => Promise<SocketAuth> {
  return async () => ({ token: await getToken() });
}

export interface TransportOptions {
  readonly url: string;
  readonly auth: () => Promise<SocketAuth>;
  readonly WebSocket: WebSocketFactory;
  /** @default {@link HEARTBEAT_MS} */
  readonly heartbeatMs?: number | undefined;
  /** @default 20_000 */
  readonly pongTimeoutMs?: number | undefined;
  /** @default 15_000 */
  readonly connectTimeoutMs?: number | undefined;
  /** Reconnect delays. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions | undefined;
  /** @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** What the transport tells its owner. */
export interface TransportHandlers {
  /** A new socket is open: subscribe, resend. */
  open(): void;
  /** A text frame arrived. */
  frame(data: unknown): void;
  /** The socket is gone (dropped, unresponsive, closed by the server); a reconnect is scheduled. */
  lost(): void;
  state(event: {
    readonly state: ConnectionState;
    readonly attempt: number;
    readonly retryInMs?: number;
  }): void;
  error(error: ChatError): void;
}

const OPEN = 1;

/**
 * The default ping interval: well under API Gateway's 10-minute idle cut, and often enough that the server's
 * presence check (a staff socket whose client has sent nothing for 75 s is taken for dead, see
 * lambdas/push/presence.ts) never mistakes a live socket for a dead one. The ping is a two-way route that
 * touches no table.
 */
export const HEARTBEAT_MS = 30_000;

/**
 * One WebSocket at a time, kept alive: a fresh credential for every attempt, a handshake timeout, a ping
 * every `heartbeatMs` (under API Gateway's 10-minute idle cut) answered within `pongTimeoutMs`, and
 * reconnects after a full-jitter backoff whose attempt counter resets on the first frame a connection
 * receives. Knows nothing of rooms or messages.
 */
export class Transport {
  private ws: WebSocketLike | undefined;
  private stateValue: ConnectionState = 'idle';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {}

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Starts connecting; reconnects on its own from then on, until {@link close}. */
  connect(): void {
    if (this.stateValue !== 'idle') return;
    void this.open();
  }

  /** Skips the backoff delay; while open, checks the connection with a ping instead (see {@link probe}). */
  reconnectNow(): void {
    if (this.stateValue === 'open') {
      this.probe();
      return;
    }
    if (this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    void this.open();
  }

  /** Sends a frame if a socket is open; false if not (the caller sends it again after reconnecting). */
  write(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** Pings now, unless a ping already waits for its answer; no frame at all in time drops the connection. */
  probe(): void {
    const ws = this.ws;
    if (!ws || this.pongTimer !== undefined || !this.write({ type: 'ping' })) return;
    this.pongTimer = setTimeout(() => this.abandon(ws), this.options.pongTimeoutMs ?? 20_000);
  }

  /** Gives up on the current socket (it stopped answering) and reconnects. */
  drop(): void {
    if (this.ws) this.abandon(this.ws);
  }

  /** Closes for good: no reconnect, no `lost`. */
  close(): void {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    this.detach();
    ws?.close(1000, 'Client closed');
    this.setState('closed');
  }

  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private async open(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState(this.attempt === 0 && this.stateValue === 'idle' ? 'connecting' : 'reconnecting');
    let auth: SocketAuth;
    try {
      auth = await this.options.auth();
    } catch (error) {
      this.handlers.error(asChatError(error, 'auth_failed'));
      this.scheduleReconnect();
      return;
    }
    // close() may have been called while waiting for the credentials.
    if (this.isClosed()) return;
    const url = new URL(this.options.url);
    if ('ticket' in auth) url.searchParams.set('ticket', auth.ticket);
    else url.searchParams.set('token', auth.token);
    let ws: WebSocketLike;
    try {
      ws = new this.options.WebSocket(url.toString());
    } catch (error) {
      this.handlers.error(asChatError(error, 'connect_failed'));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => this.abandon(ws), this.options.connectTimeoutMs ?? 15_000);
    ws.onopen = () => {
      if (ws !== this.ws) return;
      clearTimeout(this.connectTimer);
      this.setState('open');
      this.startHeartbeat();
      // The first pong (or any frame) proves the connection works; only then is the backoff reset.
      this.write({ type: 'ping' });
      this.handlers.open();
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      // Any frame proves the socket alive, an API Gateway error frame that came instead of a pong included.
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      this.handlers.frame(event.data);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.lose();
    };
    ws.onerror = () => {
      // A close event follows every error; reconnecting is decided there.
    };
  }

  /** Gives up on a socket that stopped answering, without waiting for a close handshake that may never come. */
  private abandon(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.lose();
    try {
      ws.close(4000, 'Unresponsive');
    } catch {
      // Already closing.
    }
  }

  private lose(): void {
    this.detach();
    this.handlers.lost();
    this.scheduleReconnect();
  }

  private detach(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
      // A socket closed while still connecting reports an error (Node's ws throws it if nobody listens):
      // it is one we gave up on, so it has nothing left to say.
      ws.onerror = () => undefined;
    }
    clearTimeout(this.connectTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.pongTimer);
    this.heartbeatTimer = undefined;
    this.pongTimer = undefined;
  }

  private scheduleReconnect(): void {
    if (this.stateValue === 'closed' || this.reconnectTimer !== undefined) return;
    const delay = backoffDelay(this.attempt, this.options.backoff, this.options.random);
    this.attempt += 1;
    this.setState('reconnecting', delay);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || !this.write({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.abandon(ws), this.options.pongTimeoutMs ?? 20_000);
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
  }

  private setState(state: ConnectionState, retryInMs?: number): void {
    const changed = state !== this.stateValue || retryInMs !== undefined;
    this.stateValue = state;
    if (changed) {
      this.handlers.state({
        state,
        attempt: this.attempt,
        ...(retryInMs === undefined ? {} : { retryInMs }),
      });
    }
  }
}

export function asChatError(error: unknown, code: string): ChatError {
  if (error instanceof ChatError) return error;
  return new ChatError(code, error instanceof Error ? error.message : String(error));
}
