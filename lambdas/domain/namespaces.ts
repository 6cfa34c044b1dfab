/**
 * Who a user id belongs to. Ids live in three namespaces that can never meet:
 *
 * - `guest_…`: a visitor the stack minted a guest session for (`POST /api/chat/guest-sessions/`);
 * - `site_…`: a signed-in user of the host site, named by the site's own identity token (the rest is that
 *   token's `sub`);
 * - anything else: the Cognito or configured OIDC issuer's `sub`, as it always was.
 *
 * The stack's session issuer signs only ids with one of the two prefixes, and a token of the staff issuer whose
 * `sub` starts with either is refused: so no guest can ever be, or become, an account holder, and no account
 * holder a guest (docs/architecture.md, "Who signs").
 */
export const UserKind = {
  /** A visitor without an account, on the session issuer. */
  guest: 'guest',
  /** A host site's signed-in user, named by the site's identity token, on the session issuer. */
  verified: 'verified',
  /** A user of the Cognito or OIDC issuer (staff, and customers with an account). */
  account: 'account',
} as const;
export type UserKind = (typeof UserKind)[keyof typeof UserKind];

export const GUEST_PREFIX = 'guest_';
export const SITE_PREFIX = 'site_';

/** The kinds the session issuer signs, with their id prefix. */
export const SESSION_KINDS = { [UserKind.guest]: GUEST_PREFIX, [UserKind.verified]: SITE_PREFIX } as const;
export type SessionKind = keyof typeof SESSION_KINDS;

/** The namespace of a user id. */
export function kindOf(userId: string): UserKind {
  if (userId.startsWith(GUEST_PREFIX)) return UserKind.guest;
  if (userId.startsWith(SITE_PREFIX)) return UserKind.verified;
  return UserKind.account;
}

/** Whether an id is in a namespace only the session issuer may sign (refused from any other issuer). */
export const isSessionNamespaced = (userId: string): boolean => kindOf(userId) !== UserKind.account;

/** The user id of a host site's user, from the `sub` of the site's identity token. */
export const siteUserId = (siteSubject: string): string => `${SITE_PREFIX}${siteSubject}`;
