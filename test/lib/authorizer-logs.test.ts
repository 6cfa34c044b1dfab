import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../lambdas/runtime/config.js';

// The stack alarms on the WebSocket authorizer's log lines at level ERROR (`{ $.level = "ERROR" }`), not on
// its Errors metric, which counts every refused connection. These tests hold the handler to its side of
// that: a refusal logs no ERROR, a failure (DynamoDB, the issuer's keys) logs one and still answers 401.

process.env[ENV.tableName] = 'chat-table';
process.env[ENV.jwtIssuer] = 'https://id.example.com/';
process.env[ENV.jwtAudience] = 'chat-api';
// Nothing listens there: fetching the keys fails the way an unreachable issuer does.
process.env[ENV.jwtJwksUri] = 'https://127.0.0.1:1/.well-known/jwks.json';
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

type Handler = typeof import('../../lambdas/ws/authorizer.js').handler;
let handler: Handler;
let store: typeof import('../../lambdas/runtime/deps.js').store;

const event = (query: Record<string, string>) =>
  ({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc/prod/$connect',
    queryStringParameters: query,
  }) as unknown as Parameters<Handler>[0];

/** The JSON lines the logger writes while `run` runs, whichever stream it picks. */
async function logsOf(run: () => Promise<unknown>): Promise<{ level: string; message: string }[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run().catch(() => undefined);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  ({ handler } = await import('../../lambdas/ws/authorizer.js'));
  ({ store } = await import('../../lambdas/runtime/deps.js'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('WebSocket authorizer logs', () => {
  it('refuses a connection without a ticket or token with 401 and logs no ERROR', async () => {
    const logs = await logsOf(() => expect(handler(event({}))).rejects.toThrow(/^Unauthorized$/));
    expect(logs.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('refuses an unknown or spent ticket with 401 and logs no ERROR', async () => {
    vi.spyOn(store, 'takeTicket').mockResolvedValue(null);
    const logs = await logsOf(() =>
      expect(handler(event({ ticket: 'spent' }))).rejects.toThrow(/^Unauthorized$/),
    );
    expect(logs.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('refuses a malformed token with 401 and logs no ERROR', async () => {
    const logs = await logsOf(() =>
      expect(handler(event({ token: 'not-a-jwt' }))).rejects.toThrow(/^Unauthorized$/),
    );
    // The refusal is logged, below ERROR (this also shows the capture sees the logger's lines).
    expect(logs).toEqual([expect.objectContaining({ level: 'INFO', message: 'Token refused' })]);
  });

  it('fails closed when DynamoDB fails while redeeming a ticket, and logs it at ERROR', async () => {
    vi.spyOn(store, 'takeTicket').mockRejectedValue(
      Object.assign(new Error('Throughput exceeds the current capacity'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const logs = await logsOf(() =>
      expect(handler(event({ ticket: 't-1' }))).rejects.toThrow(/^Unauthorized$/),
    );
    const errors = logs.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Authorizer failed',
      error: { name: 'ProvisionedThroughputExceededException' },
    });
  });

  it("fails closed when the issuer's keys cannot be fetched, and logs it at ERROR", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://id.example.com/')
      .setAudience('chat-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const logs = await logsOf(() => expect(handler(event({ token }))).rejects.toThrow(/^Unauthorized$/));
    const errors = logs.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Authorizer failed',
      error: { message: expect.stringContaining('https://127.0.0.1:1/.well-known/jwks.json') },
    });
  });
});
