import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../local/identity-secret.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { SessionExpired } from '../../web/auth.js';
import { EmbedSessions, type StoredSession } from '../../web/widget/guest-session.js';

/** The browser's Storage, in memory: what the frame's localStorage holds. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

const KEY = 'live-chat:embed:session';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ httpPort: 0, wsPort: 0 });
});

afterAll(async () => {
  await stack?.stop();
});

const signs = () => stack.kms.calls.Sign;
const kept = (storage: Storage) => JSON.parse(storage.getItem(KEY) ?? 'null') as StoredSession | null;
/** Moves the kept token's expiry to `ms` from now, as time passing would. */
const expireIn = (storage: Storage, ms: number) => {
  const session = kept(storage) as StoredSession;
  storage.setItem(KEY, JSON.stringify({ ...session, expires_at: new Date(Date.now() + ms).toISOString() }));
};
const identityToken = async (sub: string, name?: string) =>
  signIdentityToken((await stack.secrets.versions()).current, { sub, ...(name ? { name } : {}) });

describe('EmbedSessions (the embedded widget’s sessions) against the local stack', () => {
  it('keeps a new guest session and hands out its token without asking again while it is fresh', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    expect(sessions.read()).toBeNull();
    const before = signs();
    const started = await sessions.start();
    expect(started.user_id).toMatch(/^guest_/);
    expect(kept(storage)).toEqual(started);
    const session = sessions.session(started, 'You');
    expect(await session.token()).toBe(started.token);
    expect(signs()).toBe(before + 1);
  });

  it('renews a token about to expire once for concurrent callers, keeping the rotated refresh token', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    const started = await sessions.start();
    expireIn(storage, 60_000);
    const before = signs();
    const session = sessions.session(started, 'You');
    const tokens = await Promise.all([session.token(), session.token(), session.token()]);
    expect(signs()).toBe(before + 1);
    expect(new Set(tokens).size).toBe(1);
    const renewed = kept(storage) as StoredSession;
    expect(tokens[0]).toBe(renewed.token);
    expect(renewed.user_id).toBe(started.user_id);
    expect(renewed.refresh_token).not.toBe(started.refresh_token);
  });

  it('ends the session when the refresh token is refused, and forgets it', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    const started = await sessions.start();
    await fetch(`${stack.httpUrl}/api/chat/guest-sessions/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: started.refresh_token }),
    });
    expireIn(storage, 60_000);
    await expect(sessions.session(started, 'You').token()).rejects.toBeInstanceOf(SessionExpired);
    expect(storage.getItem(KEY)).toBeNull();
  });

  it('upgrades the guest with an identity token, then revokes the guest’s refresh token', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    const guest = await sessions.start();
    const { session, changed } = await sessions.identify(await identityToken('ada', 'Ada Lovelace'));
    expect(changed).toBe(true);
    expect(session).toMatchObject({
      user_id: 'site_ada',
      kind: 'verified',
      name: 'Ada Lovelace',
      former_ids: [guest.user_id],
    });
    expect(kept(storage)).toEqual(session);
    const renewGuest = await fetch(`${stack.httpUrl}/api/chat/guest-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: guest.refresh_token }),
    });
    expect(renewGuest.status).toBe(401);

    // The same person again: nothing is exchanged (no KMS Sign, the token's jti is not spent).
    const before = signs();
    const again = await sessions.identify(await identityToken('ada', 'Ada Lovelace'));
    expect(again).toEqual({ session, changed: false });
    expect(signs()).toBe(before);

    // Someone else on this device: Ada's session ends first, and Bob is no upgrade of anyone.
    const bob = await sessions.identify(await identityToken('bob'));
    expect(bob.session).toMatchObject({ user_id: 'site_bob', kind: 'verified' });
    expect(bob.session.former_ids).toBeUndefined();
  });

  it('keeps the guest when the identity token is refused', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    const guest = await sessions.start();
    const forged = await signIdentityToken('not the secret', { sub: 'mallory' });
    await expect(sessions.identify(forged)).rejects.toMatchObject({
      status: 401,
      code: 'invalid_identity_token',
    });
    expect(kept(storage)).toEqual(guest);
  });

  it('logs out: the refresh token is revoked and the session forgotten', async () => {
    const storage = new MemoryStorage();
    const sessions = new EmbedSessions(stack.httpUrl, storage);
    const guest = await sessions.start();
    await sessions.logout();
    expect(storage.getItem(KEY)).toBeNull();
    const renew = await fetch(`${stack.httpUrl}/api/chat/guest-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: guest.refresh_token }),
    });
    expect(renew.status).toBe(401);
  });
});
