import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from '../web/build.js';
import { loadLocalIdentitySecret, signIdentityToken } from './identity-secret.js';
import { defaultKeyDir } from './issuer.js';

export interface DemoHostOptions {
  /** @default 3002; 0 picks a free port */
  readonly port?: number;
  /** Where the local identity secret lives (the stack's key folder). */
  readonly keyDir?: string;
}

export interface DemoHost {
  /** `http://localhost:<port>`: the origin to allow in `embedOrigins` (127.0.0.1 is another origin). */
  readonly url: string;
  readonly port: number;
  /** Points the page's snippet at the chat site (the stack's HTTP URL, `http://127.0.0.1:<port>`). */
  attach(chatUrl: string): void;
  /** Identity tokens the fake backend signed, counted. */
  readonly signed: () => number;
  close(): Promise<void>;
}

/**
 * A stand-in for a customer's website, for `npm start` and the browser tests: a shop page on its own origin
 * that pastes the snippet (`embed.js` from the chat site), under the strict CSP docs/embed.md tells site
 * owners to send, and a fake "site backend" that signs identity tokens with the local identity secret for
 * whoever signs in to the shop (`POST /demo/identity-token`, from this page's own origin only).
 */
export async function startDemoHost(options: DemoHostOptions = {}): Promise<DemoHost> {
  const built = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'web', 'demo', 'demo.ts')],
    bundle: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    write: false,
    logLevel: 'silent',
  });
  const script = built.outputFiles[0]?.contents ?? new Uint8Array();
  const keyDir = options.keyDir ?? defaultKeyDir;
  let chatUrl: string | undefined;
  let signed = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('[demo host]', error);
      if (!response.headersSent)
        json(response, 500, { error: { code: 'internal_error', message: 'Failed' } });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/demo/identity-token' && request.method === 'POST') {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `http://${request.headers.host}`) {
        json(response, 403, { error: { code: 'forbidden', message: 'Only the shop’s own pages' } });
        return;
      }
      let name = '';
      try {
        const body = JSON.parse(await readText(request)) as { name?: unknown };
        name = typeof body.name === 'string' ? body.name.trim().slice(0, 80) : '';
      } catch {
        // Not JSON: refused below, as an empty name.
      }
      const slug = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
      if (!slug) {
        json(response, 400, { error: { code: 'invalid_request', message: 'Give a name' } });
        return;
      }
      const { current } = await loadLocalIdentitySecret(keyDir);
      const token = await signIdentityToken(current, {
        sub: `shop-${slug}`,
        name,
        email: `${slug}@shop.example`,
      });
      signed += 1;
      json(response, 200, { identity_token: token });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(response, 405, { error: { code: 'method_not_allowed', message: 'GET only' } });
      return;
    }
    if (url.pathname === '/demo.js') {
      response.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-cache',
      });
      response.end(script);
      return;
    }
    if (url.pathname === '/demo.css') {
      response.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' });
      response.end(CSS);
      return;
    }
    if (url.pathname !== '/' && url.pathname !== '/index.html') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    if (!chatUrl) {
      json(response, 503, { error: { code: 'starting', message: 'The local stack is still starting' } });
      return;
    }
    const chatOrigin = new URL(chatUrl).origin;
    const nonce = randomBytes(16).toString('base64');
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // What docs/embed.md asks of a site with a strict CSP: the chat site in script-src and frame-src.
      'content-security-policy': [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}' ${chatOrigin}`,
        `frame-src ${chatOrigin}`,
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'referrer-policy': 'strict-origin-when-cross-origin',
    });
    response.end(
      request.method === 'HEAD' ? undefined : page(chatOrigin, nonce, settingsOf(url.searchParams)),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3002, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    port,
    attach(next) {
      chatUrl = next;
    },
    signed: () => signed,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The snippet's settings, from the page's query so each can be tried (`?position=bottom-left&label=Help&open=1`);
 * the defaults otherwise.
 */
function settingsOf(query: URLSearchParams): Record<string, unknown> {
  const position = query.get('position') === 'bottom-left' ? 'bottom-left' : 'bottom-right';
  const label = (query.get('label') ?? '').trim().slice(0, 40) || 'Chat with us';
  return { position, label, ...(query.get('open') === '1' ? { openOnLoad: true } : {}) };
}

function page(chatOrigin: string, nonce: string, settings: Record<string, unknown>): string {
  // JSON inside a <script>: `<` escaped, so no value can close the element.
  const settingsJson = JSON.stringify(settings).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Demo shop</title>
<link rel="stylesheet" href="/demo.css">
<!-- The chat snippet: settings, a queue for calls made before embed.js has loaded, and the script. -->
<script nonce="${nonce}">
  window.LiveChatSettings = ${settingsJson};
  window.LiveChat = window.LiveChat || function () { (window.LiveChat.q = window.LiveChat.q || []).push(arguments); };
</script>
<script src="${chatOrigin}/embed.js" async></script>
<script type="module" src="/demo.js"></script>
</head>
<body>
<header class="shop"><strong>Demo shop</strong><span>This page stands for your website, on an origin of its own.</span></header>
<main>
  <h1>Garden chairs</h1>
  <p>Weatherproof, foldable, in three colours. The chat button is in the bottom right corner.</p>
  <section aria-labelledby="account">
    <h2 id="account">Your shop account</h2>
    <p id="site-user">Not signed in to the shop</p>
    <form id="sign-in">
      <label>Name <input id="demo-name" name="name" value="Ada Lovelace" maxlength="80"></label>
      <button type="submit">Sign in as this person</button>
    </form>
    <button type="button" id="sign-out" hidden>Sign out</button>
    <button type="button" id="open-chat">Open the chat</button>
    <p>Unread chat messages: <span id="unread">0</span></p>
  </section>
  <section aria-labelledby="events-title">
    <h2 id="events-title">What the chat told this page</h2>
    <ol id="events"></ol>
  </section>
</main>
</body>
</html>
`;
}

const CSS = `
body{margin:0;font:16px/1.5 Georgia,serif;color:#222;background:#f4efe6}
.shop{display:flex;gap:1rem;align-items:baseline;padding:1rem 2rem;background:#2d4a2b;color:#fff}
main{max-width:640px;padding:1rem 2rem}
/* A site's own careless rules: the chat launcher and panel must not be touched by them. */
button{font:inherit;background:#c33;color:#fff;border-radius:0;padding:.3rem .8rem}
iframe{display:none;border:10px solid red}
div{opacity:.9}
`;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 4096) throw new Error('Body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
