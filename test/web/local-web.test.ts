import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { createLocalWeb, LOCAL_SIGN_IN_PATH, type LocalWeb } from '../../local/web.js';
import { ConfigError, validateConfig } from '../../web/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const SHOP = 'https://shop.example';
let web: LocalWeb;
let stack: LocalStack;

beforeAll(async () => {
  web = await createLocalWeb({ embedOrigins: [SHOP] });
  stack = await startLocalStack({ httpPort: 0, wsPort: 0, fallback: web.fallback });
  web.attach(stack);
});

afterAll(async () => {
  await stack?.stop();
  await web?.close();
});

const signIn = (body: unknown) =>
  fetch(`${stack.httpUrl}${LOCAL_SIGN_IN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('local web server', () => {
  it.each([
    ['/', 'Live chat'],
    ['/index.html', 'Live chat'],
    ['/console.html', 'Support console'],
    ['/widget.html', 'Customer support'],
  ])('serves %s with a strict content security policy', async (page, title) => {
    const response = await fetch(`${stack.httpUrl}${page}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain(`<title>${title}</title>`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${new URL(stack.wsUrl).origin}`);
    expect(csp).not.toContain('unsafe-inline');
    // Only the widget may be framed, by its own site and the embedding sites; nothing frames the others.
    expect(csp).toContain(
      page === '/widget.html' ? `frame-ancestors 'self' ${SHOP}` : "frame-ancestors 'none'",
    );
  });

  it('serves embed.js as a classic script any site may load', async () => {
    const response = await fetch(`${stack.httpUrl}/embed.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const text = await response.text();
    expect(text).not.toMatch(/^\s*(import|export)\b/m);
    expect(text).toContain('widget.html?embed=1');
  });

  it('serves the bundles the pages load', async () => {
    for (const asset of ['console.js', 'widget.js', 'home.js', 'console.css']) {
      const response = await fetch(`${stack.httpUrl}/assets/${asset}`);
      expect(response.status, asset).toBe(200);
    }
    expect((await fetch(`${stack.httpUrl}/assets/nope.js`)).status).toBe(404);
  });

  it('redirects the folder-style addresses to the pages', async () => {
    const response = await fetch(`${stack.httpUrl}/console/`, { redirect: 'manual' });
    expect([response.status, response.headers.get('location')]).toEqual([302, '/console.html']);
  });

  it('serves a config.json that points at the local endpoints and passes the pages’ own check', async () => {
    const response = await fetch(`${stack.httpUrl}/config.json`);
    const config = validateConfig(await response.json());
    expect(config).toEqual({
      httpApiUrl: stack.httpUrl,
      webSocketUrl: stack.wsUrl,
      localSignIn: { url: LOCAL_SIGN_IN_PATH },
      oidcIssuer: stack.issuer.issuer,
      staffGroup: 'staff',
      maxMessageLength: 4000,
      embedOrigins: [SHOP],
      preChat: 'optional',
    });
  });

  it('mints a token for the user id and role picked in the sign-in form', async () => {
    const response = await signIn({ user_id: 'sam', role: 'staff' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      token: string;
      user_id: string;
      role: string;
      expires_at: number;
    };
    expect(body).toMatchObject({ user_id: 'sam', role: 'staff' });
    expect(body.expires_at).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
    const http = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => body.token });
    expect((await http.activeRooms()).results).toEqual([]);
  });

  it.each([
    [{ user_id: '', role: 'staff' }, 'The user id must be 1 to 64 letters, digits, or . _ @ -'],
    [{ user_id: 'a b', role: 'customer' }, 'The user id must be 1 to 64 letters, digits, or . _ @ -'],
    [
      { user_id: 'x'.repeat(65), role: 'customer' },
      'The user id must be 1 to 64 letters, digits, or . _ @ -',
    ],
    [{ user_id: 'eve', role: 'admin' }, 'The role must be staff or customer'],
  ])('refuses a sign-in with %j', async (body, message) => {
    const response = await signIn(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'invalid_request', message } });
  });

  it('refuses a sign-in from another origin or without a JSON body', async () => {
    const url = `${stack.httpUrl}${LOCAL_SIGN_IN_PATH}`;
    const body = JSON.stringify({ user_id: 'mallory', role: 'staff' });
    const foreign = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const simple = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(simple.status).toBe(415);
  });

  it.each([
    [
      'a rebound name in Host and Origin (DNS rebinding)',
      'rebind.attacker.example:PORT',
      'http://rebind.attacker.example:PORT',
      403,
    ],
    ['a rebound name in Host, no Origin', 'rebind.attacker.example:PORT', undefined, 403],
    ['a LAN address in Host', '192.168.1.20:PORT', 'http://192.168.1.20:PORT', 403],
    ['a loopback Host with a foreign Origin', '127.0.0.1:PORT', 'http://rebind.attacker.example:PORT', 403],
    ['a loopback Host with another loopback origin', '127.0.0.1:PORT', 'http://localhost:PORT', 403],
    ['Origin: null', '127.0.0.1:PORT', 'null', 403],
    ['an unparseable Origin', '127.0.0.1:PORT', 'not a url', 403],
    ['a Host with a path in it', 'rebind.attacker.example/@127.0.0.1:PORT', undefined, 403],
    ['127.0.0.1 with its own origin', '127.0.0.1:PORT', 'http://127.0.0.1:PORT', 200],
    ['localhost with its own origin', 'localhost:PORT', 'http://localhost:PORT', 200],
    ['[::1] with its own origin', '[::1]:PORT', 'http://[::1]:PORT', 200],
    ['a loopback Host without an Origin (curl)', 'localhost:PORT', undefined, 200],
  ])('answers a sign-in with %s: %s, %s → %i', async (_case, host, origin, status) => {
    const port = new URL(stack.httpUrl).port;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      host: host.replace('PORT', port),
      ...(origin === undefined ? {} : { origin: origin.replace('PORT', port) }),
    };
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: LOCAL_SIGN_IN_PATH, method: 'POST', headers, setHost: false },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += String(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ user_id: 'mallory', role: 'staff' }));
    });
    expect(answer.status, answer.body).toBe(status);
    if (status === 403) expect(answer.body).not.toContain('token');
  });

  it('leaves the API routes to the API', async () => {
    expect((await fetch(`${stack.httpUrl}/api/chat/rooms`)).status).toBe(401);
  });
});

describe('validateConfig', () => {
  const base = { httpApiUrl: 'https://api.example.com', webSocketUrl: 'wss://ws.example.com/prod' };
  const cognito = {
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_abc',
    clientId: 'client',
    domain: 'https://livechat.auth.eu-west-1.amazoncognito.com',
  };

  it('accepts what the CDK stack writes', () => {
    const config = {
      ...base,
      cognito,
      oidcIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      staffGroup: 'staff',
    };
    expect(validateConfig(config)).toEqual(config);
  });

  it('accepts embedding origins and a pre-chat setting', () => {
    const config = {
      ...base,
      cognito,
      embedOrigins: ['https://shop.example', 'http://localhost:3002'],
      preChat: 'required',
    };
    expect(validateConfig(config)).toEqual(config);
  });

  it.each([
    [{ ...base, httpApiUrl: 'ftp://x', cognito }, 'httpApiUrl must be an http(s) URL'],
    [{ ...base, webSocketUrl: 'https://x', cognito }, 'webSocketUrl must be a ws(s) URL'],
    [{ ...base, cognito: { ...cognito, clientId: '' } }, 'cognito.clientId must be a string'],
    [{ ...base, cognito: { ...cognito, domain: 'http://x' } }, 'cognito.domain must be an https URL'],
    [{ ...base, oidc: { authority: 'https://id.example.com' } }, 'oidc.clientId must be a string'],
    [{ ...base, cognito, maxMessageLength: 0 }, 'maxMessageLength must be a positive whole number'],
    [{ ...base, cognito, tokenType: 'refresh' }, "tokenType must be 'access' or 'id'"],
    [base, 'config.json names no way to sign in: give cognito, oidc or localSignIn'],
    [{ ...base, cognito, embedOrigins: 'https://shop.example' }, 'embedOrigins must be a list of origins'],
    [
      { ...base, cognito, embedOrigins: ['https://shop.example/'] },
      'embedOrigins: "https://shop.example/" is not an origin (scheme://host[:port], no path or slash)',
    ],
    [
      { ...base, cognito, embedOrigins: ['*'] },
      'embedOrigins: "*" is not an origin (scheme://host[:port], no path or slash)',
    ],
    [{ ...base, cognito, preChat: 'yes' }, "preChat must be 'off', 'optional' or 'required'"],
    [[], 'httpApiUrl must be an http(s) URL'],
  ])('refuses %j', (config, message) => {
    expect(() => validateConfig(config)).toThrow(new ConfigError(message));
  });
});

describe('the pages never render HTML from strings', () => {
  it('has no innerHTML, outerHTML, insertAdjacentHTML, document.write or dangerouslySetInnerHTML', async () => {
    const sources: string[] = [];
    for (const dir of ['web', 'client']) {
      for (const entry of await readdir(path.join(root, dir), { recursive: true })) {
        if (/\.tsx?$/.test(entry)) sources.push(path.join(dir, entry));
      }
    }
    expect(sources.length).toBeGreaterThan(8);
    const banned = /innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML/;
    for (const file of sources) {
      expect(banned.test(await readFile(path.join(root, file), 'utf8')), file).toBe(false);
    }
  });
});
