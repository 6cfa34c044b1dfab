import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { frames } from '../protocol/frames.js';

/**
 * `{"type":"ping"}`: a heartbeat that keeps the socket under API Gateway's 10-minute idle cut. The route is
 * two-way, so the pong travels back as the route response: no table access, no management API call.
 */
export const handler = async (): Promise<APIGatewayProxyResultV2> => ({
  statusCode: 200,
  body: JSON.stringify(frames.pong(new Date().toISOString())),
});
