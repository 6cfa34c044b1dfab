import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { loadConfig } from '../lambdas/runtime/config.js';
import { buildOptions, embedBuildOptions, htmlFiles, repoRoot } from '../web/build.js';
import { isOrigin, type PreChat, type WebConfig } from '../web/config.js';
import { contentSecurityPolicy } from '../web/csp.js';
import type { LocalIssuer } from './issuer.js';

/** The endpoint of the local sign-in form; it exists only in the local runtime, never in AWS. */
export const LOCAL_SIGN_IN_PATH = '/local/sign-in';

export interface LocalWebOptions {
  /** Rebuild the pages when one is requested, so an edit shows on reload. @default false */
  readonly rebuildOnRequest?: boolean;
  /** Origins the pages may also connect to (CSP `connect-src`), e.g. an OIDC provider. @default none */
  readonly connectSrc?: readonly string[];
  /** Lifetime of the tokens the sign-in form mints. @default 12 hours (a shift) */
  readonly tokenTtlSeconds?: number;
  /**
   * Host origins that may frame the widget (`embed.js`): config.json `embedOrigins` and the widget's CSP
   * `frame-ancestors`. @default none
   */
  readonly embedOrigins?: readonly string[];
  /** config.json `preChat`. @default 'optional' */
  readonly preChat?: PreChat;
}

/** What the pages need from the running stack. */
export interface WebTarget {
  readonly wsUrl: string;
  readonly issuer: LocalIssuer;
  /** The local S3's endpoint (local/s3.ts), where the pages upload attachments and read them. */
  readonly s3Url?: string;
}

export interface LocalWeb {
  /** The HTTP gateway's fallback: answers the pages, `/config.json` and the local sign-in. */
  readonly fallback: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /** Points the pages at the started stack (its WebSocket port is known only then). */
  attach(target: WebTarget): void;
  /** Stops esbuild. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;
const PAGE_ALIASES: Record<string, string> = {
  '/': '/index.html',
  '/console': '/console.html',
  '/console/': '/console.html',
  '/widget': '/widget.html',
  '/widget/': '/widget.html',
};

/**
 * The web pages for `npm start`: built in memory with the same esbuild settings as `npm run build:web`,
 * served on the HTTP API's port beside a `/config.json` that points at the local endpoints, and a sign-in
 * endpoint that mints tokens with the development issuer for any user id and role (local use only: the
 * stack listens on loopback).
 *
 * @example
 * const web = await createLocalWeb();
 * const stack = await startLocalStack({ fallback: web.fallback });
 * web.attach(stack);
 */
export async function createLocalWeb(options: LocalWebOptions = {}): Promise<LocalWeb> {
  const outdir = path.join(repoRoot, '.local', 'web');
  const embedOrigins = [...(options.embedOrigins ?? [])];
  const wrongOrigin = embedOrigins.find((origin) => !isOrigin(origin));
  if (wrongOrigin !== undefined) throw new Error(`${wrongOrigin} is not an origin (scheme://host[:port])`);
  const contexts = await Promise.all([
    esbuild.context(buildOptions(outdir, false)),
    esbuild.context(embedBuildOptions(outdir, false)),
  ]);
  let files = new Map<string, Uint8Array>();
  let building: Promise<void> | undefined;
  const rebuild = () => {
    building ??= Promise.all(contexts.map((context) => context.rebuild()))
      .then((results) => {
        const next = new Map<string, Uint8Array>();
        for (const file of results.flatMap((result) => result.outputFiles ?? []))
          next.set(`/${path.relative(outdir, file.path).split(path.sep).join('/')}`, file.contents);
        for (const [name, text] of htmlFiles()) next.set(`/${name}`, Buffer.from(text));
        files = next;
      })
      .finally(() => {
        building = undefined;
      });
    return building;
  };
  await rebuild();

  let target: WebTarget | undefined;
  const ttlSeconds = options.tokenTtlSeconds ?? 12 * 3600;

  const fallback = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const hostname = hostnameOf(request);
    if (url.pathname === LOCAL_SIGN_IN_PATH) {
      await signIn(request, response);
      return true;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (url.pathname === '/config.json') {
      if (!target) return unavailable(response);
      const config: WebConfig = {
        httpApiUrl: `http://${request.headers.host ?? 'localhost'}`,
        webSocketUrl: withHostname(target.wsUrl, hostname),
        localSignIn: { url: LOCAL_SIGN_IN_PATH },
        oidcIssuer: target.issuer.issuer,
        staffGroup: 'staff',
        maxMessageLength: loadConfig().maxMessageLength,
        embedOrigins,
        preChat: options.preChat ?? 'optional',
      };
      send(response, 200, CONTENT_TYPES['.json'] as string, JSON.stringify(config, null, 2), request.method);
      return true;
    }
    const alias = PAGE_ALIASES[url.pathname];
    if (alias && alias !== '/index.html' && url.pathname !== alias) {
      response.writeHead(302, { location: `${alias}${url.search}` }).end();
      return true;
    }
    const filePath = alias ?? url.pathname;
    if (options.rebuildOnRequest && filePath.endsWith('.html')) {
      try {
        await rebuild();
      } catch (error) {
        send(
          response,
          500,
          CONTENT_TYPES['.txt'] as string,
          `The web build failed:\n${String(error)}`,
          request.method,
        );
        return true;
      }
    }
    const contents = files.get(filePath);
    if (!contents) return false;
    const type = CONTENT_TYPES[path.extname(filePath)] ?? 'application/octet-stream';
    const wsOrigin = target ? new URL(withHostname(target.wsUrl, hostname)).origin : '';
    if (filePath === '/embed.js') {
      // Loaded by other sites' pages: from any origin, cached briefly (a new release reaches them soon).
      response.setHeader('cross-origin-resource-policy', 'cross-origin');
    }
    response.setHeader(
      'content-security-policy',
      contentSecurityPolicy({
        frameAncestors: frameAncestors(filePath, embedOrigins),
        connectSources: [wsOrigin, ...(options.connectSrc ?? [])].filter(Boolean),
        ...(target?.s3Url ? { fileSources: [new URL(target.s3Url).origin] } : {}),
      }),
    );
    response.setHeader('referrer-policy', 'no-referrer');
    send(response, 200, type, contents, request.method);
    return true;
  };

  async function signIn(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      json(response, 405, { error: { code: 'method_not_allowed', message: 'POST a user_id and a role' } });
      return;
    }
    if (!target) {
      unavailable(response);
      return;
    }
    // Only the pages themselves, opened on a loopback address, may sign in: a JSON content type forces
    // other sites through a CORS preflight this endpoint never answers, and a foreign Origin is refused
    // outright. Host and Origin are both chosen by whoever sends the request (DNS rebinding points an
    // attacker's name at 127.0.0.1, so the two agree), hence both must name a loopback host.
    if (!signInAllowed(request.headers.host, request.headers.origin)) {
      json(response, 403, { error: { code: 'forbidden', message: 'Sign in from the pages of this server' } });
      return;
    }
    if (!request.headers['content-type']?.startsWith('application/json')) {
      json(response, 415, { error: { code: 'unsupported_media_type', message: 'Send application/json' } });
      return;
    }
    let body: { user_id?: unknown; role?: unknown };
    try {
      body = JSON.parse(await readText(request)) as typeof body;
    } catch {
      json(response, 400, { error: { code: 'invalid_json', message: 'Body is not valid JSON' } });
      return;
    }
    const userId = typeof body.user_id === 'string' ? body.user_id.trim() : '';
    if (!USER_ID.test(userId)) {
      json(response, 400, {
        error: {
          code: 'invalid_request',
          message: 'The user id must be 1 to 64 letters, digits, or . _ @ -',
        },
      });
      return;
    }
    if (body.role !== 'staff' && body.role !== 'customer') {
      json(response, 400, {
        error: { code: 'invalid_request', message: 'The role must be staff or customer' },
      });
      return;
    }
    const token = await target.issuer.mint({ userId, staff: body.role === 'staff', ttlSeconds });
    json(response, 200, {
      token,
      user_id: userId,
      role: body.role,
      expires_at: Math.floor(Date.now() / 1000) + ttlSeconds,
    });
  }

  return {
    fallback,
    attach(next) {
      target = next;
    },
    async close() {
      await Promise.all(contexts.map((context) => context.dispose()));
    },
  };
}

/**
 * Who may frame a file: the widget its own site and the embedding sites; every other page nobody, since
 * nothing frames them (the OIDC sign-in renews with refresh tokens, not a hidden frame), and a page that
 * cannot be framed cannot be clickjacked. Scripts and styles are not documents: the header is inert there.
 */
export function frameAncestors(filePath: string, embedOrigins: readonly string[]): readonly string[] {
  return filePath === '/widget.html' ? ["'self'", ...embedOrigins] : ["'none'"];
}

function hostnameOf(request: IncomingMessage): string {
  return parseHost(request.headers.host ?? 'localhost')?.hostname ?? 'localhost';
}

/** `host[:port]` as a URL, or undefined when it is not one (only a host and a port, nothing else). */
function parseHost(host: string): URL | undefined {
  try {
    const url = new URL(`http://${host}`);
    const given = host.toLowerCase();
    return url.host === given || `${url.host}:80` === given ? url : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether the local sign-in may mint a token for this request: the Host header names a loopback host
 * (with its port), and the Origin, when the browser sends one, is a loopback http origin of that same host.
 * `Origin: null` (sandboxed frames, file: pages) and anything unparseable are refused.
 */
function signInAllowed(host: string | undefined, origin: string | undefined): boolean {
  const hostUrl = host === undefined ? undefined : parseHost(host);
  if (!hostUrl || !LOOPBACK_HOSTNAMES.has(hostUrl.hostname)) return false;
  if (origin === undefined) return true;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  return originUrl.protocol === 'http:' && originUrl.host === hostUrl.host;
}

/** The WebSocket URL as the browser reaches it: same host name as the page (localhost, 127.0.0.1, a LAN IP). */
function withHostname(wsUrl: string, hostname: string): string {
  const url = new URL(wsUrl);
  url.hostname = hostname;
  return url.toString();
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  method: string | undefined,
): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  response.end(method === 'HEAD' ? undefined : body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

function unavailable(response: ServerResponse): true {
  json(response, 503, { error: { code: 'starting', message: 'The local stack is still starting' } });
  return true;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error('Body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
