import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { disconnect } from '../domain/connections.js';
import { commandDeps } from '../runtime/command-deps.js';
import { logger } from '../runtime/logger.js';
import type { WebSocketEvent } from '../runtime/ws.js';

/**
 * `$disconnect`: forgets the socket, its subscriptions and its presence. API Gateway sends it on a best-effort
 * basis; a socket whose `$disconnect` never comes is forgotten by the next fan-out that finds it gone, and
 * its items expire with `ttl`.
 */
export const handler = async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId, requestId } = event.requestContext;
  logger.appendKeys({ requestId, connectionId, routeKey: '$disconnect' });
  try {
    await disconnect(commandDeps, connectionId);
  } catch (error) {
    logger.error('Disconnect cleanup failed', { error });
    throw error;
  } finally {
    logger.resetKeys();
  }
  return { statusCode: 200 };
};
