import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { redeemTicket } from '../domain/connections.js';
import { config, queryDeps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { type VerifiedCaller, verifyToken } from '../runtime/verifier.js';

/**
 * The WebSocket API's `$connect` authorizer. A connection shows either `?token=<JWT>` (either issuer, verified
 * as the HTTP API's `function` routes verify it: lambdas/runtime/verifier.ts) or a one-time `?ticket=`
 * (consumed here, so it works once; it carries the actor and expiry of the token it was issued for). The
 * verified user and role reach every route of the connection through the authorizer context, with the token's
 * expiry; frames never carry identity.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  const query = event.queryStringParameters ?? {};
  let actor: VerifiedCaller | null = null;
  try {
    if (query.ticket) {
      const ticket = await redeemTicket(queryDeps, query.ticket);
      if (ticket) actor = { userId: ticket.userId, role: ticket.role, tokenExpiresAt: ticket.tokenExpiresAt };
    } else if (query.token) actor = await verifyToken(query.token, config);
  } catch (error) {
    // Fail closed (the issuers' keys out of reach, DynamoDB). Lambda counts every refusal below as an error,
    // so the stack alarms on this log line (level ERROR) instead of on the function's Errors metric.
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
