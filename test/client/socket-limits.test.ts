import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState } from '../../client/socket.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { eventually, inbox, type TestUser, user, wiretap } from './support.js';

// API Gateway's 10-minute idle cut and 2-hour age cut, shrunk to fractions of a second.
const IDLE_MS = 600;
const MAX_AGE_MS = 1_500;

let stack: LocalStack;
let alice: TestUser;
let sam: TestUser;

beforeAll(async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    wsIdleTimeoutMs: IDLE_MS,
    wsMaxConnectionAgeMs: MAX_AGE_MS,
  });
  [alice, sam] = await Promise.all([user(stack, 'alice'), user(stack, 'sam', true)]);
});

afterAll(async () => {
  await stack?.stop();
});

describe('ChatSocket against the gateway’s limits', () => {
  it('pings often enough that the idle cut never closes the socket', async () => {
    const tap = wiretap();
    const socket = alice.socket({ WebSocket: tap.WebSocket, heartbeatMs: IDLE_MS / 3 });
    const states: ConnectionState[] = [];
    socket.on('state', (e) => states.push(e.state));
    socket.connect();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
    socket.close();
    expect(states).toEqual(['connecting', 'open', 'closed']);
    expect(tap.sent.filter((f) => f.type === 'ping').length).toBeGreaterThanOrEqual(4);
  });

  it('reconnects after the age cut and loses nothing that was sent around it', async () => {
    const room = await alice.http.createRoom();
    const tap = wiretap();
    const socket = alice.socket({ WebSocket: tap.WebSocket, heartbeatMs: IDLE_MS / 3 });
    const received = inbox(socket);
    socket.connect();
    await socket.follow(room.id, { after: 0 });
    // Messages keep coming for a little over two connection lifetimes.
    const deadline = Date.now() + MAX_AGE_MS * 2.2;
    let sent = 0;
    while (Date.now() < deadline) {
      await sam.http.sendMessage(room.id, `tick ${++sent}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await eventually(() => received.length === sent);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    expect(tap.sockets.length).toBeGreaterThanOrEqual(3);
    // Each id exactly once. Around a reconnect a live message can overtake one still being caught up:
    // delivery order is not promised, ids are (pages order by id).
    expect(received).toHaveLength(sent);
    expect(received.map((m) => m.id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: sent }, (_, i) => i + 1),
    );
  });
});
