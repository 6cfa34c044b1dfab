import type { JsonWebKey } from 'node:crypto';
import { NotFound } from '../domain/errors.js';
import { config } from '../runtime/deps.js';
import { publicHttpHandler } from '../runtime/http.js';
import { sessionJwks } from '../runtime/session-tokens.js';

let jwks: Promise<{ keys: JsonWebKey[] }> | undefined;

/**
 * GET /.well-known/jwks.json: the session issuer's public key, for anyone who verifies its tokens (a host
 * site's backend, say). Read from KMS once per container (a failed read is tried again by the next request)
 * and cacheable for five minutes. 404 when the stack has no session issuer.
 */
export const handler = publicHttpHandler(async () => {
  const issuer = config.sessionIssuer;
  if (!issuer) throw new NotFound('This stack has no session issuer');
  jwks ??= sessionJwks(issuer.keyId).catch((error: unknown) => {
    jwks = undefined;
    throw error;
  });
  return { status: 200, body: await jwks, headers: { 'cache-control': 'public, max-age=300' } };
});
