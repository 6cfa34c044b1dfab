import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { EDGE_HEADERS } from '../lambdas/contract/edge-headers.js';
import { repoRoot } from './lambda-runtime.js';

/** The CloudFront Function the stack puts in front of the pages and both APIs. */
export const VIEWER_REQUEST_FILE = path.join(repoRoot, 'lib', 'edge', 'viewer-request.js');

/** The function's source with the WebSocket stage filled in, exactly as the stack deploys it. */
export function viewerRequestCode(webSocketStage: string): string {
  return readFileSync(VIEWER_REQUEST_FILE, 'utf8').replace('__WEBSOCKET_STAGE__', webSocketStage);
}

/** A request as the edge sees it, and as it leaves the edge for an origin. */
export interface EdgeRequest {
  readonly method: string;
  /** Path and query, as in an HTTP request line: `/api/chat/rooms/?limit=5`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

type CloudFrontValue = { value: string; multiValue?: { value: string }[] };

/**
 * Runs the stack's viewer-request CloudFront Function in a fresh V8 context, on CloudFront's event shape
 * (`request.uri`, `querystring` and `headers` as `{name: {value}}`, `viewer.ip`), so the local gateways
 * normalize paths with the same code CloudFront runs.
 */
export function createViewerRequest(
  webSocketStage: string,
): (request: EdgeRequest, viewerIp: string) => EdgeRequest {
  const handler = runInNewContext(`${viewerRequestCode(webSocketStage)}\n;handler`, {}) as (
    event: unknown,
  ) => {
    uri: string;
    querystring: Record<string, CloudFrontValue>;
    headers: Record<string, CloudFrontValue>;
  };
  return (request, viewerIp) => {
    const url = new URL(request.url, 'http://edge.invalid');
    const querystring: Record<string, CloudFrontValue> = {};
    for (const [name, value] of url.searchParams) {
      const seen = querystring[name];
      querystring[name] = seen
        ? { value: seen.value, multiValue: [...(seen.multiValue ?? [{ value: seen.value }]), { value }] }
        : { value };
    }
    const headers: Record<string, CloudFrontValue> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = { value };
    const out = handler({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: viewerIp },
      request: { method: request.method, uri: url.pathname, querystring, headers, cookies: {} },
    });
    const search = new URLSearchParams();
    for (const [name, entry] of Object.entries(out.querystring)) {
      for (const { value } of entry.multiValue ?? [{ value: entry.value }]) search.append(name, value);
    }
    const query = search.toString();
    return {
      method: request.method,
      url: `${out.uri}${query ? `?${query}` : ''}`,
      headers: Object.fromEntries(Object.entries(out.headers).map(([name, entry]) => [name, entry.value])),
    };
  };
}

/** Runs a Node request through the viewer-request function, as CloudFront sees it (the peer is the viewer). */
export function viewedAtEdge(
  req: IncomingMessage,
  viewerRequest: (request: EdgeRequest, viewerIp: string) => EdgeRequest,
): EdgeRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return viewerRequest(
    { method: req.method ?? 'GET', url: req.url ?? '/', headers },
    (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
  );
}

export interface WebSocketEdgeOptions {
  readonly viewerRequest: (request: EdgeRequest, viewerIp: string) => EdgeRequest;
  /** The local WebSocket API (host and port) that `/ws…` upgrades are forwarded to. */
  readonly target: { readonly host: string; readonly port: number };
  /** The secret origin header CloudFront adds on the way to the origins. */
  readonly originVerify: string;
}

/**
 * The distribution's `/ws*` behavior, locally: WebSocket upgrades on the HTTP port (the one origin of pages
 * and APIs, as in AWS) go through the viewer-request function and on to the WebSocket API, bytes piped both
 * ways. Anything else that asks for an upgrade is refused with 404, as CloudFront's other behaviors would.
 */
export function attachWebSocketEdge(server: Server, options: WebSocketEdgeOptions): void {
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => undefined);
    if (!/^\/ws(\/|\?|$)/.test(req.url ?? '')) {
      client.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const edged = viewedAtEdge(req, options.viewerRequest);
    const upstream = connect(options.target.port, options.target.host, () => {
      const lines = [`${edged.method} ${edged.url} HTTP/1.1`];
      const out: Record<string, string> = {
        ...edged.headers,
        host: `${options.target.host}:${options.target.port}`,
        [EDGE_HEADERS.originVerify]: options.originVerify,
      };
      for (const [name, value] of Object.entries(out)) lines.push(`${name}: ${value}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
}
