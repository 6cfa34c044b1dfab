import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { SignJWT } from 'jose';
import { expect, vi } from 'vitest';
import { createDocumentClient, DynamoMeter } from '../../lambdas/storage/client.js';
import { DynamoStore } from '../../lambdas/storage/dynamo-store.js';
import { type IdentityClaims, signIdentityToken } from '../../local/identity-secret.js';
import type { LocalStack } from '../../local/stack.js';
import type { ApiResponse } from '../support/stack.js';

/** The session JSON every success of `POST /api/chat/guest-sessions/` carries. */
export interface SessionBody {
  token: string;
  user_id: string;
  kind: 'guest' | 'verified';
  expires_at: string;
  refresh_token: string;
  upgraded_from?: string;
}

export interface CallOptions {
  /** The whole `Authorization` header. */
  readonly authorization?: string;
  /** The client's own address (a loopback address other than 127.0.0.1 is another viewer). */
  readonly localAddress?: string;
  /** Extra request headers, as a caller might forge them. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * POSTs JSON to the stack's public origin (through its local edge, as a browser reaches it) with node:http,
 * which can bind the client to another loopback address: the edge takes the peer's address as the viewer's.
 */
export function post<T = any>(
  stack: LocalStack,
  route: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const url = new URL(`${stack.httpUrl}/api/chat${route}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.authorization ? { authorization: options.authorization } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** `POST /guest-sessions/`: a new guest, or whatever `body` asks for. */
export const guestSession = (stack: LocalStack, body?: unknown, options?: CallOptions) =>
  post(stack, '/guest-sessions/', body, options);

/** A new guest session, asserted. */
export async function newGuest(stack: LocalStack, options?: CallOptions): Promise<SessionBody> {
  const response = await guestSession(stack, undefined, options);
  expect(response.status).toBe(201);
  return response.body;
}

/** An identity token signed with the local stack's current identity secret, as a host site's backend signs one. */
export async function identityToken(stack: LocalStack, claims: IdentityClaims): Promise<string> {
  return signIdentityToken((await stack.secrets.versions()).current, claims);
}

/** A verified session for `sub`, asserted; with `guestToken`, the guest's upgrade into it. */
export async function verify(
  stack: LocalStack,
  sub: string,
  guestToken?: string,
  claims: Partial<IdentityClaims> = {},
): Promise<SessionBody> {
  const response = await guestSession(
    stack,
    { identity_token: await identityToken(stack, { sub, ...claims }) },
    guestToken ? { authorization: `Bearer ${guestToken}` } : {},
  );
  expect(response.status).toBe(201);
  return response.body;
}

/**
 * Signs any claims and header with `secret` (HS256 unless `alg` says otherwise), for the tokens a site's
 * backend should never send: no sub, no jti, exp far ahead, another algorithm.
 */
export async function signRaw(
  secret: string,
  claims: Record<string, unknown>,
  alg: 'HS256' | 'HS384' | 'HS512' = 'HS256',
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** The claims a good identity token carries, to take from or add to. */
export function goodClaims(sub = `user-${randomUUID()}`): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub, jti: randomUUID(), iat: now, exp: now + 300 };
}

/** A JWT's payload, unverified (the test reads what the stack signed). */
export const payloadOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));

/** What the stack's DynamoDB and KMS were asked for while `run` ran (nothing else may run meanwhile). */
export async function costOf<T>(
  stack: LocalStack,
  run: () => Promise<T>,
): Promise<{
  result: T;
  dynamodb: Record<string, number>;
  units: { read: number; write: number };
  sign: number;
  publicKey: number;
  secrets: number;
}> {
  stack.dynamo.resetStats();
  const sign = stack.kms.calls.Sign;
  const publicKey = stack.kms.calls.GetPublicKey;
  const secrets = stack.secrets.calls.GetSecretValue;
  const result = await run();
  return {
    result,
    dynamodb: stack.dynamo.stats(),
    units: stack.dynamo.units(),
    sign: stack.kms.calls.Sign - sign,
    publicKey: stack.kms.calls.GetPublicKey - publicKey,
    secrets: stack.secrets.calls.GetSecretValue - secrets,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store over the stack's table, for reading what a call stored (profiles, before their routes exist). Its
 * calls reach the same DynamoDB and count in `stack.dynamo.stats()`: read outside {@link costOf}.
 */
export const storeOf = (stack: LocalStack) =>
  new DynamoStore(createDocumentClient(new DynamoMeter()), { tableName: stack.tableName, openRoomShards: 1 });

/**
 * Runs `run` with the handlers' log lines (Powertools JSON on this process's stdout and stderr: the local
 * runtime runs handlers in-process) captured instead of printed, and returns them parsed with its result.
 */
export async function withLogs<T>(
  run: () => Promise<T>,
): Promise<{ result: T; logs: Record<string, any>[] }> {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    }) as typeof stream.write);
  }
  const result = await run().finally(() => vi.restoreAllMocks());
  const logs = lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
  return { result, logs };
}
