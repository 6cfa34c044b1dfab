import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// API Gateway's 10-minute idle cut and 2-hour age cut, shortened.
const stack = useLocalStack({ wsIdleTimeoutMs: 400, wsMaxConnectionAgeMs: 1500 });

const onlineStaff = async (token: string) =>
  (await api(stack.current, token).get('/online-staff/')).body.results.map(
    (u: { user_id: string }) => u.user_id,
  );

describe('gateway-side closes', () => {
  it('closes an idle socket with 1001 and forgets it', async () => {
    const token = await stack.current.issuer.mint({ userId: 'sam', staff: true });
    const socket = await TestSocket.open(stack.current, { token });
    expect(await onlineStaff(token)).toEqual(['sam']);
    const code = await new Promise<number>((resolve) => socket.ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1001);
    await eventually(async () => expect(await onlineStaff(token)).toEqual([]));
  });

  it('keeps a socket that pings alive until its maximum age', async () => {
    const token = await stack.current.issuer.mint({ userId: 'tess', staff: true });
    const socket = await TestSocket.open(stack.current, { token });
    const opened = Date.now();
    const timer = setInterval(
      () => socket.ws.readyState === WebSocket.OPEN && socket.send({ type: 'ping' }),
      150,
    );
    const code = await new Promise<number>((resolve) => socket.ws.once('close', (c) => resolve(c)));
    clearInterval(timer);
    expect(code).toBe(1001);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1400);
    expect(socket.all('pong').length).toBeGreaterThan(3);
    await eventually(async () => expect(await onlineStaff(token)).toEqual([]));
  });
});
