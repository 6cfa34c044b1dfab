import { describe, expect, it } from 'vitest';
import type { RouteAccess, RouteAuth } from '../../lambdas/contract/routes.js';
import { handlerAccess, type RouteTable } from '../../lib/constructs/functions.js';

// handlerAccess() on route tables made up for the purpose: the session key and identity secret levels each
// handler gets, whatever routes the real table has today.

const none = { table: 'none', push: false } as const;
const http = (handler: string, auth: RouteAuth, access: RouteAccess = none) => ({ handler, auth, access });
const table = (httpRoutes: RouteTable['httpRoutes']): RouteTable => ({
  httpRoutes,
  webSocketAuthorizer: { handler: 'ws/authorizer', access: { table: 'tickets', push: false } },
  webSocketRoutes: [{ handler: 'ws/message', access: { table: 'readwrite', push: true } }],
  queueConsumers: [],
  streamConsumers: [],
});

describe('handlerAccess', () => {
  it.each([
    ['a function route', http('h', 'function'), 'verify'],
    ['a jwt route', http('h', 'jwt'), undefined],
    ['a public route', http('h', 'none'), undefined],
    ['a public route that signs', http('h', 'none', { ...none, sessionKey: 'sign' }), 'sign'],
    ['a public route that verifies', http('h', 'none', { ...none, sessionKey: 'verify' }), 'verify'],
    ['a function route that signs', http('h', 'function', { ...none, sessionKey: 'sign' }), 'sign'],
  ] as const)('gives %s the session key level %s', (_name, route, level) => {
    expect(handlerAccess(table([route])).get('h')?.sessionKey).toBe(level);
  });

  it('lets the WebSocket authorizer verify, and no WebSocket route', () => {
    const access = handlerAccess(table([]));
    expect(access.get('ws/authorizer')).toEqual({ table: 'tickets', push: false, sessionKey: 'verify' });
    expect(access.get('ws/message')).toEqual({ table: 'readwrite', push: true });
  });

  it('gives a handler of several routes the strongest level and the identity secret if any route reads it', () => {
    const access = handlerAccess(
      table([
        http('h', 'function'),
        http('h', 'none', { ...none, sessionKey: 'sign', identitySecret: true }),
        http('h', 'jwt'),
      ]),
    );
    expect(access.get('h')).toEqual({ table: 'none', push: false, sessionKey: 'sign', identitySecret: true });
  });

  it('leaves out the identity secret unless a route asks for it', () => {
    const access = handlerAccess(table([http('h', 'none', { ...none, identitySecret: false })]));
    expect(access.get('h')).toEqual({ table: 'none', push: false });
  });
});
