import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type * as v from 'valibot';
import { AppError, BadRequest } from '../domain/errors.js';
import { type Actor, Role } from '../domain/types.js';
import { type Frame, frames } from '../protocol/frames.js';
import { errorJson } from '../protocol/json.js';
import { checkedRoomId, parse, parseJson } from '../protocol/schemas.js';
import type { Target } from '../push/pusher.js';
import { pusher } from './command-deps.js';
import { meter } from './deps.js';
import { logger } from './logger.js';
import { sessionEnded, tokenExpiredFrame } from './session.js';

/** What our `$connect` authorizer hands every later event of the connection. */
export interface AuthorizerContext {
  readonly principalId?: string;
  readonly user_id?: string;
  readonly role?: string;
  readonly room_id?: string;
  /** When the token the socket connected with expires, epoch seconds. */
  readonly expires_at?: string;
}

/** API Gateway's WebSocket event, with the authorizer context our authorizer sets. */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly connectionId: string;
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly connectedAt: number;
    readonly requestId: string;
    readonly domainName: string;
    readonly stage: string;
    readonly authorizer?: AuthorizerContext;
  };
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** The socket's user, from the authorizer context only: never from a frame. */
export function actorOf(event: WebSocketEvent): Actor {
  const authorizer = event.requestContext.authorizer;
  const userId = authorizer?.user_id;
  if (!userId) throw new AppError(401, 'unauthorized', 'This connection has no verified user');
  return { userId, role: authorizer?.role === Role.staff ? Role.staff : Role.customer };
}

export interface WsRequest {
  readonly event: WebSocketEvent;
  readonly actor: Actor;
  readonly connectionId: string;
  readonly connectedAt: number;
  /** The frame's JSON body, validated. */
  frame<const S extends v.GenericSchema>(schema: S): v.InferOutput<S>;
  /** The frame's room, or the room the socket was opened for (`?room_id=`). */
  roomOf(frame: { room_id?: string | undefined }): string;
  /** Sends a frame to this socket. */
  reply(frame: Frame): Promise<void>;
}

/**
 * Wraps a WebSocket route: builds the request and runs `route`. Typed errors become an `error` frame on the
 * same socket, which stays open; anything unexpected is logged with its request id and becomes a generic
 * `error` frame. This is the only place frame errors are shaped.
 */
export function wsRoute(route: (request: WsRequest) => Promise<void>) {
  return async (event: WebSocketEvent, context: Context): Promise<APIGatewayProxyResultV2> => {
    const { connectionId, connectedAt, requestId, routeKey } = event.requestContext;
    logger.addContext(context);
    logger.appendKeys({ requestId, connectionId, routeKey });
    meter.take();
    let body: unknown;
    const self = (actor: Actor): Target => ({ connectionId, connectedAt, ...actor });
    try {
      const actor = actorOf(event);
      if (sessionEnded(event)) {
        await pusher.send([self(actor)], tokenExpiredFrame());
        await pusher.disconnect(connectionId);
        return { statusCode: 200 };
      }
      const request: WsRequest = {
        event,
        actor,
        connectionId,
        connectedAt,
        frame(schema) {
          body = parseJson(
            event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString() : event.body,
          );
          return parse(schema, body);
        },
        roomOf(frame) {
          const roomId = frame.room_id ?? event.requestContext.authorizer?.room_id;
          if (!roomId) throw new BadRequest('room_id is required: this socket was not opened for a room');
          return checkedRoomId(roomId);
        },
        reply: async (frame) => {
          await pusher.send([self(actor)], frame);
        },
      };
      await route(request);
    } catch (error) {
      const echo = echoOf(body);
      let frame: Frame;
      if (error instanceof AppError) {
        const { code, message, ...shown } = errorJson(error);
        frame = frames.error(code, message, { ...echo, ...shown });
      } else {
        logger.error('Unhandled error', { error });
        frame = frames.error('internal_error', 'Something went wrong on our side', {
          ...echo,
          request_id: requestId,
        });
      }
      const user = event.requestContext.authorizer?.user_id ?? '';
      await pusher.send([{ connectionId, connectedAt, userId: user, role: Role.customer }], frame);
    } finally {
      logger.info('Frame handled', { dynamodb: meter.take() });
      logger.resetKeys();
    }
    return { statusCode: 200 };
  };
}

/** Fields of the offending frame that help the client match an error to what it sent. */
function echoOf(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const frame = body as Record<string, unknown>;
  const echo: Record<string, unknown> = {};
  if (typeof frame.type === 'string') echo.frame_type = frame.type;
  if (typeof frame.room_id === 'string') echo.room_id = frame.room_id;
  if (typeof frame.client_message_id === 'string') echo.client_message_id = frame.client_message_id;
  return echo;
}
