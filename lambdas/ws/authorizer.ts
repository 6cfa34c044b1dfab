import { JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwksValidationError } from 'aws-jwt-verify/error';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { redeemTicket } from '../domain/chat.js';
import type { Actor } from '../domain/types.js';
import { ENV } from '../runtime/config.js';
import { config, queryDeps } from '../runtime/deps.js';
import { actorFromClaims } from '../runtime/identity.js';
import { logger } from '../runtime/logger.js';

const issuer = process.env[ENV.jwtIssuer];
/** The accepted audiences, comma-separated as the stack sets them (the web client, the smoke test's). */
const accepted = (process.env[ENV.jwtAudience] ?? '').split(',').filter((a) => a !== '');
if (!issuer || accepted.length === 0) throw new Error(`${ENV.jwtIssuer} and ${ENV.jwtAudience} must be set`);

/**
 * Accepts what API Gateway's HTTP JWT authorizer accepts: one of the audiences in `aud`, or, for tokens
 * without `aud` such as Cognito access tokens, in `client_id`.
 */
function checkAudience({ payload }: { payload: JwtPayload }): void {
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (audiences.some((a) => accepted.includes(a))) return;
  if (aud === undefined && typeof payload.client_id === 'string' && accepted.includes(payload.client_id))
    return;
  throw new Error('Token audience does not match');
}

const verifier = JwtVerifier.create({
  issuer,
  audience: null,
  customJwtCheck: checkAudience,
  ...(process.env[ENV.jwtJwksUri] ? { jwksUri: process.env[ENV.jwtJwksUri] } : {}),
});
// A JWKS given inline (the local issuer) is used as is; otherwise it is fetched once per container and cached.
const inlineJwks = process.env[ENV.jwtJwks];
if (inlineJwks) verifier.cacheJwks(JSON.parse(inlineJwks));

/** A verified caller, and when its token expires (epoch seconds). */
type Session = Actor & { readonly tokenExpiresAt: number };

async function sessionFromToken(token: string): Promise<Session | null> {
  try {
    const payload = await verifier.verify(token);
    const actor = actorFromClaims(payload, config);
    // aws-jwt-verify refuses an expired token but accepts one without `exp`, which would never end.
    if (!actor || typeof payload.exp !== 'number') return null;
    return { ...actor, tokenExpiresAt: payload.exp };
  } catch (error) {
    // The issuer's keys could not be fetched or read: a failure of ours, not a bad token.
    if (error instanceof FetchError || error instanceof JwksValidationError) throw error;
    logger.info('Token refused', { reason: error instanceof Error ? error.message : String(error) });
    return null;
  }
}

/**
 * The WebSocket API's `$connect` authorizer. A connection shows either `?token=<JWT>` or a one-time
 * `?ticket=` (consumed here, so it works once). The verified user and role reach every route of the
 * connection through the authorizer context, with the token's expiry; frames never carry identity.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  const query = event.queryStringParameters ?? {};
  let actor: Session | null = null;
  try {
    if (query.ticket) {
      const ticket = await redeemTicket(queryDeps, query.ticket);
      if (ticket) actor = { userId: ticket.userId, role: ticket.role, tokenExpiresAt: ticket.tokenExpiresAt };
    } else if (query.token) actor = await sessionFromToken(query.token);
  } catch (error) {
    // Fail closed. Lambda counts every refusal below as an error, so the stack alarms on this log line
    // (level ERROR) instead of on the function's Errors metric.
    logger.error('Authorizer failed', { error });
  }
  // API Gateway answers 401 to this exact error, and 403 to a Deny policy.
  if (!actor) throw new Error('Unauthorized');
  return {
    principalId: actor.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: {
      user_id: actor.userId,
      role: actor.role,
      // API Gateway authorizes only at $connect; every route refuses frames once this has passed. A string,
      // the one context type whose form reaches the routes unchanged.
      expires_at: String(actor.tokenExpiresAt),
      ...(query.room_id ? { room_id: query.room_id } : {}),
    },
  };
};
