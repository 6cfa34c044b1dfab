import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Transport, type WebSocketFactory } from '../../client/transport.js';

// A server that accepts TCP connections and never answers the WebSocket handshake.
const accepted: Socket[] = [];
const silent = createServer((socket) => accepted.push(socket));
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
const { port } = silent.address() as { port: number };

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('Transport.close during the handshake', () => {
  it('lets go of the socket without an error nobody listens to (the ws package throws one)', async () => {
    const errors: unknown[] = [];
    const transport = new Transport(
      {
        url: `ws://127.0.0.1:${port}/`,
        auth: async () => ({ token: 't' }),
        WebSocket: WebSocket as unknown as WebSocketFactory,
      },
      {
        open: () => undefined,
        frame: () => undefined,
        lost: () => undefined,
        state: () => undefined,
        error: (e) => errors.push(e),
      },
    );
    transport.connect();
    for (let i = 0; i < 400 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(accepted).toHaveLength(1);
    transport.close();
    // The ws package reports the aborted handshake on the next tick; an unhandled one fails this file.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transport.state).toBe('closed');
    expect(errors).toEqual([]);
  });
});
