import { ChatApiError } from '../../client/errors.js';
import { type Session, SessionExpired } from '../auth.js';
import { callApi } from './api.js';

/** `POST /api/chat/guest-sessions/`'s answer, as the embedded widget keeps it in its localStorage. */
export interface StoredSession {
  readonly token: string;
  readonly user_id: string;
  readonly kind: 'guest' | 'verified';
  /** ISO 8601. */
  readonly expires_at: string;
  readonly refresh_token: string;
  /**
   * A verified person's name, from the identity token the server accepted (so its claims are the site's
   * word): shown in the header without waiting for the profile.
   */
  readonly name?: string;
  /** The guest ids this person had on this device before signing in (`upgraded_from`): theirs too. */
  readonly former_ids?: readonly string[];
}

/** What `POST /api/chat/guest-sessions/` answers an identity token with a guest's bearer. */
type Exchanged = StoredSession & { readonly upgraded_from?: string };

const KEY = 'live-chat:embed:session';

/** An identify whose answer came after the device was signed out in another tab: nothing was kept. */
export class SignedOutMeanwhile extends Error {
  constructor() {
    super('This device was signed out while the sign-in was on its way');
  }
}
/** Renew this long before the token expires, so no request goes out with a token about to lapse. */
const RENEW_BEFORE_MS = 5 * 60_000;

const isStored = (value: unknown): value is StoredSession => {
  const v = value as Partial<StoredSession> | null;
  return (
    !!v &&
    typeof v.token === 'string' &&
    typeof v.user_id === 'string' &&
    (v.kind === 'guest' || v.kind === 'verified') &&
    typeof v.expires_at === 'string' &&
    typeof v.refresh_token === 'string'
  );
};

/**
 * An identity token's `sub` and `name`, read without checking them: the server checks the token, and only
 * what it accepted is kept; before that, `sub` only serves to skip exchanging a token for the person the
 * widget already has.
 */
function claimsOf(identityToken: string): { sub?: string; name?: string } {
  try {
    const payload = identityToken.split('.')[1] ?? '';
    const bytes = Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    );
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown; name?: unknown };
    return {
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.name === 'string' && claims.name.trim() ? { name: claims.name.trim() } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The embedded widget's sessions, kept in the frame's localStorage (the chat site's origin, partitioned by
 * the host site in browsers that partition third-party storage): created only when the visitor opens the
 * chat, renewed with the refresh token (which rotates: the new one replaces it), upgraded by an identity
 * token, revoked on logout. Every tab of the frame shares the stored session; each reads it afresh.
 */
export class EmbedSessions {
  /** One renewal at a time, shared by every caller of this page. */
  private renewing: Promise<StoredSession> | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly storage: Storage = localStorage,
  ) {}

  read(): StoredSession | null {
    const text = this.storage.getItem(KEY);
    if (!text) return null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isStored(parsed)) return parsed;
    } catch {
      // Unreadable: forgotten below, as a missing one.
    }
    this.storage.removeItem(KEY);
    return null;
  }

  /** A new guest session (the visitor opened the chat and has none). */
  async start(): Promise<StoredSession> {
    return this.keep(await callApi<StoredSession>(this.baseUrl, 'POST', '/api/chat/guest-sessions'));
  }

  /**
   * Exchanges the host's identity token. A guest is upgraded (its guest token goes along, so its rooms
   * become the verified person's); a verified session of someone else is ended first; the same person
   * again is left as they are (no request, and the token's `jti` is not spent).
   */
  async identify(identityToken: string): Promise<{ session: StoredSession; changed: boolean }> {
    const current = this.read();
    const { sub, name } = claimsOf(identityToken);
    if (current?.kind === 'verified' && sub !== undefined && current.user_id === `site_${sub}`) {
      return { session: current, changed: false };
    }
    // The previous person is forgotten even when their revoke fails: their session must never pass to the next.
    if (current?.kind === 'verified')
      await this.logout().catch((error: unknown) => {
        console.warn('[live-chat] revoking the previous session failed', error);
        this.forget();
      });
    // A guest whose session can no longer be renewed has nothing to hand over: exchange without it.
    const guestToken =
      current?.kind === 'guest'
        ? await this.freshToken().catch((error: unknown) => {
            console.warn('[live-chat] the guest session could not be renewed for the upgrade', error);
            return undefined;
          })
        : undefined;
    // What is stored as the exchange leaves: a renewal may have rotated the guest's refresh secret (the one to
    // revoke below is the one kept now), and a sign-out elsewhere meanwhile is told by its absence after.
    const before = this.read();
    const guest = current?.kind === 'guest' ? (before ?? current) : undefined;
    const session = await callApi<Exchanged>(this.baseUrl, 'POST', '/api/chat/guest-sessions', {
      body: { identity_token: identityToken },
      ...(guestToken ? { token: guestToken } : {}),
    });
    const { upgraded_from: upgradedFrom, ...issued } = session;
    if (before && !this.read()) {
      // Signed out in another tab while this exchange was on its way: the sign-out wins, and the session
      // this answer carries is revoked rather than kept.
      await this.revoke(issued.refresh_token).catch((error: unknown) =>
        console.warn('[live-chat] revoking a session signed out meanwhile failed', error),
      );
      throw new SignedOutMeanwhile();
    }
    const kept = this.keep({
      ...issued,
      ...(name ? { name } : {}),
      ...(upgradedFrom ? { former_ids: [upgradedFrom] } : {}),
    });
    if (guest) {
      // The guest owns nothing now (its rooms moved), and the stack renews an upgraded guest no more: its
      // refresh secret is revoked all the same, so nothing is left behind if this was no upgrade.
      await this.revoke(guest.refresh_token).catch((error: unknown) =>
        console.warn('[live-chat] revoking the guest session after sign-in failed', error),
      );
    }
    return { session: kept, changed: true };
  }

  /**
   * After an identify whose answer never came (the network failed): the stack may have upgraded the guest, and
   * an upgraded guest is renewed no more. Renews now; a refused renewal forgets the guest (the caller starts a
   * new one), a failed one changes nothing.
   */
  async checkGuest(): Promise<void> {
    const current = this.read();
    if (current?.kind !== 'guest') return;
    await this.renewOnce(current).catch((error: unknown) => {
      if (!(error instanceof SessionExpired))
        console.warn('[live-chat] the guest session could not be checked', error);
    });
  }

  /** Revokes the refresh token and forgets the session: the next person on this device starts afresh. */
  async logout(): Promise<void> {
    const current = this.read();
    if (!current) return;
    await this.revoke(current.refresh_token);
    this.forget();
  }

  private async revoke(refreshToken: string): Promise<void> {
    await callApi(this.baseUrl, 'POST', '/api/chat/guest-sessions/revoke', {
      body: { refresh_token: refreshToken },
    });
  }

  forget(): void {
    this.storage.removeItem(KEY);
  }

  /** The stored session as the pages' {@link Session}: its token renewed when needed. */
  session(stored: StoredSession, displayName: string): Session {
    return {
      userId: stored.user_id,
      role: 'customer',
      displayName,
      formerIds: stored.former_ids ?? [],
      token: async () => {
        const current = this.read();
        // Logged out or replaced (another tab, an identify): this session is over.
        if (!current || current.user_id !== stored.user_id) throw new SessionExpired();
        return this.freshToken();
      },
    };
  }

  /** The stored token, renewed first when it expires within a few minutes. */
  private async freshToken(): Promise<string> {
    const current = this.read();
    if (!current) throw new SessionExpired();
    if (Date.parse(current.expires_at) - Date.now() > RENEW_BEFORE_MS) return current.token;
    return (await this.renewOnce(current)).token;
  }

  /** Renews `current`, or joins the renewal already on its way: one at a time per page. */
  private renewOnce(current: StoredSession): Promise<StoredSession> {
    this.renewing ??= this.renew(current).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renew(current: StoredSession): Promise<StoredSession> {
    try {
      const renewed = await callApi<StoredSession>(this.baseUrl, 'POST', '/api/chat/guest-sessions', {
        body: { refresh_token: current.refresh_token },
      });
      return this.keep({
        ...renewed,
        ...(current.name ? { name: current.name } : {}),
        ...(current.former_ids ? { former_ids: current.former_ids } : {}),
      });
    } catch (error) {
      if (error instanceof ChatApiError && error.status === 401) {
        // Revoked or expired; unless another tab renewed meanwhile (its new token is stored), it is over.
        const now = this.read();
        if (now && now.refresh_token !== current.refresh_token) return now;
        this.forget();
        throw new SessionExpired();
      }
      // No network: the current token still works until it expires.
      if (Date.parse(current.expires_at) > Date.now()) return current;
      throw error;
    }
  }

  private keep(session: StoredSession): StoredSession {
    if (!isStored(session)) throw new Error('The chat server answered a session without a token');
    const kept: StoredSession = {
      token: session.token,
      user_id: session.user_id,
      kind: session.kind,
      expires_at: session.expires_at,
      refresh_token: session.refresh_token,
      ...(session.name ? { name: session.name } : {}),
      ...(session.former_ids?.length ? { former_ids: session.former_ids } : {}),
    };
    this.storage.setItem(KEY, JSON.stringify(kept));
    return kept;
  }
}
