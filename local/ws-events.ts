/**
 * Event shapes of API Gateway's WebSocket API, built the way AWS builds them, for the local gateway.
 *
 * Kept apart from the socket plumbing in `ws-gateway.ts` so that every field a handler may read is in one
 * place and can be compared with the AWS documentation line by line.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What API Gateway knows about the caller of a connection (`requestContext.identity`). */
export interface WebSocketIdentity {
  readonly sourceIp: string;
  /** Absent when the client sent no `User-Agent` header. */
  readonly userAgent?: string;
}

/** Fields of `requestContext` that every event of a connection shares. */
export interface ConnectionContext {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly identity: WebSocketIdentity;
  readonly stage: string;
  readonly domainName: string;
  readonly apiId: string;
  /** `principalId`, the authorizer's `context` and `integrationLatency`; absent without an authorizer. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

/**
 * An id in the style of API Gateway's connection, request and message ids: 12 base64 characters ending in
 * `=` (8 random bytes), e.g. `L0SM9cOFvHcCIhw=`. Real ids contain `/` and `+`, so handlers and the
 * management API must URL-encode them; a local id that never did would hide that bug.
 */
export function awsStyleId(): string {
  return randomBytes(8).toString('base64');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `requestTime` in the common log format API Gateway uses, e.g. `19/Jan/2023:21:13:26 +0000`. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}

/** The handshake's request as API Gateway passes it to the authorizer and to `$connect`. */
export interface HandshakeRequest {
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  /** Absent when the URL has no query string, as in AWS. */
  readonly queryStringParameters?: Record<string, string>;
  readonly multiValueQueryStringParameters?: Record<string, string[]>;
}

/**
 * Headers with the client's own spelling (Node lower-cases `req.headers`; AWS does not) plus the
 * `X-Forwarded-*` headers API Gateway adds, and the decoded query string.
 */
export function readHandshake(req: IncomingMessage, sourceIp: string, port: number): HandshakeRequest {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    headers[name] = value;
    const values = multiValueHeaders[name] ?? [];
    values.push(value);
    multiValueHeaders[name] = values;
  };
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) add(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase());
  if (!has('X-Forwarded-For')) add('X-Forwarded-For', sourceIp);
  if (!has('X-Forwarded-Port')) add('X-Forwarded-Port', String(port));
  if (!has('X-Forwarded-Proto')) add('X-Forwarded-Proto', 'http');

  const search = new URL(req.url ?? '/', 'http://local').searchParams;
  if ([...search.keys()].length === 0) return { headers, multiValueHeaders };
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [key, value] of search) {
    queryStringParameters[key] = value;
    const values = multiValueQueryStringParameters[key] ?? [];
    values.push(value);
    multiValueQueryStringParameters[key] = values;
  }
  return { headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters };
}

interface RequestTimes {
  readonly requestId: string;
  readonly requestTimeEpoch: number;
}

function commonContext(c: ConnectionContext, t: RequestTimes) {
  return {
    extendedRequestId: t.requestId,
    requestTime: clfTime(t.requestTimeEpoch),
    messageDirection: 'IN',
    stage: c.stage,
    connectedAt: c.connectedAt,
    requestTimeEpoch: t.requestTimeEpoch,
    identity: { ...c.identity },
    requestId: t.requestId,
    domainName: c.domainName,
    connectionId: c.connectionId,
    apiId: c.apiId,
  };
}

/** The `methodArn` of `$connect`; the account id is a placeholder, as nothing local has one. */
export function connectMethodArn(region: string, apiId: string, stage: string): string {
  return `arn:aws:execute-api:${region}:000000000000:${apiId}/${stage}/$connect`;
}

/** Input of the Lambda REQUEST authorizer on `$connect` (no `authorizer` in its context yet). */
export function authorizerEvent(
  request: HandshakeRequest,
  c: ConnectionContext,
  t: RequestTimes,
  methodArn: string,
) {
  return {
    type: 'REQUEST',
    methodArn,
    ...request,
    stageVariables: {},
    requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...commonContext(c, t) },
  };
}

/** Input of the `$connect` route's integration. */
export function connectEvent(request: HandshakeRequest, c: ConnectionContext, t: RequestTimes) {
  return {
    ...request,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      ...commonContext(c, t),
      ...(c.authorizer ? { authorizer: { ...c.authorizer } } : {}),
    },
    isBase64Encoded: false,
  };
}

/** Input of a message route's integration (a custom route or `$default`); only text frames are routed. */
export function messageEvent(c: ConnectionContext, t: RequestTimes, routeKey: string, body: string) {
  return {
    requestContext: {
      routeKey,
      messageId: awsStyleId(),
      eventType: 'MESSAGE',
      ...commonContext(c, t),
      ...(c.authorizer ? { authorizer: { ...c.authorizer } } : {}),
    },
    body,
    isBase64Encoded: false,
  };
}

/**
 * Input of `$disconnect`. AWS sends only a few placeholder headers here (the handshake is long gone), so
 * handlers must not expect the `$connect` headers or query string again.
 */
export function disconnectEvent(c: ConnectionContext, t: RequestTimes, statusCode: number, reason: string) {
  const headers = { Host: c.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: statusCode,
      eventType: 'DISCONNECT',
      disconnectReason: reason,
      ...commonContext(c, t),
      ...(c.authorizer ? { authorizer: { ...c.authorizer } } : {}),
    },
    isBase64Encoded: false,
  };
}

/** The verdict of an authorizer's IAM policy on the `$connect` method ARN. */
export type AuthorizerVerdict =
  | { readonly kind: 'allow'; readonly principalId: string; readonly context: Record<string, string> }
  | { readonly kind: 'deny' }
  | { readonly kind: 'invalid'; readonly reason: string };

function toList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** IAM-style wildcard match: `*` any run of characters, `?` exactly one. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * Evaluates an authorizer's response as API Gateway does: an explicit Deny wins, then an Allow on
 * `execute-api:Invoke` for the method ARN (wildcards allowed); anything else is a Deny. A response without
 * `principalId` or `policyDocument`, or with a `context` value that is an object or array, is a
 * configuration error (AWS answers 500).
 *
 * Context values come out as strings: API Gateway's v1-style events (REST and WebSocket) stringify
 * numbers and booleans in `requestContext.authorizer`, so a handler that expects `true` works here only if
 * it also accepts `"true"`; making them strings locally keeps that bug from hiding until deployment.
 */
export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerVerdict {
  if (typeof result !== 'object' || result === null) return { kind: 'invalid', reason: 'not an object' };
  const r = result as { principalId?: unknown; policyDocument?: unknown; context?: unknown };
  if (typeof r.principalId !== 'string') return { kind: 'invalid', reason: 'principalId is not a string' };
  if (typeof r.policyDocument !== 'object' || r.policyDocument === null) {
    return { kind: 'invalid', reason: 'policyDocument is missing' };
  }
  const context: Record<string, string> = {};
  if (r.context !== undefined && r.context !== null) {
    if (typeof r.context !== 'object' || Array.isArray(r.context)) {
      return { kind: 'invalid', reason: 'context is not a map' };
    }
    for (const [key, value] of Object.entries(r.context)) {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { kind: 'invalid', reason: `context.${key} is not a string, number or boolean` };
      }
      context[key] = String(value);
    }
  }
  let allowed = false;
  for (const statement of toList((r.policyDocument as { Statement?: unknown }).Statement)) {
    if (typeof statement !== 'object' || statement === null) continue;
    const s = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    const matches = (list: unknown, value: string) =>
      toList(list).some((p) => typeof p === 'string' && wildcardMatch(p, value));
    if (!matches(s.Action, 'execute-api:Invoke') || !matches(s.Resource, methodArn)) continue;
    if (s.Effect === 'Deny') return { kind: 'deny' };
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? { kind: 'allow', principalId: r.principalId, context } : { kind: 'deny' };
}
