import { JwtVerifier } from 'aws-jwt-verify';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { kindOf, SESSION_KINDS, type SessionKind } from '../domain/namespaces.js';
import type { SessionBearerVerifier } from '../domain/sessions.js';
import type { Config } from './config.js';
import { isUsableUserId } from './identity.js';
import { SESSION_AUDIENCE, SESSION_TOKEN_USE, sessionJwks } from './session-tokens.js';

type Verifier = { verify(token: string): Promise<JwtPayload> };

/**
 * Verifies a bearer token as one of the stack's own session tokens (issuer, audience, `token_use`, RS256
 * signature against the KMS key's public half, read once per container: one GetPublicKey), for the identity
 * exchange's upgrade of a guest. Until lambdas/runtime/verifier.ts (both issuers, for every route) is there,
 * this is the one place that checks a session token; swap it for that verifier's session half then.
 */
export function sessionBearerVerifier(issuer: NonNullable<Config['sessionIssuer']>): SessionBearerVerifier {
  let verifier: Promise<Verifier> | undefined;
  const ready = (): Promise<Verifier> => {
    verifier ??= sessionJwks(issuer.keyId).then((jwks) => {
      const created = JwtVerifier.create({
        issuer: issuer.issuer,
        audience: SESSION_AUDIENCE,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== SESSION_TOKEN_USE) throw new Error('Not a session token');
        },
      });
      created.cacheJwks(jwks as Parameters<typeof created.cacheJwks>[0]);
      return created;
    });
    // A failed key read is retried by the next request, not remembered.
    verifier.catch(() => {
      verifier = undefined;
    });
    return verifier;
  };
  return async (authorization) => {
    const token = authorization.replace(/^Bearer\s+/i, '').trim();
    const checked = await ready();
    let payload: JwtPayload;
    try {
      payload = await checked.verify(token);
    } catch {
      return null;
    }
    const userId = payload.sub;
    const kind = payload.kind;
    if (!isUsableUserId(userId) || typeof kind !== 'string' || !(kind in SESSION_KINDS)) return null;
    // The id's namespace and the kind claim agree, or the token is no session of ours.
    if (kindOf(userId) !== kind) return null;
    return { userId, kind: kind as SessionKind };
  };
}
