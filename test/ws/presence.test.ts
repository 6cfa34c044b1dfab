import { afterEach, describe, expect, it } from 'vitest';
import type { ChatSocket } from '../../client/socket.js';
import type { PresenceData } from '../../client/wire.js';
import { next, user, wiretap } from '../client/support.js';
import { eventually, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// The presence window shortened from 75 s to 2 s: a staff socket silent for longer is taken for dead. The
// grace for sockets still in $connect shortened to 1 s (not 0: a fan-out racing a $connect would then forget
// the socket that is opening).
const stack = useLocalStack({ environment: { PRESENCE_WINDOW_SECONDS: '2', GONE_GRACE_SECONDS: '1' } });
const open: TestSocket[] = [];
const clients: ChatSocket[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(() => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const socket of open.splice(0)) socket.ws.terminate();
  for (const client of clients.splice(0)) client.close();
});

async function staffSocket(userId: string): Promise<{ socket: TestSocket; token: string }> {
  const token = await stack.current.issuer.mint({ userId, staff: true });
  const socket = await TestSocket.open(stack.current, { token });
  open.push(socket);
  return { socket, token };
}

/** Keeps a socket alive the way the typed client does, with a ping well inside the window. */
function keepAlive(socket: TestSocket): void {
  timers.push(setInterval(() => socket.send({ type: 'ping' }), 200));
}

const onlineStaff = async (token: string): Promise<string[]> =>
  (await api(stack.current, token).get('/online-staff/')).body.results.map(
    (u: { user_id: string }) => u.user_id,
  );

describe('online staff, checked against the sockets', () => {
  it('forgets a staff socket whose $disconnect never ran, and tells the other consoles', async () => {
    const { socket: watcher, token } = await staffSocket('watcher-1');
    keepAlive(watcher);
    const { socket: ghost } = await staffSocket('ghost-1');
    expect(await onlineStaff(token)).toContain('ghost-1');
    // Cut without $disconnect, as a failed $disconnect or a killed gateway leaves it: the management API
    // answers 410 for it, and no fan-out happens to find that out.
    stack.current.webSocket.drop(ghost.connectionId);
    await eventually(async () => expect(await onlineStaff(token)).not.toContain('ghost-1'), 10_000);
    await watcher.next('presence', (data) => data.user_id === 'ghost-1' && data.is_online === false);
  });

  it('forgets a staff socket whose $disconnect failed', async () => {
    const { socket: watcher, token } = await staffSocket('watcher-4');
    keepAlive(watcher);
    const { socket: closing } = await staffSocket('failed-4');
    // $disconnect starts by reading the connection item: refuse that read (not retried), so it fails.
    const key = JSON.stringify({ S: `CONN#${closing.connectionId}` });
    const failed = stack.current.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'GetItem' && JSON.stringify((request.Key as { pk?: unknown }).pk) === key,
      type: 'AccessDeniedException',
    });
    closing.ws.close();
    await failed;
    expect(await onlineStaff(token)).toContain('failed-4');
    await eventually(async () => expect(await onlineStaff(token)).not.toContain('failed-4'), 10_000);
    await watcher.next('presence', (data) => data.user_id === 'failed-4' && data.is_online === false);
  });

  it('forgets and closes a staff socket that fell silent without a close frame', async () => {
    const { socket: watcher, token } = await staffSocket('watcher-2');
    keepAlive(watcher);
    // Open in the gateway but never sends again: what a client that died without FIN looks like from there.
    const { socket: silent } = await staffSocket('silent-2');
    expect(await onlineStaff(token)).toContain('silent-2');
    await eventually(async () => expect(await onlineStaff(token)).not.toContain('silent-2'), 10_000);
    await eventually(() =>
      expect(stack.current.webSocket.connectionIds()).not.toContain(silent.connectionId),
    );
    await watcher.next('presence', (data) => data.user_id === 'silent-2' && data.is_online === false);
  });

  it('keeps a staff socket that pings online through many windows', async () => {
    const { socket, token } = await staffSocket('pinger-3');
    keepAlive(socket);
    // Until the socket has pinged through three windows (6 s), every read lists it.
    while (socket.all('pong').length < 31) {
      expect(await onlineStaff(token)).toContain('pinger-3');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stack.current.webSocket.connectionIds()).toContain(socket.connectionId);
  });
});

describe('presence frames, in order', () => {
  it('stamps each frame with a version that grows with every change, and the time it was decided', async () => {
    const { socket: watcher } = await staffSocket('watcher-6');
    keepAlive(watcher);
    const before = Date.now();
    const { socket: tab } = await staffSocket('stamped-6');
    const online = (await watcher.next('presence', (d) => d.user_id === 'stamped-6')).data;
    await tab.close();
    const offline = (await watcher.next('presence', (d) => d.user_id === 'stamped-6' && !d.is_online)).data;
    expect(online).toEqual({
      user_id: 'stamped-6',
      role: 'staff',
      is_online: true,
      version: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // The socket's $disconnect is the user's next change after its $connect.
    expect(offline.version).toBe(online.version + 1);
    expect(Date.parse(online.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(offline.at)).toBeGreaterThanOrEqual(Date.parse(online.at));
  });

  it('does not turn a user offline for an "offline" delivered after a newer "online"', async () => {
    // The first "offline" of flip-5 reaches the watcher's client 1.5 s late, as a slow or retried post does.
    let held: PresenceData | undefined;
    const tap = wiretap((frame) => {
      if (frame.type !== 'presence' || frame.data.user_id !== 'flip-5' || frame.data.is_online)
        return 'deliver';
      if (held) return 'deliver';
      held = frame.data;
      return 1_500;
    });
    const watcherUser = await user(stack.current, 'watcher-5', true);
    // Pings well inside this file's 2 s presence window.
    const watcher = watcherUser.socket({ WebSocket: tap.WebSocket, heartbeatMs: 300 });
    clients.push(watcher);
    const seen: PresenceData[] = [];
    watcher.on('presence', (data) => {
      if (data.user_id === 'flip-5') seen.push(data);
    });
    watcher.connect();
    await next(watcher, 'state', (e) => e.state === 'open');

    const { socket: first } = await staffSocket('flip-5');
    await eventually(() => expect(seen).toHaveLength(1));
    await first.close();
    await eventually(() => expect(held).toBeDefined());
    const { socket: second } = await staffSocket('flip-5');
    await eventually(() => expect(seen).toHaveLength(2));
    // The late "offline" reaches the client now, after the newer "online".
    await new Promise((resolve) => setTimeout(resolve, 1_700));

    expect(held?.version).toBeLessThan(seen[1]?.version ?? 0);
    expect(seen.map((data) => data.is_online)).toEqual([true, true]);
    expect(watcher.presence.isOnline('flip-5')).toBe(true);
    expect(watcher.presence.onlineStaff()).toContain('flip-5');
    second.ws.terminate();
  });
});
