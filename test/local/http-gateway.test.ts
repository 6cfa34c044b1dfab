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
  const route = { method: 'GET', path: '/echo', handler: 'echo', auth: 'jwt', summary: 'echo' } as const;
  http = await startHttpGateway({
    runtime,
    routes: [{ ...route, access: { table: 'none', push: false } }],
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
