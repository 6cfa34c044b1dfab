import { describe, expect, it } from 'vitest';
import type { ChatStore, SocketProbe } from '../../../lambdas/domain/ports.js';
import type { Subscription } from '../../../lambdas/domain/types.js';
import { StaffPresence } from '../../../lambdas/push/presence.js';
import type { Target } from '../../../lambdas/push/pusher.js';

// The policy alone, over in-memory stand-ins for our own two ports (the store's staff presence and the
// management API's GET/DELETE @connections); test/ws/presence.test.ts runs it over real sockets.
const WINDOW = 10_000;

function setup(sockets: Subscription[], lastActive: Record<string, number | 'gone'>, checksPerRead = 20) {
  let clock = 100_000;
  const asked: string[] = [];
  const closed: string[] = [];
  const forgotten: Target[] = [];
  const probe: SocketProbe = {
    lastActiveAt: async (id) => {
      asked.push(id);
      const answer = lastActive[id];
      if (answer === undefined) throw new Error('unknown');
      return answer;
    },
    disconnect: async (id) => {
      closed.push(id);
    },
  };
  const store = {
    staffConnections: async () =>
      sockets.filter((s) => !forgotten.some((f) => f.connectionId === s.connectionId)),
  } as unknown as ChatStore;
  const presence = new StaffPresence(store, probe, {
    windowMs: WINDOW,
    checksPerRead,
    connectGraceMs: 30_000,
    now: () => clock,
    onDead: async (target) => {
      forgotten.push(target);
    },
  });
  return {
    presence,
    asked,
    closed,
    forgotten,
    advance: (ms: number) => {
      clock += ms;
    },
    lastActive,
  };
}

const socket = (connectionId: string, userId: string, connectedAt: number): Subscription => ({
  connectionId,
  userId,
  role: 'staff',
  connectedAt,
  roomId: '',
});

const users = async (presence: StaffPresence) =>
  (await presence.onlineStaff()).map((u) => [u.userId, u.connections]);

describe('StaffPresence', () => {
  it('asks only about sockets older than the window, and believes the young ones', async () => {
    const t = setup([socket('old', 'sam', 80_000), socket('young', 'tess', 95_000)], { old: 99_000 });
    expect(await users(t.presence)).toEqual([
      ['sam', 1],
      ['tess', 1],
    ]);
    expect(t.asked).toEqual(['old']);
  });

  it('forgets a gone socket without closing it, and closes and forgets a silent one', async () => {
    const t = setup([socket('gone', 'sam', 0), socket('silent', 'tess', 0), socket('live', 'tess', 0)], {
      gone: 'gone',
      silent: 100_000 - WINDOW - 1,
      live: 99_000,
    });
    expect(await users(t.presence)).toEqual([['tess', 1]]);
    expect(t.closed).toEqual(['silent']);
    expect(t.forgotten.map((f) => [f.connectionId, f.foundBy])).toEqual([
      ['gone', [{ kind: 'presence' }]],
      ['silent', [{ kind: 'presence' }]],
    ]);
  });

  it('asks about a live socket again only once its last answer no longer proves it alive', async () => {
    const t = setup([socket('live', 'sam', 0)], { live: 99_000 });
    await t.presence.onlineStaff();
    t.advance(WINDOW - 1_001);
    await t.presence.onlineStaff();
    await t.presence.onlineStaff();
    expect(t.asked).toEqual(['live']);
    t.advance(2);
    t.lastActive.live = 108_000;
    await t.presence.onlineStaff();
    expect(t.asked).toEqual(['live', 'live']);
  });

  it('asks about at most checksPerRead sockets per read, the least recently proven first', async () => {
    const sockets = ['a', 'b', 'c', 'd', 'e'].map((id, i) => socket(id, `u${id}`, i));
    const t = setup(sockets, { a: 'gone', b: 'gone', c: 'gone', d: 'gone', e: 'gone' }, 2);
    expect(await users(t.presence)).toHaveLength(3);
    expect(t.asked).toEqual(['a', 'b']);
    expect(await users(t.presence)).toHaveLength(1);
    expect(await users(t.presence)).toHaveLength(0);
    expect(t.asked).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('does not take a socket that answers 410 for gone while its $connect may still run', async () => {
    const t = setup([socket('connecting', 'sam', 100_000 - 20_000)], { connecting: 'gone' });
    expect(await users(t.presence)).toEqual([['sam', 1]]);
    expect(t.forgotten).toEqual([]);
    t.advance(10_001);
    expect(await users(t.presence)).toEqual([]);
  });

  it('counts a socket as online when the question fails', async () => {
    const t = setup([socket('unknown', 'sam', 0)], {});
    expect(await users(t.presence)).toEqual([['sam', 1]]);
    expect(t.forgotten).toEqual([]);
  });
});
