import type { BrowserContext, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebConfig } from '../../web/config.js';
import { expectAccessible } from '../support/axe.js';
import { startWebHarness, type WebHarness } from './harness.js';

// Cognito cannot be reached from here: the browser talks to these addresses, and the test answers for
// Cognito through Playwright's routing. Only the provider is stood in for; the pages, oidc-client-ts and the
// local APIs are the real ones, and the access token is a real token the local APIs verify.
const POOL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test';
const DOMAIN = 'https://livechat-test.auth.eu-west-1.amazoncognito.com';
const CLIENT_ID = 'test-web-client';

let harness: WebHarness;

beforeAll(async () => {
  // The pages' CSP must let them reach the provider, as the hosting's CSP must in AWS.
  harness = await startWebHarness({}, { connectSrc: [new URL(POOL).origin, DOMAIN] });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An id token as Cognito shapes it; oidc-client-ts decodes it (the APIs, not the pages, check signatures). */
function idToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub,
    'cognito:groups': ['staff'],
    email: 'sam@example.com',
    iss: POOL,
    aud: CLIENT_ID,
    token_use: 'id',
    iat: now,
    exp: now + 3600,
  };
  return `${base64url({ alg: 'RS256', kid: 'test' })}.${base64url(payload)}.c2lnbmF0dXJl`;
}

const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' };

/** How the stand-in answers a refresh: a token, a network failure, or an OAuth error. */
type RefreshAnswer = 'token' | 'offline' | 'invalid_grant';

async function standInForCognito(
  context: BrowserContext,
  calls: { url: URL; body?: string }[],
  options: { expiresIn?: number; refresh?: (attempt: number) => RefreshAnswer } = {},
) {
  let refreshes = 0;
  const config: WebConfig = {
    httpApiUrl: harness.baseUrl,
    webSocketUrl: harness.stack.wsUrl,
    cognito: { region: 'eu-west-1', userPoolId: 'eu-west-1_Test', clientId: CLIENT_ID, domain: DOMAIN },
    oidcIssuer: POOL,
    staffGroup: 'staff',
  };
  await context.route(`${harness.baseUrl}/config.json`, (route) => route.fulfill({ json: config }));
  await context.route(`${POOL}/.well-known/openid-configuration`, (route) =>
    route.fulfill({
      headers: cors,
      json: {
        issuer: POOL,
        authorization_endpoint: `${DOMAIN}/oauth2/authorize`,
        token_endpoint: `${DOMAIN}/oauth2/token`,
        userinfo_endpoint: `${DOMAIN}/oauth2/userInfo`,
        jwks_uri: `${POOL}/.well-known/jwks.json`,
        response_types_supported: ['code', 'token'],
        code_challenge_methods_supported: ['S256'],
      },
    }),
  );
  await context.route(`${DOMAIN}/**`, async (route: Route) => {
    const request = route.request();
    const url = new URL(request.url());
    calls.push({ url, body: request.postData() ?? undefined });
    if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    if (url.pathname === '/oauth2/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') as string);
      back.searchParams.set('code', 'test-code');
      back.searchParams.set('state', url.searchParams.get('state') as string);
      return route.fulfill({ status: 302, headers: { location: back.toString() } });
    }
    if (url.pathname === '/oauth2/token') {
      let expiresIn = options.expiresIn ?? 3600;
      if (new URLSearchParams(request.postData() ?? '').get('grant_type') === 'refresh_token') {
        refreshes += 1;
        const answer = options.refresh?.(refreshes) ?? 'token';
        if (answer === 'offline') return route.abort('internetdisconnected');
        if (answer === 'invalid_grant') {
          return route.fulfill({ status: 400, headers: cors, json: { error: 'invalid_grant' } });
        }
        expiresIn = 3600;
      }
      const accessToken = await harness.stack.issuer.mint({ userId: 'sam-sub', staff: true });
      return route.fulfill({
        headers: cors,
        json: {
          access_token: accessToken,
          id_token: idToken('sam-sub'),
          refresh_token: 'test-refresh',
          token_type: 'Bearer',
          expires_in: expiresIn,
        },
      });
    }
    if (url.pathname === '/logout') {
      return route.fulfill({
        status: 302,
        headers: { location: url.searchParams.get('logout_uri') as string },
      });
    }
    return route.fulfill({ status: 404 });
  });
}

describe('sign-in against Cognito (authorization code + PKCE)', () => {
  it('signs a staff member in through the hosted UI and back to the console, then out again', async () => {
    const { context, page } = await harness.open('/index.html');
    const calls: { url: URL; body?: string }[] = [];
    await standInForCognito(context, calls);
    await expectAccessible(page, 'home page');
    // A room's URL survives the round trip through the identity provider (this room does not exist).
    const roomUrl = '/console.html#/rooms/00000000-0000-4000-8000-00000000f00d';
    await page.goto(roomUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'console, sign-in with the identity provider');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${harness.baseUrl}${roomUrl}`);
    await page.getByRole('alert').filter({ hasText: 'That conversation does not exist.' }).waitFor();
    await page.getByText('No open rooms').waitFor();
    await expectAccessible(page, 'console, signed in through the identity provider');
    await page.getByText('sam@example.com', { exact: true }).waitFor();

    const authorize = calls.find((c) => c.url.pathname === '/oauth2/authorize')?.url.searchParams;
    expect(authorize?.get('response_type')).toBe('code');
    expect(authorize?.get('client_id')).toBe(CLIENT_ID);
    expect(authorize?.get('redirect_uri')).toBe(`${harness.baseUrl}/`);
    expect(authorize?.get('scope')).toBe('openid email profile');
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(authorize?.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const token = new URLSearchParams(calls.find((c) => c.url.pathname === '/oauth2/token')?.body);
    expect(token.get('grant_type')).toBe('authorization_code');
    expect(token.get('code')).toBe('test-code');
    expect(token.get('code_verifier')).toMatch(/^[\w-]{43,128}$/);

    // The access token works against the APIs: the console's socket is up, so sam is online staff (by the
    // name the console gave his profile from the id token's email).
    await page.locator('.staff-online', { hasText: 'sam@example.com (you)' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${harness.baseUrl}/`);
    const logout = calls.find((c) => c.url.pathname === '/logout')?.url.searchParams;
    expect(logout?.get('client_id')).toBe(CLIENT_ID);
    expect(logout?.get('logout_uri')).toBe(`${harness.baseUrl}/`);
    // The stored user was still there when the sign-out request was made: it names the session to end.
    expect(logout?.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(
      await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('oidc.user'))),
    ).toEqual([]);
  });

  // A token with less than a minute left is renewed before use: 30 s makes the console renew at once.
  it('keeps the person signed in when renewing fails for want of network, and renews once it is back', async () => {
    const { context, page } = await harness.open('/index.html');
    const calls: { url: URL; body?: string }[] = [];
    await standInForCognito(context, calls, {
      expiresIn: 30,
      refresh: (attempt) => (attempt <= 2 ? 'offline' : 'token'),
    });
    await page.goto('/console.html');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${harness.baseUrl}/console.html`);
    await page.getByText('sam@example.com', { exact: true }).waitFor({ timeout: 15_000 });
    await page.locator('.staff-online', { hasText: 'sam@example.com (you)' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    const refreshes = calls.filter((c) => new URLSearchParams(c.body).get('grant_type') === 'refresh_token');
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
  });

  it('signs the person out when the provider refuses the refresh token (invalid_grant)', async () => {
    const { context, page } = await harness.open('/index.html');
    await standInForCognito(context, [], { expiresIn: 30, refresh: () => 'invalid_grant' });
    await page.goto('/console.html');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${harness.baseUrl}/console.html`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
