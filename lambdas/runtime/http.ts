import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type * as v from 'valibot';
import { AppError } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import { errorJson } from '../protocol/json.js';
import { checkedRoomId, parse, parseJson } from '../protocol/schemas.js';
import { config, meter } from './deps.js';
import { clientAddress } from './edge.js';
import { actorFromHttpAuthorizer } from './identity.js';
import { logger } from './logger.js';
import { bearerToken, type VerifiedCaller, verifyToken } from './verifier.js';

/**
 * A payload format 2.0 event. `requestContext.authorizer` is there on `auth: 'jwt'` routes (API Gateway's JWT
 * authorizer ran) and absent on `function` and `none` routes, which have no authorizer.
 */
export type HttpEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & { readonly authorizer?: APIGatewayEventRequestContextJWTAuthorizer }
>;

/**
 * A request whose caller is known, from a verified token only: the `Authorization: Bearer` token the function
 * verified itself (`function` routes, either issuer), or the one API Gateway's JWT authorizer verified (`jwt`
 * routes, the staff issuer).
 */
export interface HttpRequest {
  readonly event: HttpEvent;
  readonly actor: Actor;
  /** The caller's address: the viewer's behind the stack's CloudFront, see {@link clientAddress}. */
  readonly clientAddress: string;
  /** When the caller's token expires (epoch seconds), as it was verified. */
  readonly tokenExpiresAt: number;
  /** The `{id}` path parameter; a malformed id is an unknown room (404). */
  roomId(): string;
  /** The JSON body, validated. */
  body<const S extends v.GenericSchema>(schema: S): v.InferOutput<S>;
  /** The query string, validated. */
  query<const S extends v.GenericSchema>(schema: S): v.InferOutput<S>;
}

/** A request to a public route: nobody verified a token, so the route checks whatever it is given. */
export interface PublicHttpRequest {
  readonly event: HttpEvent;
  /** The caller's address: the viewer's behind the stack's CloudFront, see {@link clientAddress}. */
  readonly clientAddress: string;
  /** The `Authorization` header as sent, unverified. */
  readonly authorization: string | undefined;
  /** The JSON body, validated. */
  body<const S extends v.GenericSchema>(schema: S): v.InferOutput<S>;
}

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  /** Extra response headers; `cache-control` replaces the default `no-store`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const json = (status: number, body: unknown): HttpResult => ({ status, body });

function respond(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Wraps an HTTP API route: finds the caller (401 `unauthorized` without a good token), builds the request,
 * runs `route`, and turns typed errors into `{"error": {"code", "message"}}` with their status. This is the
 * only place HTTP errors are shaped; anything unexpected (the issuers' keys out of reach included) is logged
 * with its request id and answered with a 500 that shows no internals.
 */
export function httpHandler(route: (request: HttpRequest) => Promise<HttpResult>) {
  return wrap(async (event, address) => {
    const caller = await callerOf(event);
    if (!caller) throw new AppError(401, 'unauthorized', 'The bearer token is missing, invalid or expired');
    const { tokenExpiresAt, ...actor } = caller;
    return route({
      event,
      actor,
      tokenExpiresAt,
      clientAddress: address,
      roomId: () => checkedRoomId(event.pathParameters?.id ?? ''),
      body: (schema) => parse(schema, parseJson(decodeBody(event))),
      query: (schema) => parse(schema, event.queryStringParameters ?? {}),
    });
  });
}

/**
 * The caller of a route. A `jwt` route's token was verified by API Gateway, whose claims arrive flattened to
 * strings, so they are re-read from the verified header (`actorFromHttpAuthorizer`); any other route has no
 * authorizer, and the function verifies the bearer token itself, for either issuer.
 */
async function callerOf(event: HttpEvent): Promise<VerifiedCaller | null> {
  const verified = event.requestContext.authorizer?.jwt?.claims;
  if (verified) {
    const actor = actorFromHttpAuthorizer(event.headers.authorization, verified, config);
    return actor && { ...actor, tokenExpiresAt: Number(verified.exp) };
  }
  const token = bearerToken(event.headers.authorization);
  return token === undefined ? null : verifyToken(token, config);
}

/**
 * Wraps a public route (`auth: 'none'` in the route table): no caller, no input, the same answer for
 * everyone, so that a shared cache may keep it. Errors are shaped as for every other route.
 *
 * A public route that checks what it is given itself (`guest-sessions`) reads it from the request.
 */
export function publicHttpHandler(route: (request: PublicHttpRequest) => Promise<HttpResult>) {
  return wrap((event, address) =>
    route({
      event,
      clientAddress: address,
      authorization: event.headers.authorization,
      body: (schema) => parse(schema, parseJson(decodeBody(event))),
    }),
  );
}

function wrap(run: (event: HttpEvent, clientAddress: string) => Promise<HttpResult>) {
  return async (event: HttpEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.addContext(context);
    logger.appendKeys({ requestId: event.requestContext.requestId, routeKey: event.requestContext.routeKey });
    meter.take();
    const started = Date.now();
    const address = clientAddress(event.headers, event.requestContext.http.sourceIp, config.originVerify);
    logger.appendKeys({ clientAddress: address });
    let status = 500;
    try {
      const result = await run(event, address);
      status = result.status;
      return respond(result.status, result.body, result.headers);
    } catch (error) {
      if (error instanceof AppError) {
        status = error.status;
        const shown = errorJson(error);
        return respond(
          error.status,
          { error: shown },
          {
            ...(shown.retry_after !== undefined ? { 'retry-after': String(shown.retry_after) } : {}),
            // A 401 names the scheme that would have worked (RFC 9110, 11.6.1).
            ...(error.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
          },
        );
      }
      logger.error('Unhandled error', { error });
      return respond(500, {
        error: {
          code: 'internal_error',
          message: 'Something went wrong on our side',
          request_id: event.requestContext.requestId,
        },
      });
    } finally {
      logger.info('Request handled', { status, durationMs: Date.now() - started, dynamodb: meter.take() });
      logger.resetKeys();
    }
  };
}

function decodeBody(event: HttpEvent): string | undefined {
  if (event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}
