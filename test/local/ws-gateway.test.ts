import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketRoute } from '../../lambdas/contract/routes.js';
import { LambdaRuntime } from '../../local/lambda-runtime.js';
import {
  startWebSocketGateway,
  type WebSocketGateway,
  type WebSocketGatewayOptions,
} from '../../local/ws-gateway.js';
import { calls } from '../fixtures/ws-lambdas/recorder.js';

const handlersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ws-lambdas');
// Failing fixtures (authorizer's Unauthorized, boom) are the point of some tests: keep stderr quiet.
const runtime = new LambdaRuntime({
  handlersDir,
  timeoutMs: 2000,
  onError: () => undefined,
  platformLog: () => undefined,
});

function route(routeKey: string, handler: string, returnResponse = false): WebSocketRoute {
  return { routeKey, handler, access: { table: 'none', push: false }, summary: handler, returnResponse };
}

const routes = [
  route('$connect', 'connect'),
  route('$disconnect', 'disconnect'),
  route('$default', 'default'),
  route('echo', 'echo'),
  route('work', 'work', true),
  route('boom', 'boom'),
];

const AWS_ID = /^[A-Za-z0-9+/]{11}=$/;
const CLF_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

const gateways: WebSocketGateway[] = [];
const clients: ApiGatewayManagementApiClient[] = [];

async function start(overrides: Partial<WebSocketGatewayOptions> = {}): Promise<WebSocketGateway> {
  const gateway = await startWebSocketGateway({
    runtime,
    routes,
    authorizer: 'authorizer',
    port: 0,
    ...overrides,
  });
  gateways.push(gateway);
  // The fixtures post through WS_CALLBACK_URL, as the real handlers do; tests in a file run one at a time.
  process.env.WS_CALLBACK_URL = gateway.callbackUrl;
  return gateway;
}

function management(
  gateway: WebSocketGateway,
  config: ApiGatewayManagementApiClientConfig = {},
): ApiGatewayManagementApiClient {
  const client = new ApiGatewayManagementApiClient({
    endpoint: gateway.callbackUrl,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...config,
  });
  clients.push(client);
  return client;
}

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(gateways.map((g) => g.close()));
});

beforeEach(() => {
  calls.length = 0;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms`);
    await sleep(5);
  }
}

const callsOf = (handler: string) => calls.filter((c) => c.handler === handler);

interface Client {
  readonly ws: WebSocket;
  readonly id: string;
  /** Every text frame received, in arrival order. */
  readonly frames: string[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The n-th frame (0-based), once it has arrived. */
  frame(n: number): Promise<string>;
}

let opened = 0;

/** Opens a socket with a unique `n` query parameter, so its `$connect` call can be told apart. */
async function open(
  gateway: WebSocketGateway,
  query = 'token=good',
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<Client> {
  const n = String(++opened);
  const url = `${gateway.url.replace(/\/$/, '')}${options.path ?? '/'}?${query}&n=${n}`;
  const ws = new WebSocket(url, { headers: options.headers });
  const frames: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(data.toString());
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const connect = callsOf('connect').find((c) => c.event.queryStringParameters?.n === n);
  const id: string = connect?.event.requestContext.connectionId ?? gateway.connectionIds().at(-1) ?? '';
  return { ws, id, frames, closed, frame: (i) => waitFor(() => frames[i]) };
}

/** The status a handshake is answered with, and its body: 101 when the socket opens. */
function handshake(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('local WebSocket gateway', () => {
  let gateway: WebSocketGateway;

  beforeAll(async () => {
    gateway = await start();
  });

  beforeEach(() => {
    process.env.WS_CALLBACK_URL = gateway.callbackUrl;
  });

  describe('handshake', () => {
    it('answers url and callbackUrl for the ephemeral port', () => {
      expect(gateway.url).toBe(`ws://127.0.0.1:${gateway.port}/`);
      expect(gateway.callbackUrl).toBe(`http://127.0.0.1:${gateway.port}/local`);
    });

    it.each([
      {
        query: '',
        status: 401,
        body: '{"message":"Unauthorized"}',
        connect: false,
        why: 'authorizer throws',
      },
      {
        query: 'token=bad',
        status: 403,
        body: '{"message":"Forbidden"}',
        connect: false,
        why: 'Deny policy',
      },
      {
        query: 'token=malformed',
        status: 500,
        body: '{"message":"Internal server error"}',
        connect: false,
        why: 'no policyDocument',
      },
      { query: 'token=good&refuse=1', status: 403, body: '', connect: true, why: '$connect answers 403' },
      {
        query: 'token=good&crash=1',
        status: 502,
        body: '{"message":"Internal server error"}',
        connect: false,
        why: '$connect throws',
      },
      {
        query: 'token=good&hang=1',
        status: 502,
        body: '{"message":"Internal server error"}',
        connect: false,
        why: '$connect times out',
      },
    ])('refuses the handshake with $status when $why', async ({ query, status, body, connect }) => {
      const answer = await handshake(`${gateway.url}?${query}`);
      expect(answer).toEqual({ status, body });
      expect(callsOf('authorizer')).toHaveLength(1);
      expect(callsOf('connect')).toHaveLength(connect ? 1 : 0);
      await sleep(50);
      expect(gateway.connectionIds()).toEqual([]);
      expect(callsOf('disconnect')).toHaveLength(0);
    });

    it('refuses a path other than / and /{stage} with 403, before the authorizer', async () => {
      expect(await handshake(`ws://127.0.0.1:${gateway.port}/ws/chat/1?token=good`)).toEqual({
        status: 403,
        body: '{"message":"Forbidden"}',
      });
      expect(calls).toEqual([]);
    });

    it('accepts the stage as path, and an Allow on a wildcard resource', async () => {
      const client = await open(gateway, 'token=wildcard', { path: '/local' });
      expect(gateway.connectionIds()).toContain(client.id);
      client.ws.close();
      await client.closed;
    });

    it('gives the authorizer the REQUEST event API Gateway builds', async () => {
      const client = await open(gateway, 'token=good&room_id=r1&room_id=r2&q=a%20b', {
        headers: { 'User-Agent': 'test-agent/1.0', 'X-Custom': 'v' },
      });
      const event: Record<string, unknown> = callsOf('authorizer')[0]?.event;
      expect(event).toMatchObject({
        type: 'REQUEST',
        methodArn: 'arn:aws:execute-api:local:000000000000:local/local/$connect',
        stageVariables: {},
      });
      expect(Object.keys(event).sort()).toEqual(
        [
          'type',
          'methodArn',
          'headers',
          'multiValueHeaders',
          'queryStringParameters',
          'multiValueQueryStringParameters',
          'stageVariables',
          'requestContext',
        ].sort(),
      );
      const e = event as {
        headers: Record<string, string>;
        multiValueHeaders: Record<string, string[]>;
        queryStringParameters: Record<string, string>;
        multiValueQueryStringParameters: Record<string, string[]>;
        requestContext: Record<string, unknown>;
      };
      // Header names keep the client's spelling, as in AWS; Node would have lower-cased them.
      expect(e.headers).toMatchObject({
        'User-Agent': 'test-agent/1.0',
        'X-Custom': 'v',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'X-Forwarded-For': '127.0.0.1',
        'X-Forwarded-Port': String(gateway.port),
        'X-Forwarded-Proto': 'http',
      });
      expect(e.multiValueHeaders['X-Custom']).toEqual(['v']);
      expect(e.queryStringParameters).toEqual({
        token: 'good',
        room_id: 'r2',
        q: 'a b',
        n: expect.any(String),
      });
      expect(e.multiValueQueryStringParameters.room_id).toEqual(['r1', 'r2']);
      const rc = e.requestContext;
      expect(rc).toEqual({
        routeKey: '$connect',
        eventType: 'CONNECT',
        extendedRequestId: rc.requestId,
        requestTime: expect.stringMatching(CLF_TIME),
        messageDirection: 'IN',
        stage: 'local',
        connectedAt: expect.any(Number),
        requestTimeEpoch: rc.connectedAt,
        identity: { sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0' },
        requestId: expect.stringMatching(AWS_ID),
        domainName: `127.0.0.1:${gateway.port}`,
        connectionId: client.id,
        apiId: 'local',
      });
      expect(client.id).toMatch(AWS_ID);
      client.ws.close();
      await client.closed;
    });

    it('passes the authorizer context, stringified, with principalId to $connect', async () => {
      const client = await open(gateway);
      const [connect] = callsOf('connect');
      const [authorizer] = callsOf('authorizer');
      expect(connect?.event.requestContext).toMatchObject({
        routeKey: '$connect',
        eventType: 'CONNECT',
        connectionId: client.id,
        requestId: authorizer?.event.requestContext.requestId,
        authorizer: {
          user_id: 'u-1',
          role: 'staff',
          seats: '3',
          vip: 'true',
          principalId: 'u-1',
          integrationLatency: expect.any(Number),
        },
      });
      expect(connect?.event.isBase64Encoded).toBe(false);
      expect(connect?.event.queryStringParameters).toEqual({ token: 'good', n: expect.any(String) });
      client.ws.close();
      await client.closed;
    });

    it('answers PostToConnection with 410 while $connect runs, then delivers once it has returned', async () => {
      const client = await open(gateway, 'token=good&post=1');
      expect(callsOf('connect')[0]?.note).toBe('GoneException');
      await management(gateway).send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'now' }));
      expect(await client.frame(0)).toBe('now');
      expect(client.frames).toEqual(['now']);
      client.ws.close();
      await client.closed;
    });
  });

  describe('routes', () => {
    let client: Client;

    beforeAll(async () => {
      client = await open(gateway, 'token=good', { headers: { 'User-Agent': 'routes-agent' } });
    });

    afterAll(async () => {
      client.ws.close();
      await client.closed;
    });

    it('selects a route by the frame type and hands it the authorizer context', async () => {
      const before = client.frames.length;
      client.ws.send(JSON.stringify({ type: 'echo', text: 'hi' }));
      expect(JSON.parse(await client.frame(before))).toEqual({
        routeKey: 'echo',
        body: '{"type":"echo","text":"hi"}',
        authorizer: expect.objectContaining({ user_id: 'u-1', role: 'staff', principalId: 'u-1' }),
      });
    });

    it('builds the MESSAGE event API Gateway builds', async () => {
      const before = client.frames.length;
      client.ws.send('{"type":"echo"}');
      const [echo] = await waitFor(() => callsOf('echo').length === 1 && callsOf('echo'));
      const event: Record<string, unknown> = echo?.event;
      expect(Object.keys(event).sort()).toEqual(['body', 'isBase64Encoded', 'requestContext']);
      expect(event).toMatchObject({ body: '{"type":"echo"}', isBase64Encoded: false });
      const rc = event.requestContext as Record<string, unknown>;
      expect(rc).toEqual({
        routeKey: 'echo',
        messageId: expect.stringMatching(AWS_ID),
        eventType: 'MESSAGE',
        extendedRequestId: rc.requestId,
        requestTime: expect.stringMatching(CLF_TIME),
        messageDirection: 'IN',
        stage: 'local',
        connectedAt: expect.any(Number),
        requestTimeEpoch: expect.any(Number),
        identity: { sourceIp: '127.0.0.1', userAgent: 'routes-agent' },
        requestId: expect.stringMatching(AWS_ID),
        domainName: `127.0.0.1:${gateway.port}`,
        connectionId: client.id,
        apiId: 'local',
        authorizer: {
          user_id: 'u-1',
          role: 'staff',
          seats: '3',
          vip: 'true',
          principalId: 'u-1',
          integrationLatency: expect.any(Number),
        },
      });
      expect(rc.requestTimeEpoch as number).toBeGreaterThanOrEqual(rc.connectedAt as number);
      // The echo's own frame, so that it cannot arrive during the next test.
      expect(JSON.parse(await client.frame(before)).routeKey).toBe('echo');
    });

    it.each([
      { frame: 'hello', why: 'not JSON' },
      { frame: '{"type":"nope"}', why: 'an unknown type' },
      { frame: '[{"type":"echo"}]', why: 'an array' },
      { frame: '{"type":5}', why: 'a type that is not a string' },
      { frame: '{"text":"no type"}', why: 'no type' },
      { frame: '{"type":"$connect"}', why: 'a reserved route key as type' },
    ])('sends $why to the default route, with no frame back', async ({ frame }) => {
      const before = client.frames.length;
      client.ws.send(frame);
      const [call] = await waitFor(() => callsOf('default').length === 1 && callsOf('default'));
      expect(call?.event.requestContext.routeKey).toBe('$default');
      expect(call?.event.body).toBe(frame);
      expect(call?.event.isBase64Encoded).toBe(false);
      await sleep(30);
      expect(client.frames.length).toBe(before);
      expect(calls.map((c) => c.handler)).toEqual(['default']);
    });

    it('closes with 1003 a socket that sends a binary frame, routes nothing, and runs $disconnect with 1003', async () => {
      const binary = await open(gateway);
      binary.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
      binary.ws.send('{"type":"echo"}');
      expect((await binary.closed).code).toBe(1003);
      const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
      expect(disconnect?.event.requestContext).toMatchObject({
        connectionId: binary.id,
        disconnectStatusCode: 1003,
      });
      expect(calls.map((c) => c.handler).filter((h) => h !== 'authorizer' && h !== 'connect')).toEqual([
        'disconnect',
      ]);
      expect(binary.frames).toEqual([]);
    });

    it('runs the frames of one socket concurrently: a later fast frame is answered first', async () => {
      const before = client.frames.length;
      client.ws.send(JSON.stringify({ type: 'work', delay: 300, tag: 'first' }));
      client.ws.send(JSON.stringify({ type: 'work', delay: 0, tag: 'second' }));
      await client.frame(before + 1);
      expect(client.frames.slice(before)).toEqual([
        '{"type":"done","tag":"second"}',
        '{"type":"done","tag":"first"}',
      ]);
    });

    it('answers a failed integration with the Internal server error frame and keeps the socket open', async () => {
      const before = client.frames.length;
      client.ws.send('{"type":"boom"}');
      const frame = JSON.parse(await client.frame(before));
      const [boom] = callsOf('boom');
      expect(frame).toEqual({
        message: 'Internal server error',
        connectionId: client.id,
        requestId: boom?.event.requestContext.requestId,
      });
      client.ws.send('{"type":"echo"}');
      expect(JSON.parse(await client.frame(before + 1)).routeKey).toBe('echo');
    });
  });

  describe('route throttling', () => {
    it('answers throttled frames with API Gateway’s Too Many Requests frame, without invoking the route', async () => {
      const client = await open(gateway);
      gateway.throttle('echo', 2);
      for (const text of ['one', 'two', 'three']) client.ws.send(JSON.stringify({ type: 'echo', text }));
      client.ws.send('{"type":"work","delay":0,"tag":"other route"}');
      await client.frame(3);
      const frames = client.frames.map((f) => JSON.parse(f));
      const throttled = frames.filter((f) => f.message === 'Too Many Requests');
      expect(throttled).toEqual([
        { message: 'Too Many Requests', connectionId: client.id, requestId: expect.stringMatching(AWS_ID) },
        { message: 'Too Many Requests', connectionId: client.id, requestId: expect.stringMatching(AWS_ID) },
      ]);
      expect(throttled[0].requestId).not.toBe(throttled[1].requestId);
      // Only the third echo reached its route; the other route was not throttled.
      expect(callsOf('echo').map((c) => JSON.parse(c.event.body).text)).toEqual(['three']);
      expect(callsOf('work')).toHaveLength(1);
      client.ws.close();
      await client.closed;
    });

    it('throttles nothing more once the count is used up or cleared', async () => {
      const client = await open(gateway);
      gateway.throttle('echo', 5);
      gateway.throttle('echo', 0);
      client.ws.send('{"type":"echo"}');
      expect(JSON.parse(await client.frame(0)).routeKey).toBe('echo');
      client.ws.close();
      await client.closed;
    });
  });

  describe('frame and message limits', () => {
    it('closes with 1009 a single 40 KiB frame (over the 32 KiB frame quota) without routing it', async () => {
      const client = await open(gateway);
      client.ws.send(JSON.stringify({ type: 'echo', pad: 'x'.repeat(40 * 1024) }));
      expect((await client.closed).code).toBe(1009);
      const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
      expect(disconnect?.event.requestContext).toMatchObject({
        disconnectStatusCode: 1009,
        disconnectReason: 'Message too big',
      });
      expect(callsOf('echo')).toHaveLength(0);
      expect(callsOf('default')).toHaveLength(0);
    });

    it('routes a 100 KiB message sent in 25 KiB fragments as one message', async () => {
      const client = await open(gateway);
      const body = JSON.stringify({ type: 'nothing', pad: 'y'.repeat(100 * 1024) });
      const piece = 25 * 1024;
      for (let offset = 0; offset < body.length; offset += piece) {
        client.ws.send(body.slice(offset, offset + piece), { fin: offset + piece >= body.length });
      }
      const [call] = await waitFor(() => callsOf('default').length === 1 && callsOf('default'));
      expect(call?.event.body).toBe(body);
      client.ws.close();
      await client.closed;
    });

    it('closes with 1009 a message over 128 KiB even in small fragments', async () => {
      const client = await open(gateway);
      const piece = 'z'.repeat(30 * 1024);
      for (let i = 0; i < 5; i++) client.ws.send(piece, { fin: i === 4 });
      expect((await client.closed).code).toBe(1009);
      await waitFor(() => callsOf('disconnect').length === 1);
      expect(callsOf('default')).toHaveLength(0);
    });

    it('delivers a 100 KiB PostToConnection whole and refuses one over 128 KiB with PayloadTooLargeException', async () => {
      const client = await open(gateway);
      const api = management(gateway);
      const big = 'b'.repeat(100 * 1024);
      await api.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: big }));
      expect(await client.frame(0)).toBe(big);
      const error = await api
        .send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'c'.repeat(128 * 1024 + 1) }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeException);
      expect((error as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
      client.ws.close();
      await client.closed;
    });
  });

  describe('management API through the AWS SDK', () => {
    it('PostToConnection sends the data as one text frame', async () => {
      const client = await open(gateway);
      const out = await management(gateway).send(
        new PostToConnectionCommand({ ConnectionId: client.id, Data: '{"type":"pong"}' }),
      );
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(await client.frame(0)).toBe('{"type":"pong"}');
      client.ws.close();
      await client.closed;
    });

    it('GetConnection answers connectedAt, identity and lastActiveAt', async () => {
      const client = await open(gateway, 'token=good', { headers: { 'User-Agent': 'get-agent' } });
      const connectedAt = callsOf('connect')[0]?.event.requestContext.connectedAt as number;
      const api = management(gateway);
      const first = await api.send(new GetConnectionCommand({ ConnectionId: client.id }));
      expect(first.ConnectedAt).toEqual(new Date(connectedAt));
      expect(first.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'get-agent' });
      expect(first.LastActiveAt).toEqual(new Date(connectedAt));
      await sleep(20);
      client.ws.send('ping me');
      await waitFor(() => callsOf('default').length === 1);
      const second = await api.send(new GetConnectionCommand({ ConnectionId: client.id }));
      expect(second.LastActiveAt?.getTime()).toBeGreaterThan(connectedAt);
      client.ws.close();
      await client.closed;
    });

    it('DeleteConnection closes the socket, runs $disconnect, and the id is gone afterwards', async () => {
      const client = await open(gateway);
      const api = management(gateway);
      const out = await api.send(new DeleteConnectionCommand({ ConnectionId: client.id }));
      expect(out.$metadata.httpStatusCode).toBe(204);
      expect((await client.closed).code).toBe(1000);
      const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
      expect(disconnect?.event.requestContext).toMatchObject({
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        connectionId: client.id,
        disconnectStatusCode: 1000,
      });
      const error = await api
        .send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'x' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
    });

    const unknownId = 'AAAAAAAAAAA=';
    it.each([
      {
        name: 'PostToConnection',
        call: (api: ApiGatewayManagementApiClient) =>
          api.send(new PostToConnectionCommand({ ConnectionId: unknownId, Data: 'x' })),
      },
      {
        name: 'GetConnection',
        call: (api: ApiGatewayManagementApiClient) =>
          api.send(new GetConnectionCommand({ ConnectionId: unknownId })),
      },
      {
        name: 'DeleteConnection',
        call: (api: ApiGatewayManagementApiClient) =>
          api.send(new DeleteConnectionCommand({ ConnectionId: unknownId })),
      },
    ])('$name on an unknown id raises GoneException (410)', async ({ call }) => {
      const error = await call(management(gateway)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    });
  });

  describe('lifecycle', () => {
    it('runs $disconnect with the client close code, reason and the authorizer context', async () => {
      const client = await open(gateway);
      client.ws.close(1000, 'bye');
      await client.closed;
      const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
      const rc = disconnect?.event.requestContext;
      expect(rc).toMatchObject({
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: 1000,
        disconnectReason: 'bye',
        connectionId: client.id,
        messageDirection: 'IN',
        authorizer: { user_id: 'u-1', role: 'staff', principalId: 'u-1' },
      });
      expect(disconnect?.event.isBase64Encoded).toBe(false);
      expect(gateway.connectionIds()).not.toContain(client.id);
    });

    it('reports a close frame without a code as 1005 like AWS', async () => {
      const client = await open(gateway);
      client.ws.close();
      await client.closed;
      const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
      expect(disconnect?.event.requestContext).toMatchObject({
        disconnectStatusCode: 1005,
        disconnectReason: 'Client-side close frame status not set',
      });
    });

    it('drop() cuts the socket without $disconnect, and the id answers 410 from then on', async () => {
      const client = await open(gateway);
      gateway.drop(client.id);
      expect(gateway.connectionIds()).not.toContain(client.id);
      expect((await client.closed).code).toBe(1006);
      const error = await management(gateway)
        .send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'x' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      await sleep(50);
      expect(callsOf('disconnect')).toHaveLength(0);
    });
  });
});

describe('local WebSocket gateway without authorizer or $default', () => {
  let gateway: WebSocketGateway;
  let made = 0;
  // Real connection ids contain '/', '+' and '=': every id here does, to prove they survive URL encoding.
  const trickyId = () => `a/+${String(++made).padStart(8, '0')}=`;

  beforeAll(async () => {
    gateway = await start({
      authorizer: undefined,
      routes: [route('$connect', 'connect'), route('$disconnect', 'disconnect'), route('echo', 'echo')],
      connectionIdFactory: trickyId,
    });
  });

  beforeEach(() => {
    process.env.WS_CALLBACK_URL = gateway.callbackUrl;
  });

  it('sends AWS Forbidden frame for a frame no route matches', async () => {
    const client = await open(gateway, 'x=1');
    client.ws.send('{"type":"nope"}');
    const frame = JSON.parse(await client.frame(0));
    expect(frame).toEqual({
      message: 'Forbidden',
      connectionId: client.id,
      requestId: expect.stringMatching(AWS_ID),
    });
    client.ws.close();
    await client.closed;
  });

  it('leaves requestContext.authorizer out when there is no authorizer', async () => {
    const client = await open(gateway, 'x=1');
    expect(callsOf('connect')[0]?.event.requestContext).not.toHaveProperty('authorizer');
    client.ws.send('{"type":"echo"}');
    expect(JSON.parse(await client.frame(0)).authorizer).toBeNull();
    client.ws.close();
    await client.closed;
  });

  it('round-trips ids with "/", "+" and "=" through the SDK', async () => {
    const client = await open(gateway, 'x=1');
    expect(client.id).toMatch(/\/.*\+.*=$/);
    const api = management(gateway);
    await api.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'via sdk' }));
    expect(await client.frame(0)).toBe('via sdk');
    const got = await api.send(new GetConnectionCommand({ ConnectionId: client.id }));
    expect(got.Identity?.SourceIp).toBe('127.0.0.1');
    await api.send(new DeleteConnectionCommand({ ConnectionId: client.id }));
    expect((await client.closed).code).toBe(1000);
  });

  it.each([
    { path: (id: string) => `/local/@connections/${encodeURIComponent(id)}`, why: 'a literal @' },
    { path: (id: string) => `/local/%40connections/${encodeURIComponent(id)}`, why: 'an encoded @' },
    { path: (id: string) => `/@connections/${encodeURIComponent(id)}`, why: 'no stage' },
  ])('accepts management paths with $why', async ({ path: pathOf }) => {
    const client = await open(gateway, 'x=1');
    const response = await fetch(`http://127.0.0.1:${gateway.port}${pathOf(client.id)}`, {
      method: 'POST',
      body: 'raw',
    });
    expect(response.status).toBe(200);
    expect(await client.frame(0)).toBe('raw');
    client.ws.close();
    await client.closed;
  });

  it('answers 410 with the GoneException header and a null message for an unknown id', async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/local/@connections/nope%3D`);
    expect(response.status).toBe(410);
    expect(response.headers.get('x-amzn-errortype')).toBe('GoneException');
    expect(await response.json()).toEqual({ message: null });
  });
});

describe('local WebSocket gateway timeouts', () => {
  it('closes an idle socket with 1001 and runs $disconnect; pings do not count as activity', async () => {
    const gateway = await start({ idleTimeoutMs: 300 });
    const client = await open(gateway);
    const started = Date.now();
    const pinger = setInterval(() => client.ws.ping(), 50);
    const closed = await client.closed;
    clearInterval(pinger);
    expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
    expect(disconnect?.event.requestContext).toMatchObject({
      disconnectStatusCode: 1001,
      disconnectReason: 'Going away',
      connectionId: client.id,
    });
  });

  it('keeps a socket open while its client sends data frames', async () => {
    const gateway = await start({ idleTimeoutMs: 300 });
    const client = await open(gateway);
    for (let i = 0; i < 7; i++) {
      client.ws.send('still here');
      await sleep(100);
    }
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect((await client.closed).code).toBe(1001);
    await waitFor(() => callsOf('disconnect').length === 1);
  });

  it('closes every socket at the maximum age, however active, and runs $disconnect', async () => {
    const gateway = await start({ idleTimeoutMs: 5000, maxConnectionAgeMs: 400 });
    const client = await open(gateway);
    const started = Date.now();
    const talker = setInterval(() => client.ws.send('busy'), 50);
    const closed = await client.closed;
    clearInterval(talker);
    expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    const [disconnect] = await waitFor(() => callsOf('disconnect').length === 1 && callsOf('disconnect'));
    expect(disconnect?.event.requestContext.disconnectStatusCode).toBe(1001);
  });

  it('close() closes open sockets with 1001 and runs $disconnect for each', async () => {
    const gateway = await start();
    const a = await open(gateway);
    const b = await open(gateway);
    await gateway.close();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(
      callsOf('disconnect')
        .map((c) => c.event.requestContext.connectionId)
        .sort(),
    ).toEqual([a.id, b.id].sort());
  });
});

describe('local WebSocket gateway management throttle', () => {
  it('answers LimitExceededException (429) over the rate, which the SDK retries with backoff', async () => {
    const lines: string[] = [];
    const gateway = await start({ managementRateLimit: 2, log: (line) => lines.push(line) });
    const client = await open(gateway);
    const post = (api: ApiGatewayManagementApiClient, data: string) =>
      api.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: data }));

    const once = management(gateway, { maxAttempts: 1 });
    const retrying = management(gateway, { maxAttempts: 10 });
    // Warm both clients up (the first call resolves credentials and endpoint), so later calls are quick.
    for (const api of [once, retrying]) await api.send(new GetConnectionCommand({ ConnectionId: client.id }));
    // Start 700 ms into a fresh window: the first three attempts fit in it, and it ends soon after, so the
    // SDK's jittered retries (up to 1 s, then 2 s) mostly land in the next window and the test stays quick.
    await sleep(1000 + 700 - (Date.now() % 1000));
    const first = await Promise.allSettled([post(once, 'a'), post(once, 'b'), post(once, 'c')]);
    const refused = first.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as LimitExceededException;
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.$metadata.httpStatusCode).toBe(429);

    // The window is used up: these are throttled and succeed on a retry in a later window.
    const outs = await Promise.all([post(retrying, 'd'), post(retrying, 'e')]);
    const attempts = outs.map((o) => o.$metadata.attempts ?? 1);
    for (const n of attempts) expect(n).toBeGreaterThanOrEqual(2);
    const throttled = lines.filter((l) => / 429 /.test(l)).length;
    expect(throttled).toBe(1 + attempts.reduce((sum, n) => sum + n - 1, 0));
    const lost = ['a', 'b', 'c'][first.indexOf(refused[0]!)];
    await waitFor(() => client.frames.length === 4);
    expect([...client.frames].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].filter((x) => x !== lost));
  });
});
