import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtVerifier } from 'aws-jwt-verify';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EDGE_HEADERS } from '../lambdas/contract/edge-headers.js';
import type { HttpRoute } from '../lambdas/contract/routes.js';
import { attachWebSocketEdge, viewedAtEdge, type WebSocketEdgeOptions } from './edge.js';
import type { LambdaRuntime } from './lambda-runtime.js';

/** What API Gateway's native JWT authorizer (on the `jwt` routes) is configured with. */
export interface JwtAuthorizerSettings {
  readonly issuer: string;
  readonly audience: string;
  /** The issuer's public keys (the local issuer has no https endpoint to fetch them from). */
  readonly jwks: { keys: unknown[] };
}

export interface HttpGatewayOptions {
  readonly runtime: LambdaRuntime;
  readonly routes: readonly HttpRoute[];
  readonly authorizer: JwtAuthorizerSettings;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** Origins allowed by CORS, like the HTTP API's CORS configuration. @default ['*'] */
  readonly allowOrigins?: readonly string[];
  /** Requests the API does not route (the web pages); return true when answered. */
  readonly fallback?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  readonly log?: (line: string) => void;
  /**
   * The CloudFront distribution in front, as the stack deploys it: every request first goes through its
   * viewer-request function (which normalizes `/x/` to `/x`), gains the secret origin header, and `/ws…`
   * upgrades are forwarded to the WebSocket API. Without it this is the raw HTTP API, which answers 404 for
   * `/api/chat/rooms/` as AWS does.
   */
  readonly edge?: WebSocketEdgeOptions;
}

export interface HttpGateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** API Gateway HTTP APIs accept payloads up to 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: HttpRoute;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

/**
 * `/api/chat/rooms/{id}` matches `/api/chat/rooms/abc` and nothing else: an HTTP API does not route
 * `/api/chat/rooms/abc/` to it (the edge in front strips the slash).
 */
function compile(route: HttpRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      params.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
}

/**
 * The HTTP API, locally: routes from the shared route table, API Gateway's JWT authorizer on the `jwt` routes
 * (signature, issuer, audience or client_id, expiry; 401 otherwise), payload format 2.0 events with claims
 * flattened to strings exactly as AWS delivers them, CORS, and the same handler files Lambda runs.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const compiled = options.routes.map(compile);
  const allowOrigins = options.allowOrigins ?? ['*'];
  const log = options.log ?? (() => undefined);
  const verifier = JwtVerifier.create({
    issuer: options.authorizer.issuer,
    audience: null,
    customJwtCheck: ({ payload }) => checkAudience(payload, options.authorizer.audience),
  });
  verifier.cacheJwks(options.authorizer.jwks as Parameters<typeof verifier.cacheJwks>[0]);

  const server: Server = createServer((request, response) => {
    const started = Date.now();
    handle(request, response)
      .catch((error: unknown) => {
        console.error('[http-gateway]', error);
        if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' });
      })
      .finally(() =>
        log(`${request.method} ${request.url} ${response.statusCode} ${Date.now() - started}ms`),
      );
  });
  if (options.edge) attachWebSocketEdge(server, options.edge);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.edge) throughEdge(request, options.edge);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const origin = request.headers.origin;
    if (origin && (allowOrigins.includes('*') || allowOrigins.includes(origin))) {
      response.setHeader('access-control-allow-origin', allowOrigins.includes('*') ? '*' : origin);
      response.setHeader('vary', 'origin');
    }
    const matches = compiled.flatMap((candidate) => {
      const match = candidate.pattern.exec(url.pathname);
      return match ? [{ candidate, match }] : [];
    });
    if (request.method === 'OPTIONS' && matches.length > 0) {
      response.setHeader('access-control-allow-methods', 'GET,POST,PUT,DELETE,OPTIONS');
      response.setHeader('access-control-allow-headers', 'authorization,content-type');
      response.setHeader('access-control-max-age', '600');
      response.writeHead(204).end();
      return;
    }
    const found = matches.find(({ candidate }) => candidate.route.method === request.method);
    if (found && !decodable(found.match)) {
      send(response, 400, { message: 'Bad Request' });
      return;
    }
    if (!found) {
      if (options.fallback && (await options.fallback(request, response))) return;
      send(response, 404, { message: 'Not Found' });
      return;
    }
    const body = await readBody(request);
    if (body === null) {
      send(response, 413, { message: 'Request Entity Too Large' });
      return;
    }
    // Only `jwt` routes have an authorizer: `function` and `none` routes reach the function unchecked, with no
    // `requestContext.authorizer` (API Gateway's HttpNoneAuthorizer), and a `function` route checks the token.
    const hasAuthorizer = found.candidate.route.auth === 'jwt';
    const jwt = hasAuthorizer ? await authorize(request.headers.authorization) : undefined;
    if (hasAuthorizer && !jwt) {
      response.setHeader('www-authenticate', 'Bearer');
      send(response, 401, { message: 'Unauthorized' });
      return;
    }
    const event = buildEvent(request, url, found.candidate, found.match, jwt ?? undefined, body);
    const result = await options.runtime.invoke(found.candidate.route.handler, event);
    if (result.timedOut) {
      // What a deployed HTTP API answers when its Lambda integration does not return in time: 503 with this
      // body (https://github.com/anomalyco/sst/issues/2232 shows it from a real API while the function still
      // ran); a function that fails quickly is a 500 instead.
      send(response, 503, { message: 'Service Unavailable' });
      return;
    }
    if (result.error) {
      send(response, 500, { message: 'Internal Server Error' });
      return;
    }
    writeResult(response, result.value);
  }

  async function authorize(header: string | undefined): Promise<VerifiedJwt | null> {
    if (!header) return null;
    const token = header.replace(/^Bearer\s+/i, '').trim();
    try {
      const payload = await verifier.verify(token);
      return { claims: flattenClaims(payload), scopes: scopesOf(payload) };
    } catch {
      return null;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A path parameter with broken percent-encoding cannot be handed to an integration. */
function decodable(match: RegExpExecArray): boolean {
  try {
    for (const part of match.slice(1)) decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}

function checkAudience(payload: JwtPayload, audience: string): void {
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (audiences.includes(audience)) return;
  if (aud === undefined && payload.client_id === audience) return;
  throw new Error('Token audience does not match');
}

/** `requestContext.authorizer.jwt` of a request the JWT authorizer let through. */
interface VerifiedJwt {
  readonly claims: Record<string, string>;
  readonly scopes: string[] | null;
}

/**
 * `jwt.scopes` as API Gateway fills it: `null` for a token without a `scope` claim, not `[]` (observed from
 * deployed HTTP APIs: https://github.com/aws/aws-lambda-go/issues/317,
 * https://github.com/aws-powertools/powertools-lambda-python/issues/2953), else the claim's space-separated
 * scopes (https://github.com/localstack/localstack/issues/6864).
 */
export function scopesOf(payload: JwtPayload): string[] | null {
  const scope = payload.scope;
  if (typeof scope !== 'string' || scope.trim() === '') return null;
  return scope.trim().split(/\s+/);
}

/**
 * API Gateway hands claims to the integration as strings: arrays become `"[a b]"`, numbers their decimal text.
 * Sending anything else locally would let code pass here that fails in AWS.
 */
export function flattenClaims(payload: JwtPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function buildEvent(
  request: IncomingMessage,
  url: URL,
  { route, params }: CompiledRoute,
  match: RegExpExecArray,
  jwt: VerifiedJwt | undefined,
  body: Buffer,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie')
      headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const pathParameters = Object.fromEntries(
    params.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)]),
  );
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  const text = body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(body);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(request.headers.cookie ? { cookies: request.headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(params.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      // A route without an authorizer (`function`, `none`) has none in its event at all, as API Gateway sends it.
      ...(jwt
        ? {
            authorizer: {
              principalId: '',
              integrationLatency: 0,
              jwt: { claims: jwt.claims, scopes: jwt.scopes },
            },
          }
        : {}),
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    } as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
    ...(body.length > 0
      ? { body: isText ? text : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
}

/** Maps a handler's result the way payload format 2.0 does, including its inference for bare values. */
function writeResult(response: ServerResponse, value: unknown): void {
  const structured =
    value && typeof value === 'object' && 'statusCode' in value
      ? (value as APIGatewayProxyStructuredResultV2)
      : null;
  if (!structured) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(typeof value === 'string' ? value : JSON.stringify(value ?? null));
    return;
  }
  for (const [name, headerValue] of Object.entries(structured.headers ?? {})) {
    response.setHeader(name, String(headerValue));
  }
  if (structured.cookies?.length) response.setHeader('set-cookie', structured.cookies);
  response.statusCode = structured.statusCode ?? 200;
  const body = structured.body ?? '';
  response.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/** What CloudFront does to a request before the HTTP API sees it: the viewer-request function, the origin header. */
function throughEdge(request: IncomingMessage, edge: WebSocketEdgeOptions): void {
  const edged = viewedAtEdge(request, edge.viewerRequest);
  request.url = edged.url;
  request.headers = { ...edged.headers, [EDGE_HEADERS.originVerify]: edge.originVerify };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
