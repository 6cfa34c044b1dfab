import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_MS, Transport, type WebSocketLike } from '../../client/transport.js';

class SilentServer implements WebSocketLike {
  static last: SilentServer | undefined;
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  readonly sent: string[] = [];
  constructor(readonly url: string) {
    SilentServer.last = this;
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Transport', () => {
  it('pings every 30 s by default, inside the server’s 75 s presence window', async () => {
    vi.useFakeTimers();
    const handlers = { open: vi.fn(), frame: vi.fn(), lost: vi.fn(), state: vi.fn(), error: vi.fn() };
    const transport = new Transport(
      { url: 'ws://server/', auth: async () => ({ token: 't' }), WebSocket: SilentServer },
      handlers,
    );
    transport.connect();
    await vi.advanceTimersByTimeAsync(0);
    const server = SilentServer.last as SilentServer;
    server.readyState = 1;
    server.onopen?.({});
    const pings = () => server.sent.filter((frame) => JSON.parse(frame).type === 'ping').length;
    expect(pings()).toBe(1);
    // Each ping is answered, so the connection stays up.
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS - 1);
    expect(pings()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pings()).toBe(2);
    server.onmessage?.({ data: '{"type":"pong","data":{}}' });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(pings()).toBe(3);
    expect(HEARTBEAT_MS).toBe(30_000);
    transport.close();
  });
});
