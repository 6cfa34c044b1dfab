import { kindOf, UserKind } from '../domain/namespaces.js';
import type { SessionBearerVerifier } from '../domain/sessions.js';
import type { Config } from './config.js';
import { bearerToken, verifyToken } from './verifier.js';

/**
 * The `Authorization` header of an identity exchange, as the container's verifier (both issuers, keys cached
 * per container: lambdas/runtime/verifier.ts) sees it: the session it names, or null when it is no valid token
 * of the session issuer (a staff-issuer token, even a good one, is no session to upgrade). A failure to load
 * the keys throws (a 500), never passes for a bad token.
 */
export function sessionBearerVerifier(config: Config): SessionBearerVerifier {
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) return null;
    const caller = await verifyToken(token, config);
    if (!caller) return null;
    const kind = kindOf(caller.userId);
    return kind === UserKind.account ? null : { userId: caller.userId, kind };
  };
}
