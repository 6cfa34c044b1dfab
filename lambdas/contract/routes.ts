/**
 * The one route table of the system.
 *
 * The CDK stack builds both API Gateway APIs from it (one Lambda function per entry) and the local gateway
 * builds its routers from it, so a route cannot exist in one place and not the other. `handler` names the
 * entry file under `lambdas/` (without extension) whose `handler` export serves the route.
 *
 * HTTP paths are declared without a trailing slash: an HTTP API refuses route keys that end in `/` and does
 * not route `/x/` to the route `/x` (Powertools for AWS Lambda (Python) asserts exactly this against a real
 * HTTP API in `tests/e2e/event_handler/test_paths_ending_with_slash.py`). The seed's paths all end in `/`, so
 * the stack's CloudFront viewer-request function (`lib/edge/viewer-request.js`) strips it before the API
 * sees it, and the local gateway runs that same function in front of a raw API that answers 404 for `/x/`.
 */

import { EMAIL_CONFIRMATION_PATH, NOTIFY_RECORD_FILTER } from './notify.js';
import { QUEUE_RECORD_FILTER, type RecordFilter } from './stream.js';

/** What a function may touch; the stack turns it into IAM grants, nothing more. */
export interface RouteAccess {
  /**
   * DynamoDB access on the chat table: `read` (GetItem, BatchGetItem, Query), `readwrite` (read plus PutItem,
   * UpdateItem, DeleteItem, BatchWriteItem), or `tickets`, DeleteItem alone, which is all it takes to redeem
   * a one-time WebSocket ticket (delete it and get the old item back).
   */
  readonly table: 'none' | 'tickets' | 'read' | 'readwrite';
  /** Whether the function posts frames through the WebSocket management API. */
  readonly push: boolean;
  /**
   * The session issuer's KMS key: `sign` (kms:Sign and kms:GetPublicKey: it mints session tokens), `verify`
   * (kms:GetPublicKey alone). Every `auth: 'function'` route and the WebSocket authorizer verify session tokens,
   * so they get `verify` whatever this says. @default none
   */
  readonly sessionKey?: 'sign' | 'verify';
  /** Reads the host site's identity secret (secretsmanager:GetSecretValue on that one secret). @default false */
  readonly identitySecret?: boolean;
  /** Sends email (SES SendEmail from the stack's sender identity) and publishes to the team topic. @default false */
  readonly email?: boolean;
  /**
   * The attachments bucket, under `rooms/` only: `upload` signs presigned POSTs (s3:PutObject and
   * s3:PutObjectTagging, the rights the browser's upload is checked against), `download` signs presigned
   * GETs (s3:GetObject), `tag` marks an upload as sent (s3:PutObjectTagging alone). @default none
   */
  readonly files?: readonly FileAccess[];
}

export type FileAccess = 'upload' | 'download' | 'tag';

/**
 * Who checks a route's caller:
 *
 * - `jwt`: API Gateway's native JWT authorizer, with the staff issuer (Cognito or the configured OIDC issuer)
 *   alone: no Lambda in the auth path. For the routes only staff may use (a session token, which only guests
 *   and a host site's users hold, is answered 401 there).
 * - `function`: both issuers, the staff issuer and the stack's session issuer, verified by the function itself
 *   (`httpHandler` in lambdas/runtime/http.ts, aws-jwt-verify with both issuers, keys cached per container).
 *   API Gateway's JWT authorizer takes one issuer, and a Lambda authorizer would answer 403 rather than 401 to
 *   a bad token and add an invocation per cache miss: docs/architecture.md, "Who signs".
 * - `none`: public (one answer for everyone, or a route that checks what it is given itself, such as
 *   `guest-sessions`).
 */
export type RouteAuth = 'jwt' | 'function' | 'none';

/** The HTTP methods routes use (`PUT` and `DELETE`: the canned replies). */
export type HttpRouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpRouteMethod;
  readonly path: string;
  readonly handler: string;
  /** See {@link RouteAuth}. */
  readonly auth: RouteAuth;
  readonly access: RouteAccess;
  /** One line for docs and the API Gateway console. */
  readonly summary: string;
}

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default`, or a value of the frame's `type`. */
  readonly routeKey: string;
  readonly handler: string;
  readonly access: RouteAccess;
  readonly summary: string;
  /**
   * Two-way route: API Gateway sends the handler's response body back on the socket (a route response),
   * so no management API call is needed for the reply.
   * @default false
   */
  readonly returnResponse?: boolean;
}

const read = { table: 'read', push: false } as const;
const write = { table: 'readwrite', push: false } as const;
const writeAndPush = { table: 'readwrite', push: true } as const;
/** Sends: a message may cite attachments, which the send re-tags (lambdas/domain/attachments.ts). */
const send = { ...writeAndPush, files: ['tag'] } as const;

export const httpRoutes: readonly HttpRoute[] = [
  {
    method: 'GET',
    path: '/api/chat/rooms',
    handler: 'http/list-rooms',
    auth: 'function',
    access: read,
    summary: "List the caller's rooms",
  },
  {
    method: 'POST',
    path: '/api/chat/rooms',
    handler: 'http/create-room',
    auth: 'function',
    access: writeAndPush,
    summary: 'Open a room (customers)',
  },
  {
    method: 'GET',
    path: '/api/chat/rooms/{id}',
    handler: 'http/get-room',
    auth: 'function',
    access: read,
    summary: 'Room details',
  },
  {
    method: 'GET',
    path: '/api/chat/rooms/{id}/messages',
    handler: 'http/list-messages',
    auth: 'function',
    access: read,
    summary: 'Message history, paged by message id',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/join',
    handler: 'http/join-room',
    auth: 'jwt',
    access: writeAndPush,
    summary: 'Staff joins a room',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/leave',
    handler: 'http/leave-room',
    auth: 'jwt',
    access: writeAndPush,
    summary: 'Staff leaves a room',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/assign',
    handler: 'http/assign-room',
    auth: 'jwt',
    access: writeAndPush,
    summary: 'Staff take, give, transfer or unassign a room',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/close',
    handler: 'http/close-room',
    auth: 'function',
    access: writeAndPush,
    summary: 'Close a room',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/send_message',
    handler: 'http/send-message',
    auth: 'function',
    access: send,
    summary: 'Send a message over HTTP',
  },
  {
    method: 'GET',
    path: '/api/chat/rooms/{id}/notes',
    handler: 'http/list-notes',
    auth: 'function',
    access: read,
    summary: "A room's internal notes, paged by note id (staff)",
  },
  {
    method: 'GET',
    path: '/api/chat/canned-replies',
    handler: 'http/list-canned-replies',
    auth: 'function',
    access: read,
    summary: "The team's canned replies (staff)",
  },
  {
    method: 'POST',
    path: '/api/chat/canned-replies',
    handler: 'http/create-canned-reply',
    auth: 'function',
    access: write,
    summary: 'Save a canned reply (staff)',
  },
  {
    method: 'PUT',
    path: '/api/chat/canned-replies/{id}',
    handler: 'http/update-canned-reply',
    auth: 'function',
    access: write,
    summary: 'Replace a canned reply (staff)',
  },
  {
    method: 'DELETE',
    path: '/api/chat/canned-replies/{id}',
    handler: 'http/delete-canned-reply',
    auth: 'function',
    access: write,
    summary: 'Delete a canned reply (staff)',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/mark_read',
    handler: 'http/mark-read',
    auth: 'function',
    access: writeAndPush,
    summary: 'Move the read pointer',
  },
  {
    method: 'POST',
    path: '/api/chat/rooms/{id}/attachments',
    handler: 'http/create-attachment',
    auth: 'function',
    // Writes the attachment item and counts the upload against the sender's message limit.
    access: { ...write, files: ['upload'] },
    summary: 'A presigned POST for one file (and its thumbnail) to the attachments bucket',
  },
  {
    method: 'GET',
    path: '/api/chat/rooms/{id}/attachments/{attachment_id}',
    handler: 'http/get-attachment',
    auth: 'function',
    access: { ...read, files: ['download'] },
    summary: 'A short-lived download URL of an attachment (members and staff)',
  },
  {
    method: 'GET',
    path: '/api/chat/online-staff',
    handler: 'http/online-staff',
    auth: 'function',
    // Forgets the dead sockets it finds (lambdas/push/presence.ts), so it writes and pushes.
    access: writeAndPush,
    summary: 'Staff with a live socket',
  },
  {
    method: 'GET',
    path: '/api/chat/support-status',
    handler: 'http/support-status',
    auth: 'none',
    // The same checked reading as online-staff (it forgets the dead sockets it finds), shared for a few
    // seconds by every caller of a container; the request carries nothing that could steer it.
    access: writeAndPush,
    summary: 'Whether anyone from support is online (public, cached a few seconds)',
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: 'http/session-jwks',
    auth: 'none',
    access: { table: 'none', push: false, sessionKey: 'verify' },
    summary: "The session issuer's public keys (public, cached five minutes)",
  },
  {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    handler: 'http/openid-configuration',
    auth: 'none',
    access: { table: 'none', push: false },
    summary: "The session issuer's discovery document (public, cached five minutes)",
  },
  {
    method: 'GET',
    path: '/api/chat/active-rooms',
    handler: 'http/active-rooms',
    auth: 'jwt',
    access: read,
    summary: 'Open rooms, newest activity first (staff)',
  },
  {
    method: 'GET',
    path: '/api/chat/closed-rooms',
    handler: 'http/closed-rooms',
    auth: 'jwt',
    access: read,
    summary: 'Closed rooms, newest close first, with who closed them (staff)',
  },
  {
    method: 'GET',
    path: '/api/chat/customers/{id}/rooms',
    handler: 'http/customer-rooms',
    auth: 'jwt',
    access: read,
    summary: "A customer's conversations, newest first, closed ones included (staff)",
  },
  {
    method: 'POST',
    path: '/api/chat/guest-sessions',
    handler: 'http/guest-sessions',
    auth: 'none',
    access: { ...write, sessionKey: 'sign', identitySecret: true },
    summary: 'A guest session, renewed with its refresh secret, or a verified one for an identity token',
  },
  {
    method: 'POST',
    path: '/api/chat/guest-sessions/revoke',
    handler: 'http/revoke-guest-session',
    auth: 'none',
    access: write,
    summary: 'Forget a session refresh secret (sign-out)',
  },
  {
    method: 'POST',
    path: '/api/chat/ws-ticket',
    handler: 'http/create-ws-ticket',
    auth: 'function',
    access: write,
    summary: 'One-time WebSocket ticket',
  },
  {
    method: 'GET',
    path: '/api/chat/profile',
    handler: 'http/get-profile',
    auth: 'function',
    access: read,
    summary: "The caller's display name and email",
  },
  {
    method: 'POST',
    path: '/api/chat/profile',
    handler: 'http/update-profile',
    auth: 'function',
    access: writeAndPush,
    summary: 'Set the caller’s display name and email',
  },
  {
    method: 'POST',
    path: EMAIL_CONFIRMATION_PATH,
    handler: 'http/request-email-confirmation',
    auth: 'function',
    access: { ...write, email: true },
    summary: "Mail the caller a one-time link that confirms their profile's email address",
  },
  {
    method: 'GET',
    path: `${EMAIL_CONFIRMATION_PATH}/{token}`,
    handler: 'http/confirm-email',
    auth: 'none',
    access: write,
    summary: 'The email confirmation link (public): 303 to the widget page, which asks; spends nothing',
  },
  {
    method: 'POST',
    path: `${EMAIL_CONFIRMATION_PATH}/{token}`,
    handler: 'http/confirm-email',
    auth: 'none',
    access: write,
    summary: 'Spend an email confirmation link (public: the token is the proof), pressed in the widget',
  },
];

/** The Lambda REQUEST authorizer of the WebSocket API's `$connect` route. */
export const webSocketAuthorizer = {
  handler: 'ws/authorizer',
  access: { table: 'tickets', push: false },
  summary: 'Verifies ?token= or consumes ?ticket=',
} as const;

export const webSocketRoutes: readonly WebSocketRoute[] = [
  { routeKey: '$connect', handler: 'ws/connect', access: writeAndPush, summary: 'Register the socket' },
  { routeKey: '$disconnect', handler: 'ws/disconnect', access: writeAndPush, summary: 'Forget the socket' },
  {
    routeKey: '$default',
    handler: 'ws/default',
    access: writeAndPush,
    summary: 'Unknown or unparseable frame',
  },
  { routeKey: 'message', handler: 'ws/message', access: send, summary: 'Send a chat message' },
  { routeKey: 'typing', handler: 'ws/typing', access: writeAndPush, summary: 'Typing indicator' },
  { routeKey: 'read', handler: 'ws/read', access: writeAndPush, summary: 'Read receipt' },
  { routeKey: 'subscribe', handler: 'ws/subscribe', access: writeAndPush, summary: 'Follow a room' },
  {
    routeKey: 'unsubscribe',
    handler: 'ws/unsubscribe',
    access: writeAndPush,
    summary: 'Stop following a room',
  },
  {
    routeKey: 'ping',
    handler: 'ws/ping',
    access: { table: 'none', push: false },
    summary: 'Heartbeat, answered with a pong route response',
    returnResponse: true,
  },
];

/** Functions fed by a queue instead of a route. */
export const queueConsumers = [
  {
    queue: 'redelivery',
    handler: 'queue/redeliver',
    access: writeAndPush,
    summary: 'Posts again the frames a fan-out could not deliver (429, 5xx), a bounded number of times',
  },
] as const;

/** A function fed by the chat table's DynamoDB stream, through an event source mapping. */
export interface StreamConsumer {
  readonly stream: 'table';
  readonly handler: string;
  /** The records its mapping lets through; the rest never invoke it. */
  readonly filter: RecordFilter;
  readonly access: RouteAccess;
  readonly summary: string;
}

/** Functions fed by the table's stream (locally: the stream emulation of `local/stream.ts`). */
export const streamConsumers: readonly StreamConsumer[] = [
  {
    stream: 'table',
    handler: 'stream/queue-summaries',
    filter: QUEUE_RECORD_FILTER,
    // Reads the followers and typing-only rooms; forgets gone sockets (writes) and posts the summaries.
    access: writeAndPush,
    summary: 'Turns a batch of the table stream into one queue frame per console that follows the queue',
  },
  {
    stream: 'table',
    handler: 'stream/notify',
    filter: NOTIFY_RECORD_FILTER,
    // Reads profiles and subscriptions, writes the notice claims and reply windows, asks the management API
    // whether a customer's socket is alive, and sends email and team notices.
    access: { ...writeAndPush, email: true },
    summary:
      'Tells the team of rooms opened while no staff is online; emails staff replies to away customers',
  },
];

/** Route selection expression of the WebSocket API: frames route by their own `type`. */
export const webSocketRouteSelectionExpression = '$request.body.type';

/** Every handler entry the system deploys, each exactly once. */
export function allHandlers(): string[] {
  return [
    ...new Set([
      ...httpRoutes.map((r) => r.handler),
      webSocketAuthorizer.handler,
      ...webSocketRoutes.map((r) => r.handler),
      ...queueConsumers.map((c) => c.handler),
      ...streamConsumers.map((c) => c.handler),
    ]),
  ];
}
