import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpGateway, startHttpGateway } from '../../local/http-gateway.js';
import { type LocalIssuer, loadLocalIssuer } from '../../local/issuer.js';
import { LambdaRuntime } from '../../local/lambda-runtime.js';

const handlersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'http-lambdas');
const runtime = new LambdaRuntime({ handlersDir });
let http: HttpGateway;
let issuer: LocalIssuer;

beforeAll(async () => {
  issuer = await loadLocalIssuer(await mkdtemp(path.join(tmpdir(), 'live-chat-keys-')));
  const access = { table: 'none', push: false } as const;
  http = await startHttpGateway({
    runtime,
    routes: [
      { method: 'GET', path: '/echo', handler: 'echo', auth: 'jwt', summary: 'echo', access },
      { method: 'GET', path: '/function', handler: 'echo-event', auth: 'function', summary: 'f', access },
      { method: 'GET', path: '/public', handler: 'echo-event', auth: 'none', summary: 'p', access },
    ],
    authorizer: issuer,
    port: 0,
  });
});

afterAll(async () => {
  await http.close();
});

const authorizerOf = async (token: string) =>
  (await fetch(`${http.url}/echo`, { headers: { authorization: `Bearer ${token}` } })).json();

describe('local HTTP gateway: the JWT authorizer context', () => {
  it('gives scopes null for a token without a scope claim, as AWS does', async () => {
    const context = await authorizerOf(await issuer.mint({ userId: 'alice' }));
    expect(context.jwt.scopes).toBeNull();
    expect(context.jwt.claims.sub).toBe('alice');
  });

  it.each([
    { scope: 'chat.read chat.write', scopes: ['chat.read', 'chat.write'] },
    { scope: 'openid', scopes: ['openid'] },
    { scope: '', scopes: null },
  ])('gives the scopes of the scope claim "$scope"', async ({ scope, scopes }) => {
    const context = await authorizerOf(await issuer.mint({ userId: 'alice', extraClaims: { scope } }));
    expect(context.jwt.scopes).toEqual(scopes);
  });
});

describe('local HTTP gateway: routes without an authorizer', () => {
  const call = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${http.url}${path}`, { headers });

  it.each([
    ['no token', {}],
    ['a token that is not one', { authorization: 'Bearer not-a-jwt' }],
  ])('hands a function route %s unchecked, with no authorizer in the event', async (_case, headers) => {
    const response = await call('/function', headers);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      hasAuthorizer: false,
      authorization: (headers as { authorization?: string }).authorization ?? null,
    });
  });

  it('hands a function route a good token as it came, for the function to verify', async () => {
    const token = await issuer.mint({ userId: 'alice' });
    const response = await call('/function', { authorization: `Bearer ${token}` });
    expect(await response.json()).toEqual({ hasAuthorizer: false, authorization: `Bearer ${token}` });
  });

  it('gives a public route no authorizer either', async () => {
    expect(await (await call('/public')).json()).toEqual({ hasAuthorizer: false, authorization: null });
  });

  it('still refuses a jwt route without a good token, as API Gateway does', async () => {
    const response = await call('/echo', { authorization: 'Bearer not-a-jwt' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
  });
});
