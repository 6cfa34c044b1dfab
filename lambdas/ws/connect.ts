import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { connect } from '../domain/connections.js';
import { AppError } from '../domain/errors.js';
import { checkedRoomId } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { logger } from '../runtime/logger.js';
import { sessionExpiresAt } from '../runtime/session.js';
import { actorOf, type WebSocketEvent } from '../runtime/ws.js';

/**
 * `$connect`: registers the socket and its presence. With `?room_id=`, the socket follows that room from the
 * start, and a room the user may not see refuses the connection (404) before any frame can reach it.
 */
export const handler = async (event: WebSocketEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId, connectedAt, requestId } = event.requestContext;
  logger.appendKeys({ requestId, connectionId, routeKey: '$connect' });
  try {
    const roomId = event.queryStringParameters?.room_id;
    await connect(commandDeps, actorOf(event), {
      connectionId,
      connectedAt,
      roomId: roomId === undefined ? undefined : checkedRoomId(roomId),
      sessionExpiresAt: sessionExpiresAt(event),
    });
    return { statusCode: 200 };
  } catch (error) {
    if (error instanceof AppError) return { statusCode: error.status, body: error.message };
    logger.error('Connect failed', { error });
    return { statusCode: 500 };
  } finally {
    logger.resetKeys();
  }
};
