import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TASK_TIMED_OUT } from '../../lambdas/contract/log-lines.js';
import type { HttpRoute, WebSocketRoute } from '../../lambdas/contract/routes.js';
import { ensureTable, type LocalDynamo, startDynamo } from '../../local/dynamo.js';
import { type HttpGateway, startHttpGateway } from '../../local/http-gateway.js';
import { type LocalIssuer, loadLocalIssuer } from '../../local/issuer.js';
import { LambdaRuntime } from '../../local/lambda-runtime.js';
import { startWebSocketGateway, type WebSocketGateway } from '../../local/ws-gateway.js';
import { release } from '../fixtures/ws-lambdas/late.js';
import { calls } from '../fixtures/ws-lambdas/recorder.js';

const handlersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ws-lambdas');
const TABLE = 'late-fixture';
const TIMEOUT_MS = 200;
const access = { table: 'readwrite', push: true } as const;
const wsRoutes: WebSocketRoute[] = [
  { routeKey: 'late', handler: 'late', access, summary: 'late', returnResponse: true },
];
const httpRoutes: HttpRoute[] = [
  { method: 'POST', path: '/late', handler: 'late', auth: 'jwt', access, summary: 'late' },
];

const platformLines: string[] = [];
const runtime = new LambdaRuntime({
  handlersDir,
  timeoutMs: TIMEOUT_MS,
  onError: () => undefined,
  platformLog: (line) => platformLines.push(line),
});
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let webSocket: WebSocketGateway;
let http: HttpGateway;
let issuer: LocalIssuer;

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  dynamo = await startDynamo();
  await ensureTable(dynamo.endpoint, TABLE);
  client = new DynamoDBClient({ endpoint: dynamo.endpoint });
  issuer = await loadLocalIssuer(await mkdtemp(path.join(tmpdir(), 'live-chat-keys-')));
  webSocket = await startWebSocketGateway({ runtime, routes: wsRoutes, port: 0 });
  http = await startHttpGateway({ runtime, routes: httpRoutes, authorizer: issuer, port: 0 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    TABLE_NAME: TABLE,
    WS_CALLBACK_URL: webSocket.callbackUrl,
  });
});

afterAll(async () => {
  client.destroy();
  await http.close();
  await webSocket.close();
  await dynamo.close();
});

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('waitFor gave up');
}

/** How the late fixture's write and post went for `key`, once it has tried both. */
const outcome = (key: string) =>
  waitFor(() => calls.find((c) => c.handler === 'late' && c.note?.startsWith(`${key}:`))?.note);

const stored = async (key: string) =>
  (
    await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `LATE#${key}` }, sk: { S: 'LATE' } } }),
    )
  ).Item !== undefined;

interface Socket {
  readonly ws: WebSocket;
  readonly id: string;
  readonly frames: Record<string, unknown>[];
}

async function openSocket(): Promise<Socket> {
  const before = new Set(webSocket.connectionIds());
  const ws = new WebSocket(webSocket.url);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const id = await waitFor(() => webSocket.connectionIds().find((c) => !before.has(c)));
  return { ws, id, frames };
}

/**
 * Runs an invocation that finishes in time on the same socket and waits for its push: frames arrive in order,
 * so a push from an earlier invocation would have arrived by then.
 */
async function flush(socket: Socket, key: string): Promise<void> {
  socket.ws.send(JSON.stringify({ type: 'late', key }));
  await waitFor(() => (socket.frames.some((f) => f.type === 'done' && f.key === key) ? true : undefined));
  expect(socket.frames.filter((f) => f.key === key)).toEqual([
    { type: 'late', key },
    { type: 'done', key },
  ]);
  expect(await stored(key)).toBe(true);
}

const postLate = (body: unknown, token: string) =>
  fetch(`${http.url}/late`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('a local invocation that outlives its function timeout', () => {
  it('is answered 503 Service Unavailable on the HTTP API, and its late write and push never happen', async () => {
    const socket = await openSocket();
    const token = await issuer.mint({ userId: 'alice' });
    const response = await postLate({ key: 'http-late', hold: true, connection_id: socket.id }, token);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });

    release('http-late');
    expect(await outcome('http-late')).toBe('http-late: InvocationTimedOut InvocationTimedOut');
    expect(await stored('http-late')).toBe(false);
    await flush(socket, 'after-http');
    expect(socket.frames.filter((f) => f.key === 'http-late')).toEqual([]);
    socket.ws.close();
  });

  it('is answered with the integration error frame on a WebSocket route, and its late effects never happen', async () => {
    const socket = await openSocket();
    socket.ws.send(JSON.stringify({ type: 'late', key: 'ws-late', hold: true }));
    const error = await waitFor(() => socket.frames.find((f) => 'message' in f));
    expect(error).toEqual({
      message: 'Internal server error',
      connectionId: socket.id,
      requestId: expect.any(String),
    });

    release('ws-late');
    expect(await outcome('ws-late')).toBe('ws-late: InvocationTimedOut InvocationTimedOut');
    expect(await stored('ws-late')).toBe(false);
    await flush(socket, 'after-ws');
    expect(socket.frames.filter((f) => f.key === 'ws-late')).toEqual([]);
    socket.ws.close();
  });

  it('does everything when it returns in time (the same fixture, not held)', async () => {
    const socket = await openSocket();
    const token = await issuer.mint({ userId: 'alice' });
    const response = await postLate({ key: 'in-time', connection_id: socket.id }, token);
    expect(response.status).toBe(200);
    expect(await outcome('in-time')).toBe('in-time: stored delivered');
    expect(await stored('in-time')).toBe(true);
    await waitFor(() => socket.frames.find((f) => f.key === 'in-time'));
    socket.ws.close();
  });

  it('logs the line Lambda logs, which the stack’s timeout metric filter counts', () => {
    const seconds = (TIMEOUT_MS / 1000).toFixed(2);
    expect(platformLines.length).toBeGreaterThanOrEqual(2);
    for (const line of platformLines) {
      expect(line).toMatch(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z [0-9a-f-]{36} Task timed out after ${seconds} seconds$`,
        ),
      );
      expect(line).toContain(TASK_TIMED_OUT);
    }
  });
});
