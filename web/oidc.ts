import { type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { Auth, Session } from './auth.js';
import { SessionExpired } from './auth.js';
import type { WebConfig } from './config.js';

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

  const fresh = async (): Promise<User> => {
    const user = await manager.getUser();
    if (user && !user.expired && (user.expires_in ?? 0) > 60) return user;
    if (user?.refresh_token) {
      const renewed = await manager.signinSilent().catch(() => null);
      if (renewed) return renewed;
    }
    throw new SessionExpired();
  };

  const toSession = (user: User): Session => {
    const profile = user.profile as Record<string, unknown>;
    const groups = profile[groupsClaim];
    const list = Array.isArray(groups)
      ? groups.map(String)
      : typeof groups === 'string'
        ? groups.split(/[\s,]+/)
        : [];
    const userId = String(profile[userIdClaim] ?? user.profile.sub);
    return {
      userId,
      role: list.includes(staffGroup) ? 'staff' : 'customer',
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
      try {
        return toSession(await fresh());
      } catch {
        return null;
      }
    },
    async signIn() {
      await manager.signinRedirect({ state: { returnTo: `${location.pathname}${location.search}` } });
      return null;
    },
    async signOut() {
      const cognito = config.cognito;
      await manager.removeUser();
      await manager.signoutRedirect(
        cognito ? { extraQueryParams: { client_id: cognito.clientId, logout_uri: redirectUri() } } : {},
      );
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
