import { NotFound } from '../domain/errors.js';
import { config } from '../runtime/deps.js';
import { publicHttpHandler } from '../runtime/http.js';

/**
 * GET /.well-known/openid-configuration: the session issuer's discovery document (OpenID Connect Discovery
 * 1.0, the fields a verifier reads), so libraries that discover keys from `iss` find the JWKS. Cacheable for
 * five minutes; 404 when the stack has no session issuer.
 */
export const handler = publicHttpHandler(async () => {
  const issuer = config.sessionIssuer?.issuer;
  if (!issuer) throw new NotFound('This stack has no session issuer');
  return {
    status: 200,
    body: {
      issuer,
      jwks_uri: `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
    },
    // As long as the JWKS it points to (lambdas/http/session-jwks.ts).
    headers: { 'cache-control': 'public, max-age=300' },
  };
});
