import WebSocket from 'ws';
import type { LocalStack } from '../../local/stack.js';

export interface Frame {
  type: string;
  data: any;
}

/**
 * A test client for the WebSocket API: records every frame and lets a test wait for the next one that
 * matches, with a deadline, so a missing frame fails the test instead of hanging it.
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  private consumed = new Set<Frame>();

  private constructor(
    readonly ws: WebSocket,
    readonly connectionId: string,
  ) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      this.frames.push(frame);
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.consumed.add(frame);
        waiter.resolve(frame);
      }
    });
  }

  /** Opens a socket; resolves once the gateway has run `$connect`. */
  static async open(stack: LocalStack, query: Record<string, string>): Promise<TestSocket> {
    const before = new Set(stack.webSocket.connectionIds());
    const url = `${stack.wsUrl}?${new URLSearchParams(query)}`;
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new HandshakeError(res.statusCode ?? 0)));
      ws.once('error', reject);
    });
    const id = stack.webSocket.connectionIds().find((candidate) => !before.has(candidate));
    if (!id) throw new Error('connection id not found');
    return new TestSocket(ws, id);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (received or to come) of `type` that matches and no earlier wait took. */
  next(type: string, match: (data: any) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const test = (frame: Frame) => frame.type === type && match(frame.data);
    const seen = this.frames.find((frame) => !this.consumed.has(frame) && test(frame));
    if (seen) {
      this.consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = { match: test, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
    });
  }

  /** Frames of `type` received so far. */
  all(type: string): Frame[] {
    return this.frames.filter((frame) => frame.type === type);
  }

  /**
   * Sends a ping and waits for its pong. Frames of one socket are handled concurrently (as in AWS), so this
   * is a round trip through the gateway, not a barrier behind frames sent before it.
   */
  async roundTrip(): Promise<void> {
    const count = this.all('pong').length;
    this.send({ type: 'ping' });
    await this.next('pong', () => this.all('pong').length > count);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export class HandshakeError extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with ${status}`);
  }
}

/** Resolves after `ms`; for asserting that something did NOT arrive. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` passes (for effects of best-effort work such as `$disconnect`). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
