/**
 * The local stand-in for API Gateway's WebSocket API and its management API (`@connections`), so that the
 * handler files under `lambdas/ws/` run unmodified on a laptop and integration tests drive them over real
 * sockets. What differs from AWS, and why, is listed in the TSDoc of {@link startWebSocketGateway}.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { WebSocketRoute } from '../lambdas/contract/routes.js';
import type { LambdaRuntime } from './lambda-runtime.js';
import {
  authorizerEvent,
  awsStyleId,
  type ConnectionContext,
  connectEvent,
  connectMethodArn,
  disconnectEvent,
  evaluateAuthorizerResult,
  messageEvent,
  readHandshake,
} from './ws-events.js';
import { frameHeaderReader, isDataFrame } from './ws-frames.js';

/** API Gateway's WebSocket quotas that the local gateway enforces (none of them can be raised in AWS). */
export const WEBSOCKET_LIMITS = {
  /** Largest data frame a client may send; larger frames close the socket with 1009. */
  frameBytes: 32 * 1024,
  /** Largest message (frames reassembled), and largest `PostToConnection` payload. */
  messageBytes: 128 * 1024,
  /** A socket with no data frame from its client for this long is closed. */
  idleMs: 10 * 60 * 1000,
  /** Every socket is closed at this age. */
  maxAgeMs: 2 * 60 * 60 * 1000,
} as const;

export interface WebSocketGatewayOptions {
  /** Runs the route, authorizer and `$connect`/`$disconnect` handlers. */
  readonly runtime: LambdaRuntime;
  /** Routes by route key, usually `webSocketRoutes` of the shared route table. */
  readonly routes: readonly WebSocketRoute[];
  /** Handler name of the `$connect` REQUEST authorizer. @default no authorizer */
  readonly authorizer?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** `0` picks a free port. @default 3001 */
  readonly port?: number;
  /** Stage name in events, in the callback URL and as an optional path prefix. @default 'local' */
  readonly stage?: string;
  /** `requestContext.apiId` and part of the authorizer's `methodArn`. @default 'local' */
  readonly apiId?: string;
  /** Region in the authorizer's `methodArn`. @default 'local' */
  readonly region?: string;
  /** Idle timeout; tests shorten it. @default 600_000 (10 minutes, as in AWS) */
  readonly idleTimeoutMs?: number;
  /** Maximum connection age; tests shorten it. @default 7_200_000 (2 hours, as in AWS) */
  readonly maxConnectionAgeMs?: number;
  /** Largest data frame a client may send before the socket is closed with 1009. @default 32 KiB */
  readonly maxFrameBytes?: number;
  /** Management API requests per second (all methods together) before 429 `LimitExceededException`. @default unlimited */
  readonly managementRateLimit?: number;
  /** Receives one line per handshake, frame and management request. @default discards them */
  readonly log?: (line: string) => void;
  /**
   * Makes connection ids. Tests use it to force ids with `/`, `+` and `=`, which real ids contain.
   * @default 8 random bytes in base64, like AWS's `L0SM9cOFvHcCIhw=`
   */
  readonly connectionIdFactory?: () => string;
}

/** A running local WebSocket API. */
export interface WebSocketGateway {
  /** Where clients connect, e.g. `ws://127.0.0.1:3001/`. */
  readonly url: string;
  /** The management API endpoint handlers get as `WS_CALLBACK_URL`, e.g. `http://127.0.0.1:3001/local`. */
  readonly callbackUrl: string;
  readonly port: number;
  /** The stage name, the WebSocket URL's path. */
  readonly stage: string;
  /** Ids of the connections whose `$connect` succeeded and that are still open. */
  connectionIds(): string[];
  /**
   * Cuts the TCP connection without running `$disconnect`, which AWS only delivers on a best-effort basis:
   * tests use it to prove that a stale connection is cleaned up by the next fan-out's `GoneException`.
   */
  drop(connectionId: string): void;
  /**
   * Throttles the next `frames` frames routed to `routeKey` (on any socket), as a route's throttling limit in
   * AWS does: the route is not invoked, and the socket gets API Gateway's own throttling frame instead,
   * `{"message": "Too Many Requests", "connectionId": …, "requestId": …}` (no `type`). Counts add up;
   * `0` clears what is left.
   */
  throttle(routeKey: string, frames: number): void;
  /**
   * Fails the next `posts` management API posts to `connectionId` with a 500 (`InternalServerError`), the
   * failure the SDK retries and then gives up on, so a test sees what happens to an undelivered frame.
   * Each attempt of the SDK's counts as one post; `0` clears what is left.
   */
  failPosts(connectionId: string, posts: number): void;
  /** Closes every socket with 1001 (running `$disconnect` for each), waits for running handlers, then stops. */
  close(): Promise<void>;
}

interface CloseCause {
  readonly code: number;
  readonly reason: string;
}

interface Connection {
  readonly ctx: ConnectionContext;
  readonly ws: WebSocket;
  lastActiveAt: number;
  /** Set once the gateway has decided to close the socket; also makes the connection gone to `@connections`. */
  cause?: CloseCause;
  /** Set by `drop()`: no `$disconnect`. */
  dropped: boolean;
  readonly timers: NodeJS.Timeout[];
}

/** Close code and reason of a socket `ws` closes because the client broke the protocol or a limit. */
function causeOfSocketError(error: Error & { code?: string }): CloseCause {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return { code: 1009, reason: 'Message too big' };
  if (error.code === 'WS_ERR_INVALID_UTF8') return { code: 1007, reason: error.message };
  return { code: 1002, reason: error.message };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function normalizeIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** What a Lambda proxy result says about the HTTP status (`$connect`): no `statusCode` counts as 200. */
function statusOf(value: unknown): number {
  const status = (value as { statusCode?: unknown } | null | undefined)?.statusCode;
  return typeof status === 'number' ? status : 200;
}

/** The frame a two-way route sends back: a string result as is, else the result's `body`. */
function routeResponseBody(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || !('body' in value)) return undefined;
  const body = (value as { body?: unknown }).body;
  if (body === undefined || body === null) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

const MANAGEMENT_PATH = /^(?:\/([^/]+))?\/(?:@|%40)connections\/(.+)$/i;

class LocalWebSocketGateway implements WebSocketGateway {
  url = '';
  callbackUrl = '';
  port = 0;

  private readonly server = http.createServer();
  // Without permessage-deflate, as API Gateway does not negotiate it: frame sizes are then what clients send.
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: WEBSOCKET_LIMITS.messageBytes,
    perMessageDeflate: false,
  });
  private readonly routes = new Map<string, WebSocketRoute>();
  private readonly connections = new Map<string, Connection>();
  /** Handshakes, route invocations and `$disconnect`s still running; `close()` waits for them. */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Sockets whose handshake has not completed; `close()` cuts them. */
  private readonly handshakes = new Set<Socket>();
  private readonly host: string;
  readonly stage: string;
  private readonly apiId: string;
  private readonly region: string;
  private readonly idleTimeoutMs: number;
  private readonly maxConnectionAgeMs: number;
  private readonly maxFrameBytes: number;
  private readonly log: (line: string) => void;
  private readonly newConnectionId: () => string;
  private rateWindow = { second: 0, count: 0 };
  /** Posts still to fail, per connection (see `failPosts()`). */
  private readonly failingPosts = new Map<string, number>();
  /** Frames still to throttle, per route key (see `throttle()`). */
  private readonly throttled = new Map<string, number>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WebSocketGatewayOptions) {
    for (const route of options.routes) {
      if (this.routes.has(route.routeKey)) throw new Error(`Duplicate WebSocket route ${route.routeKey}`);
      this.routes.set(route.routeKey, route);
    }
    this.host = options.host ?? '127.0.0.1';
    this.stage = options.stage ?? 'local';
    this.apiId = options.apiId ?? 'local';
    this.region = options.region ?? 'local';
    this.idleTimeoutMs = options.idleTimeoutMs ?? WEBSOCKET_LIMITS.idleMs;
    this.maxConnectionAgeMs = options.maxConnectionAgeMs ?? WEBSOCKET_LIMITS.maxAgeMs;
    this.maxFrameBytes = options.maxFrameBytes ?? WEBSOCKET_LIMITS.frameBytes;
    this.log = options.log ?? (() => undefined);
    this.newConnectionId = options.connectionIdFactory ?? awsStyleId;
    this.server.on('request', (req, res) => this.track(this.onRequest(req, res)));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.track(this.onUpgrade(req, socket, head)),
    );
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 3001, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string')
      throw new Error('WebSocket gateway has no TCP address');
    this.port = address.port;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.url = `ws://${host}:${this.port}/`;
    this.callbackUrl = `http://${host}:${this.port}/${this.stage}`;
  }

  connectionIds(): string[] {
    return [...this.connections.keys()];
  }

  drop(connectionId: string): void {
    const conn = this.connections.get(connectionId);
    if (!conn) return;
    conn.dropped = true;
    this.connections.delete(connectionId);
    conn.ws.terminate();
    this.log(`WS drop ${connectionId} (no $disconnect)`);
  }

  failPosts(connectionId: string, posts: number): void {
    if (posts > 0) this.failingPosts.set(connectionId, (this.failingPosts.get(connectionId) ?? 0) + posts);
    else this.failingPosts.delete(connectionId);
  }

  throttle(routeKey: string, frames: number): void {
    if (frames > 0) this.throttled.set(routeKey, (this.throttled.get(routeKey) ?? 0) + frames);
    else this.throttled.delete(routeKey);
  }

  /** Takes one of the route's throttled frames, if any are left. */
  private takeThrottled(routeKey: string): boolean {
    const left = this.throttled.get(routeKey) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.throttled.delete(routeKey);
    else this.throttled.set(routeKey, left - 1);
    return true;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const open = [...this.connections.values()];
    for (const conn of open) this.closeConnection(conn, 1001, 'Going away');
    for (const socket of this.handshakes) socket.destroy();
    // `inflight` holds each connection's close and $disconnect, and every running handler. Handlers may call
    // the management API until they return, so the HTTP side stays up until then.
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Remembers running work for `close()`; a failure is logged, never left as an unhandled rejection. */
  private track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) =>
        this.log(`WebSocket gateway error: ${error instanceof Error ? error.stack : String(error)}`),
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
  }

  private domainName(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  // ---- Handshake: authorizer, then $connect, then the upgrade ----

  private async onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    // A client that vanishes mid-handshake must not crash the gateway with an unhandled 'error'.
    socket.on('error', () => undefined);
    if (this.closing) {
      socket.destroy();
      return;
    }
    const started = Date.now();
    const pathname = new URL(req.url ?? '/', 'http://local').pathname;
    const reject = (status: number, body: string | undefined, why?: string) => {
      this.writeHandshakeError(socket, status, body);
      this.log(`WS $connect ${req.url} ${status}${why ? ` (${why})` : ''} ${Date.now() - started}ms`);
    };
    if (pathname !== '/' && pathname !== `/${this.stage}` && pathname !== `/${this.stage}/`) {
      return reject(403, '{"message":"Forbidden"}', `no stage at ${pathname}`);
    }
    if (req.headers.upgrade?.toLowerCase() !== 'websocket')
      return reject(400, undefined, 'not a WebSocket upgrade');

    this.handshakes.add(socket);
    try {
      const sourceIp = normalizeIp(socket.remoteAddress);
      const userAgent = req.headers['user-agent'];
      let ctx: ConnectionContext = {
        connectionId: this.uniqueConnectionId(),
        connectedAt: started,
        identity: userAgent === undefined ? { sourceIp } : { sourceIp, userAgent },
        stage: this.stage,
        domainName: this.domainName(),
        apiId: this.apiId,
      };
      const request = readHandshake(req, sourceIp, this.port);
      const times = { requestId: awsStyleId(), requestTimeEpoch: started };

      if (this.options.authorizer !== undefined) {
        const methodArn = connectMethodArn(this.region, this.apiId, this.stage);
        const event = authorizerEvent(request, ctx, times, methodArn);
        const { value, error } = await this.options.runtime.invoke(this.options.authorizer, event);
        // Only this exact message means "401" to API Gateway; any other failure is its 500.
        if (error?.message === 'Unauthorized') return reject(401, '{"message":"Unauthorized"}', 'authorizer');
        if (error)
          return reject(500, '{"message":"Internal server error"}', `authorizer failed: ${error.message}`);
        const verdict = evaluateAuthorizerResult(value, methodArn);
        if (verdict.kind === 'deny') return reject(403, '{"message":"Forbidden"}', 'authorizer denied');
        if (verdict.kind === 'invalid') {
          return reject(500, '{"message":"Internal server error"}', `authorizer response: ${verdict.reason}`);
        }
        ctx = {
          ...ctx,
          authorizer: {
            ...verdict.context,
            principalId: verdict.principalId,
            integrationLatency: Date.now() - started,
          },
        };
      }

      const connect = this.routes.get('$connect');
      if (connect) {
        const { value, error } = await this.options.runtime.invoke(
          connect.handler,
          connectEvent(request, ctx, times),
        );
        // A $connect integration that throws or times out fails the handshake with 502 in AWS, where a
        // failing authorizer is a 500 (reports from deployed APIs:
        // https://github.com/serverless/serverless-websockets-plugin/issues/13, a $connect function with a
        // syntax error; https://github.com/anomalyco/guide/pull/644, one that timed out).
        if (error)
          return reject(502, '{"message":"Internal server error"}', `$connect failed: ${error.message}`);
        const status = statusOf(value);
        if (status < 200 || status > 299) {
          return reject(status, routeResponseBody(value), `$connect answered ${status}`);
        }
      }

      // $connect has accepted the connection (and may have stored it), so from here on a socket that cannot
      // be upgraded still gets its $disconnect, or the handlers would keep a connection that never existed.
      let upgraded = false;
      if (!socket.destroyed && !this.closing) {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          upgraded = true;
          this.register(ws, socket, ctx);
        });
      }
      this.log(`WS $connect ${ctx.connectionId} ${upgraded ? 101 : 'client gone'} ${Date.now() - started}ms`);
      if (!upgraded) {
        socket.destroy();
        await this.runDisconnect(ctx, { code: 1006, reason: 'Connection closed before the upgrade' });
      }
    } finally {
      this.handshakes.delete(socket);
    }
  }

  private uniqueConnectionId(): string {
    for (;;) {
      const id = this.newConnectionId();
      if (!this.connections.has(id)) return id;
    }
  }

  private writeHandshakeError(socket: Socket, status: number, body: string | undefined): void {
    if (socket.destroyed) return;
    const payload = body ?? '';
    const errorType =
      status === 401 ? 'UnauthorizedException' : status === 403 ? 'ForbiddenException' : undefined;
    socket.end(
      [
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`,
        'Connection: close',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(payload)}`,
        ...(errorType ? [`x-amzn-ErrorType: ${errorType}`] : []),
        '',
        payload,
      ].join('\r\n'),
    );
  }

  // ---- An open connection ----

  private register(ws: WebSocket, socket: Socket, ctx: ConnectionContext): void {
    const conn: Connection = { ctx, ws, lastActiveAt: ctx.connectedAt, dropped: false, timers: [] };
    const idle = setTimeout(() => this.closeConnection(conn, 1001, 'Going away'), this.idleTimeoutMs);
    const age = setTimeout(() => this.closeConnection(conn, 1001, 'Going away'), this.maxConnectionAgeMs);
    conn.timers.push(idle.unref(), age.unref());
    this.connections.set(ctx.connectionId, conn);

    // Prepended so a too-large frame is seen before `ws` reassembles and emits its message.
    socket.prependListener(
      'data',
      frameHeaderReader((frame) => {
        // Only data frames count as activity: AWS closes an idle socket even if its client keeps pinging.
        // Once closing, nothing counts (and the idle timer must not be re-armed).
        if (!isDataFrame(frame.opcode) || conn.cause) return;
        conn.lastActiveAt = Date.now();
        idle.refresh();
        if (frame.payloadLength > this.maxFrameBytes) this.closeConnection(conn, 1009, 'Message too big');
      }),
    );
    ws.on('message', (data, isBinary) => {
      if (conn.cause) return; // AWS routes nothing more once it has decided to close the socket
      // "API Gateway WebSocket APIs don't currently support binary frames in incoming message payloads. If a
      // client app sends a binary frame, API Gateway rejects it and disconnects the client with code 1003."
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html)
      // The reason is ours: AWS documents none.
      if (isBinary) return this.closeConnection(conn, 1003, 'Binary frames are not supported');
      this.track(this.dispatch(conn, toBuffer(data)));
    });
    ws.on('error', (error) => {
      conn.cause ??= causeOfSocketError(error);
    });
    // Tracked from the start, so that close() waits for the close handshake and the $disconnect after it.
    this.track(
      new Promise<void>((resolve) => {
        ws.once('close', (code, reason) => resolve(this.onClose(conn, code, reason.toString('utf8'))));
      }),
    );
  }

  private closeConnection(conn: Connection, code: number, reason: string): void {
    if (conn.cause) return;
    conn.cause = { code, reason };
    conn.ws.close(code, reason);
    // A client that never answers the close frame is cut, as `ws` would only do after 30 s.
    conn.timers.push(setTimeout(() => conn.ws.terminate(), 1000).unref());
  }

  private async onClose(conn: Connection, code: number, reason: string): Promise<void> {
    for (const timer of conn.timers) clearTimeout(timer);
    if (this.connections.get(conn.ctx.connectionId) === conn) this.connections.delete(conn.ctx.connectionId);
    if (conn.dropped) return;
    const cause =
      conn.cause ??
      (code === 1005 ? { code, reason: 'Client-side close frame status not set' } : { code, reason });
    await this.runDisconnect(conn.ctx, cause);
  }

  private async runDisconnect(ctx: ConnectionContext, cause: CloseCause): Promise<void> {
    const route = this.routes.get('$disconnect');
    this.log(`WS $disconnect ${ctx.connectionId} ${cause.code}${cause.reason ? ` ${cause.reason}` : ''}`);
    if (!route) return;
    const times = { requestId: awsStyleId(), requestTimeEpoch: Date.now() };
    await this.options.runtime.invoke(route.handler, disconnectEvent(ctx, times, cause.code, cause.reason));
  }

  /** `$request.body.type`: a string `type` naming a custom route selects it; anything else is `$default`. */
  private selectRoute(body: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return '$default';
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '$default';
    const type = (parsed as { type?: unknown }).type;
    if (typeof type !== 'string' || type === '$connect' || type === '$disconnect') return '$default';
    return this.routes.has(type) ? type : '$default';
  }

  private async dispatch(conn: Connection, data: Buffer): Promise<void> {
    const started = Date.now();
    const times = { requestId: awsStyleId(), requestTimeEpoch: started };
    const { connectionId } = conn.ctx;
    const body = data.toString('utf8');
    const routeKey = this.selectRoute(body);
    const route = this.routes.get(routeKey);
    if (!route) {
      this.sendText(conn, JSON.stringify({ message: 'Forbidden', connectionId, requestId: times.requestId }));
      this.log(`WS ${routeKey} ${connectionId} no route ${Date.now() - started}ms`);
      return;
    }
    if (this.takeThrottled(routeKey)) {
      // What API Gateway answers a frame over the route's (or the account's) throttling limit, in place of
      // invoking the route.
      const frame = { message: 'Too Many Requests', connectionId, requestId: times.requestId };
      this.sendText(conn, JSON.stringify(frame));
      this.log(`WS ${routeKey} ${connectionId} throttled ${Date.now() - started}ms`);
      return;
    }
    const event = messageEvent(conn.ctx, times, routeKey, body);
    const { value, error } = await this.options.runtime.invoke(route.handler, event);
    if (error) {
      const frame = { message: 'Internal server error', connectionId, requestId: times.requestId };
      this.sendText(conn, JSON.stringify(frame));
    } else if (route.returnResponse) {
      const reply = routeResponseBody(value);
      if (reply !== undefined) this.sendText(conn, reply);
    }
    this.log(`WS ${routeKey} ${connectionId} ${error ? 'error' : 'ok'} ${Date.now() - started}ms`);
  }

  /**
   * Sends a text message in frames of at most `maxFrameBytes`, as API Gateway does for messages over 32 KB.
   * The fragments go out in one synchronous loop, so two concurrent senders cannot interleave them.
   */
  private sendText(conn: Connection, data: string | Buffer): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length <= this.maxFrameBytes) {
      conn.ws.send(bytes, { binary: false });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += this.maxFrameBytes) {
      const end = offset + this.maxFrameBytes;
      conn.ws.send(bytes.subarray(offset, end), { binary: false, fin: end >= bytes.length });
    }
  }

  // ---- Management API: POST|GET|DELETE [/{stage}]/@connections/{id} ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    res.on('finish', () => this.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const match = MANAGEMENT_PATH.exec(rawPath);
    if (!match || (match[1] !== undefined && match[1] !== this.stage)) {
      req.resume();
      if (req.method === 'GET' && (rawPath === '/' || rawPath === `/${this.stage}`)) {
        return this.sendJson(res, 426, { message: 'Upgrade Required' });
      }
      return this.sendJson(res, 404, { message: 'Not Found' });
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[2]!);
    } catch {
      req.resume();
      return this.sendError(res, 400, 'BadRequestException', 'Invalid connection id');
    }
    if (this.rateLimited()) {
      req.resume();
      return this.sendError(res, 429, 'LimitExceededException', 'Too Many Requests');
    }
    const conn = this.connections.get(connectionId);
    const live = conn && !conn.cause && conn.ws.readyState === conn.ws.OPEN ? conn : undefined;

    switch (req.method) {
      case 'POST': {
        const body = await readBody(req, WEBSOCKET_LIMITS.messageBytes);
        if (body === 'too large') {
          return this.sendError(res, 413, 'PayloadTooLargeException', 'Request entity too large');
        }
        if (!live) return this.sendGone(res);
        const failing = this.failingPosts.get(connectionId) ?? 0;
        if (failing > 0) {
          this.failingPosts.set(connectionId, failing - 1);
          return this.sendError(res, 500, 'InternalServerErrorException', 'Internal server error');
        }
        this.sendText(live, body);
        return this.sendJson(res, 200, undefined);
      }
      case 'GET':
        req.resume();
        if (!live) return this.sendGone(res);
        return this.sendJson(res, 200, {
          connectedAt: new Date(live.ctx.connectedAt).toISOString(),
          identity: { ...live.ctx.identity },
          lastActiveAt: new Date(live.lastActiveAt).toISOString(),
        });
      case 'DELETE':
        req.resume();
        if (!live) return this.sendGone(res);
        this.closeConnection(live, 1000, '');
        return this.sendJson(res, 204, undefined);
      default:
        req.resume();
        return this.sendJson(res, 404, { message: 'Not Found' });
    }
  }

  /** Fixed one-second windows over all management requests, like a per-second throttle. */
  private rateLimited(): boolean {
    const limit = this.options.managementRateLimit;
    if (limit === undefined) return false;
    const second = Math.floor(Date.now() / 1000);
    if (this.rateWindow.second !== second) this.rateWindow = { second, count: 0 };
    this.rateWindow.count += 1;
    return this.rateWindow.count > limit;
  }

  private sendGone(res: ServerResponse): void {
    // The SDK maps the error by this header; a bare 410 would surface as an error named `Unknown`.
    this.sendError(res, 410, 'GoneException', null);
  }

  private sendError(res: ServerResponse, status: number, type: string, message: string | null): void {
    res.setHeader('x-amzn-errortype', type);
    this.sendJson(res, status, { message });
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(payload);
  }
}

/** Reads a request body, or reports that it exceeds `limit` bytes (still draining it, to keep the socket usable). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts the local WebSocket API: clients connect on `url` (path `/` or `/{stage}`), handlers reach the
 * management API at `callbackUrl`. Events follow API Gateway's shapes (`requestContext.connectionId`,
 * `routeKey`, `eventType`, `domainName`, `stage`, authorizer context, …), frames of one socket are handled
 * concurrently as in AWS, and the quotas in {@link WEBSOCKET_LIMITS} are enforced.
 *
 * Known differences from AWS:
 * - No TLS, no SigV4 check (any `Authorization` is accepted), no authorizer result caching, no
 *   connection-rate quota; `domainName` is `host:port`, so handlers must use `WS_CALLBACK_URL` rather than
 *   build `https://{domainName}/{stage}`.
 * - Close codes and reasons passed to `$disconnect` for `DeleteConnection` (1000, empty) and for a lost TCP
 *   connection (1006) are our choice; AWS does not document them.
 * - Only a client's data frames are checked against the 32 KiB frame quota; messages the gateway sends are
 *   split into frames of that size instead.
 *
 * @example
 * const gateway = await startWebSocketGateway({ runtime, routes: webSocketRoutes, authorizer: 'ws/authorizer' });
 * process.env.WS_CALLBACK_URL = gateway.callbackUrl;
 */
export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const gateway = new LocalWebSocketGateway(options);
  await gateway.listen();
  return gateway;
}
