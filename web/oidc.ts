import { ErrorResponse, type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { ChatNetworkError } from '../client/errors.js';
import type { Auth, Session } from './auth.js';
import { SessionExpired } from './auth.js';
import type { WebConfig } from './config.js';

/** A token with less left than this is renewed before use. */
const RENEW_BEFORE_S = 60;
/** Tries of a renewal the provider did not refuse (offline, timeout, 5xx) before it is reported. */
const RENEW_ATTEMPTS = 3;
/** The provider's answers that end the session: the refresh token no longer works. */
const ENDED = new Set(['invalid_grant', 'login_required']);

/** Where the provider sends people back: the site root (index.html), which finishes the sign-in. */
const redirectUri = () => `${location.origin}/`;

/**
 * The OIDC client of the pages: authorization code + PKCE with oidc-client-ts, against the stack's Cognito
 * user pool (or another provider named in config.json). Loaded on demand, so local pages never download it.
 */
export function userManager(config: WebConfig): UserManager {
  const cognito = config.cognito;
  const authority = cognito
    ? `https://cognito-idp.${cognito.region}.amazonaws.com/${cognito.userPoolId}`
    : (config.oidc?.authority as string);
  const clientId = cognito ? cognito.clientId : (config.oidc?.clientId as string);
  return new UserManager({
    authority,
    client_id: clientId,
    redirect_uri: redirectUri(),
    post_logout_redirect_uri: redirectUri(),
    response_type: 'code',
    scope: config.oidc?.scope ?? 'openid email profile',
    // Staff open several tabs in a shift: one sign-in serves them all.
    userStore: new WebStorageStateStore({ store: localStorage }),
    automaticSilentRenew: true,
    // Cognito's discovery document has no end_session_endpoint; its hosted UI logs out at /logout.
    ...(cognito
      ? { metadataSeed: { end_session_endpoint: `${cognito.domain.replace(/\/+$/, '')}/logout` } }
      : {}),
  });
}

export function createOidcAuth(config: WebConfig): Auth {
  const manager = userManager(config);
  const groupsClaim = config.staffClaim ?? 'cognito:groups';
  const staffGroup = config.staffGroup ?? 'staff';
  const userIdClaim = config.userIdClaim ?? 'sub';
  const tokenType = config.tokenType ?? 'access';

  /** Good for a while yet (not a type guard: a User that is not good is still a User). */
  const good = (user: User | null): boolean =>
    user !== null && !user.expired && (user.expires_in ?? 0) > RENEW_BEFORE_S;

  /**
   * One renewal at a time for every caller. Only the provider's word ends the session (`invalid_grant`: the
   * refresh token is revoked or expired; `login_required`); anything else (offline, a timeout, a 5xx) is
   * tried again, then reported as a network error, which signs nobody out.
   */
  let renewing: Promise<User> | undefined;
  const renew = (): Promise<User> => {
    renewing ??= (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const renewed = await manager.signinSilent();
          if (renewed) return renewed;
          throw new SessionExpired();
        } catch (error) {
          if (error instanceof SessionExpired) throw error;
          if (error instanceof ErrorResponse && ENDED.has(error.error ?? '')) {
            // Another tab (or the automatic renewal) may have used the refresh token meanwhile.
            const stored = await manager.getUser();
            if (stored && good(stored)) return stored;
            throw new SessionExpired();
          }
          if (attempt >= RENEW_ATTEMPTS) {
            throw new ChatNetworkError('Could not renew the sign-in: the provider is unreachable', {
              cause: error,
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** (attempt - 1)));
        }
      }
    })().finally(() => {
      renewing = undefined;
    });
    return renewing;
  };

  const fresh = async (): Promise<User> => {
    const user = await manager.getUser();
    if (user && good(user)) return user;
    if (!user?.refresh_token) throw new SessionExpired();
    try {
      return await renew();
    } catch (error) {
      // A token that still works for a few seconds beats none while the provider cannot be reached.
      if (!(error instanceof SessionExpired) && !user.expired) return user;
      throw error;
    }
  };

  const toSession = (user: User): Session => {
    const profile = user.profile as Record<string, unknown>;
    // The APIs' rule (lambdas/runtime/identity.ts): an exact element, or a string that is exactly the group.
    const groups = profile[groupsClaim];
    const staff = Array.isArray(groups) ? groups.includes(staffGroup) : groups === staffGroup;
    const userId = String(profile[userIdClaim] ?? user.profile.sub);
    return {
      userId,
      role: staff ? 'staff' : 'customer',
      displayName: String(profile.email ?? profile.name ?? userId),
      token: async () => {
        const user = await fresh();
        const token = tokenType === 'id' ? user.id_token : user.access_token;
        if (!token) throw new SessionExpired();
        return token;
      },
    };
  };

  return {
    kind: 'oidc',
    async restore() {
      const user = await manager.getUser().catch(() => null);
      if (!user) return null;
      try {
        return toSession(await fresh());
      } catch (error) {
        // Offline at start-up is not signed out: the session renews once the provider answers.
        return error instanceof SessionExpired ? null : toSession(user);
      }
    },
    async signIn() {
      // The fragment too: a room's URL in the console (#/rooms/<id>) opens that room once signed in.
      await manager.signinRedirect({
        state: { returnTo: `${location.pathname}${location.search}${location.hash}` },
      });
      return null;
    },
    async signOut() {
      const cognito = config.cognito;
      // signoutRedirect() reads the stored user for the id_token_hint (providers other than Cognito need it
      // to end their session), then removes it; remove it here only if the redirect cannot even start.
      try {
        await manager.signoutRedirect(
          cognito ? { extraQueryParams: { client_id: cognito.clientId, logout_uri: redirectUri() } } : {},
        );
      } catch (error) {
        await manager.removeUser();
        throw error;
      }
    },
  };
}

/** On the redirect URI: finishes the sign-in and returns the page the person started from. */
export async function completeSignIn(config: WebConfig): Promise<string> {
  const user = await userManager(config).signinRedirectCallback();
  const state = user.state as { returnTo?: unknown } | undefined;
  const returnTo =
    typeof state?.returnTo === 'string' && /^\/(?!\/)/.test(state.returnTo) ? state.returnTo : '/';
  return returnTo;
}
