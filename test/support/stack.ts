import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { TestSocket } from './socket.js';

/**
 * Starts one local stack for the test file (ephemeral ports, in-memory dynalite, its own signing key) and
 * stops it afterwards. Handlers read `process.env`, so a file holds one stack.
 */
export function useLocalStack(options: LocalStackOptions = {}): { readonly current: LocalStack } {
  const holder: { current?: LocalStack } = {};
  beforeAll(async () => {
    const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-keys-'));
    holder.current = await startLocalStack({ httpPort: 0, wsPort: 0, keyDir, ...options });
  });
  afterAll(async () => {
    await holder.current?.stop();
  });
  return {
    get current() {
      if (!holder.current) throw new Error('The local stack is not running (use it inside a test)');
      return holder.current;
    },
  };
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A tiny HTTP client for the local API: `api(stack, token).post('/rooms/', {...})`. */
export function api(stack: LocalStack, token?: string) {
  async function call<T>(
    method: string,
    route: string,
    body?: unknown,
    raw?: string,
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${stack.httpUrl}/api/chat${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  }
  return {
    get: <T = any>(route: string) => call<T>('GET', route),
    post: <T = any>(route: string, body?: unknown) => call<T>('POST', route, body),
    postRaw: <T = any>(route: string, raw: string) => call<T>('POST', route, undefined, raw),
  };
}

/** Mints the usual cast: two customers and a staff member. */
export async function people(stack: LocalStack) {
  const [alice, carol, sam, tess] = await Promise.all([
    stack.issuer.mint({ userId: 'alice' }),
    stack.issuer.mint({ userId: 'carol' }),
    stack.issuer.mint({ userId: 'sam', staff: true }),
    stack.issuer.mint({ userId: 'tess', staff: true }),
  ]);
  return { alice, carol, sam, tess };
}

export type Person = keyof Awaited<ReturnType<typeof people>>;

/**
 * The usual cast on a file's stack, minted once: `as('alice')` calls the HTTP API as that person,
 * `open('sam', { room_id })` opens a socket, `openRoom()` opens a room as alice, and `tokens` holds the JWTs.
 */
export function useCast(stack: { readonly current: LocalStack }) {
  let minted: Awaited<ReturnType<typeof people>> | undefined;
  beforeAll(async () => {
    minted = await people(stack.current);
  });
  const tokens = () => {
    if (!minted) throw new Error('The cast is minted in beforeAll (use it inside a test)');
    return minted;
  };
  return {
    get tokens() {
      return tokens();
    },
    as: (who: Person) => api(stack.current, tokens()[who]),
    open: (who: Person, query: Record<string, string> = {}) =>
      TestSocket.open(stack.current, { token: tokens()[who], ...query }),
    async openRoom(): Promise<string> {
      const response = await api(stack.current, tokens().alice).post('/rooms/', {
        subject: 'Where is my order?',
      });
      expect(response.status).toBe(201);
      return response.body.id;
    },
  };
}
