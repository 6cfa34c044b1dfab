import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { frames } from '../protocol/frames.js';
import { sessionEnded, tokenExpiredFrame } from '../runtime/session.js';

/**
 * `{"type":"ping"}`: a heartbeat that keeps the socket under API Gateway's 10-minute idle cut. The route is
 * two-way, so the pong travels back as the route response: no table access, no management API call. Once the
 * socket's token has expired it answers `token_expired` instead, so an idle client learns it at its next
 * heartbeat (the other routes also close the socket).
 */
export const handler = async (
  event: Parameters<typeof sessionEnded>[0],
): Promise<APIGatewayProxyResultV2> => ({
  statusCode: 200,
  body: JSON.stringify(sessionEnded(event) ? tokenExpiredFrame() : frames.pong(new Date().toISOString())),
});
