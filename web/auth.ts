import type { Role } from '../client/wire.js';
import type { WebConfig } from './config.js';

/** A signed-in person, as the pages need them. */
export interface Session {
  readonly userId: string;
  readonly role: Role;
  /** A name to show: the e-mail or name claim when there is one. */
  readonly displayName: string;
  /**
   * Ids this person had before (a guest of an embedding site who then signed in there): what they wrote
   * under them is theirs too. @default none
   */
  readonly formerIds?: readonly string[];
  /** A current bearer token (refreshed when needed). Rejects when the session is over. */
  token(): Promise<string>;
}

export interface Auth {
  readonly kind: 'local' | 'oidc';
  /** The session kept from an earlier sign-in, if it is still good. */
  restore(): Promise<Session | null>;
  /** OIDC: leaves the page for the provider's sign-in. Local: mints a token for the given user. */
  signIn(input?: { userId: string; role: Role }): Promise<Session | null>;
  signOut(): Promise<void>;
}

export class SessionExpired extends Error {
  constructor() {
    super('Your session has ended. Please sign in again.');
  }
}

/** Picks the sign-in the config describes: Cognito or OIDC when present, else the local form. */
export async function createAuth(config: WebConfig, page: 'console' | 'widget'): Promise<Auth> {
  if (config.cognito || config.oidc) {
    const { createOidcAuth } = await import('./oidc.js');
    return createOidcAuth(config);
  }
  if (config.localSignIn) return localAuth(config.localSignIn.url, page);
  throw new Error('config.json names no way to sign in');
}

interface StoredLocalSession {
  readonly token: string;
  readonly userId: string;
  readonly role: Role;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/**
 * Local development: a form picks a user id and role, and `npm start` mints a token with the development
 * issuer. Sessions live in sessionStorage, per page and tab, so two people can chat from two tabs.
 */
function localAuth(url: string, page: string): Auth {
  const key = `live-chat:${page}:local-session`;
  const toSession = (stored: StoredLocalSession): Session => ({
    userId: stored.userId,
    role: stored.role,
    displayName: stored.userId,
    token: async () => {
      if (stored.expiresAt * 1000 <= Date.now()) throw new SessionExpired();
      return stored.token;
    },
  });
  return {
    kind: 'local',
    async restore() {
      const text = sessionStorage.getItem(key);
      if (!text) return null;
      const stored = JSON.parse(text) as StoredLocalSession;
      return stored.expiresAt * 1000 > Date.now() + 60_000 ? toSession(stored) : null;
    },
    async signIn(input) {
      if (!input) throw new Error('A user id and role are needed');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: input.userId, role: input.role }),
      });
      const body = (await response.json().catch(() => ({}))) as {
        token?: string;
        user_id?: string;
        role?: Role;
        expires_at?: number;
        error?: { message?: string };
      };
      if (!response.ok || !body.token || !body.user_id || !body.role || !body.expires_at) {
        throw new Error(body.error?.message ?? `Sign-in failed (${response.status})`);
      }
      const stored: StoredLocalSession = {
        token: body.token,
        userId: body.user_id,
        role: body.role,
        expiresAt: body.expires_at,
      };
      sessionStorage.setItem(key, JSON.stringify(stored));
      return toSession(stored);
    },
    async signOut() {
      sessionStorage.removeItem(key);
    },
  };
}
