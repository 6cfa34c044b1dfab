import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import {
  type PostForm,
  queryPairs,
  S3Refusal,
  type SecretOf,
  type SignedRequest,
  verifyAuthorizationHeader,
  verifyPostPolicy,
  verifyPresignedUrl,
} from './s3-auth.js';

export interface LocalS3Options {
  /** The one bucket, created at start (the stack's attachments bucket). */
  readonly bucket: string;
  /** Credentials it accepts: the SDK's in the local stack (`AWS_ACCESS_KEY_ID`), as IAM knows a role's. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Origins whose pages may upload and read (the bucket's CORS rule); the stack's pages in `npm start`. */
  readonly corsOrigins: () => readonly string[];
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Keep the objects in this folder; a temporary one, removed on close, when absent. */
  readonly dataDir?: string | undefined;
  /** The clock the signatures and policies are checked against (tests move it). @default Date.now */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** S3 takes at most 5 GB in one POST; the local one stops reading well before. */
const MAX_POST_BYTES = 64 * 1024 * 1024;
const CORS_METHODS = 'GET, HEAD, POST';
/** The `response-*` query overrides S3 applies to a signed GET, and the headers they set. */
const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-disposition': 'content-disposition',
  'response-cache-control': 'cache-control',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-content-encoding': 'content-encoding',
};

/**
 * S3, locally: s3rver (an S3-compatible server from npm) keeps the objects, in this process, and a front of
 * our own on node:http checks every request as S3 would before s3rver sees it, because s3rver checks
 * nothing (../shared/TOOLCHAIN.md): a POST upload's policy (expiration, conditions, signature), presigned
 * GETs' and the SDK's header signatures (local/s3-auth.ts), and that nobody reads or writes anonymously
 * (the bucket is private). It also answers CORS for the pages, applies a signed GET's `response-*`
 * overrides, and stores a POST's `tagging` field, which s3rver ignores. The handlers reach it through
 * `AWS_ENDPOINT_URL_S3` with the same SDK code they run in AWS.
 *
 * Not emulated: the lifecycle rule (an `unsent` upload does not expire after a day here), encryption at rest,
 * and IAM (any request signed with the local credentials is allowed, as the stack's grants would allow the
 * functions' own).
 */
export class LocalS3 {
  private front: Server | undefined;
  private backend: S3rver | undefined;
  private backendPort = 0;
  private directory = '';
  private temporary = false;
  /** Requests refused, by S3 error code, so tests can tell a refusal from a fault. */
  readonly refusals = new Map<string, number>();

  constructor(private readonly options: LocalS3Options) {}

  get bucket(): string {
    return this.options.bucket;
  }

  get url(): string {
    const address = this.front?.address() as AddressInfo | null | undefined;
    return address ? `http://${this.options.host ?? '127.0.0.1'}:${address.port}` : '';
  }

  async start(): Promise<void> {
    this.temporary = this.options.dataDir === undefined;
    this.directory = this.options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'live-chat-s3-')));
    await mkdir(this.directory, { recursive: true });
    this.backend = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: this.options.bucket, configs: [] }],
    });
    const address = (await this.backend.run()) as AddressInfo;
    this.backendPort = address.port;
    const front = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.options.log?.(`S3 error ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent)
          sendError(response, new S3Refusal(500, 'InternalError', 'We encountered an internal error.'));
        else response.destroy();
      });
    });
    await new Promise<void>((resolve) =>
      front.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve),
    );
    this.front = front;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.front ? this.front.close(() => resolve()) : resolve()));
    this.front?.closeAllConnections();
    await this.backend?.close().catch(() => undefined);
    if (this.temporary) await rm(this.directory, { recursive: true, force: true });
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private readonly secretOf: SecretOf = (accessKeyId) => this.options.credentials[accessKeyId];

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = request.headers.origin;
    const allowed = origin !== undefined && this.options.corsOrigins().includes(origin);
    if (allowed) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('vary', 'Origin');
      response.setHeader('access-control-expose-headers', 'ETag');
    }
    const url = request.url ?? '/';
    const at = url.indexOf('?');
    const rawPath = at < 0 ? url : url.slice(0, at);
    const query = queryPairs(at < 0 ? '' : url.slice(at + 1));
    const method = request.method ?? 'GET';
    this.options.log?.(`S3 ${method} ${rawPath}`);

    if (method === 'OPTIONS') {
      // A preflight is answered by the bucket's CORS rule alone, as S3 does; no signature is involved.
      if (!allowed)
        return sendError(
          response,
          new S3Refusal(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.'),
        );
      response.writeHead(200, {
        'access-control-allow-methods': CORS_METHODS,
        'access-control-allow-headers': String(request.headers['access-control-request-headers'] ?? '*'),
        'access-control-max-age': '3000',
      });
      response.end();
      return;
    }

    const body = await readBody(request, MAX_POST_BYTES);
    try {
      const bucketPath = `/${this.options.bucket}`;
      if (!rawPath.startsWith(bucketPath))
        throw new S3Refusal(404, 'NoSuchBucket', 'The specified bucket does not exist');
      const signed: SignedRequest = { method, rawPath, query, headers: request.headers, body };
      if (
        method === 'POST' &&
        (rawPath === bucketPath || rawPath === `${bucketPath}/`) &&
        isMultipart(request)
      ) {
        return await this.postUpload(request, response, body);
      }
      if (query.some(([key]) => key === 'X-Amz-Algorithm')) {
        verifyPresignedUrl(signed, this.secretOf, this.now());
      } else if (request.headers.authorization !== undefined) {
        verifyAuthorizationHeader(signed, this.secretOf, this.now());
      } else {
        throw new S3Refusal(403, 'AccessDenied', 'Access Denied');
      }
      // Checked: s3rver serves it as an anonymous request; the overrides it would refuse then are ours.
      const overrides = query.filter(([key]) => key in OVERRIDES);
      const rest = query.filter(
        ([key]) =>
          !key.startsWith('X-Amz-') && !key.startsWith('x-amz-') && !(key in OVERRIDES) && key !== 'x-id',
      );
      const headers = { ...request.headers };
      delete headers.authorization;
      const forwarded = await this.forward(method, pathWithQuery(rawPath, rest), headers, body);
      for (const [key, value] of overrides) forwarded.headers[OVERRIDES[key] as string] = value;
      response.writeHead(forwarded.status, forwarded.headers);
      response.end(forwarded.body);
    } catch (error) {
      if (!(error instanceof S3Refusal)) throw error;
      this.refused(error);
      sendError(response, error);
    }
  }

  /** A browser-based upload: the policy decides, then s3rver stores it, then the form's tags are applied. */
  private async postUpload(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    let fields: Map<string, string>;
    try {
      const form = parseMultipart(body, String(request.headers['content-type']));
      fields = verifyPostPolicy(form, this.options.bucket, this.secretOf, this.now());
    } catch (error) {
      if (!(error instanceof S3Refusal)) throw error;
      this.refused(error);
      return sendError(response, error);
    }
    const headers = { ...request.headers };
    const stored = await this.forward('POST', `/${this.options.bucket}`, headers, body);
    const key = fields.get('key');
    const tagging = fields.get('tagging');
    if (stored.status < 300 && key !== undefined && tagging !== undefined) {
      const tagged = await this.forward(
        'PUT',
        `/${this.options.bucket}/${key.split('/').map(encodeURIComponent).join('/')}?tagging`,
        { 'content-type': 'application/xml' },
        Buffer.from(tagging, 'utf8'),
      );
      if (tagged.status >= 300) {
        return sendError(response, new S3Refusal(400, 'InvalidTag', tagged.body.toString('utf8')));
      }
    }
    response.writeHead(stored.status, stored.headers);
    response.end(stored.body);
  }

  private refused(error: S3Refusal): void {
    this.refusals.set(error.code, (this.refusals.get(error.code) ?? 0) + 1);
    this.options.log?.(`S3 refused ${error.status} ${error.code}: ${error.message}`);
  }

  private forward(
    method: string,
    pathAndQuery: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const { host: _, 'content-length': __, connection: ___, ...rest } = headers;
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port: this.backendPort,
          method,
          path: pathAndQuery,
          headers: { ...rest, host: `127.0.0.1:${this.backendPort}`, 'content-length': String(body.length) },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value === undefined || name === 'connection' || name === 'transfer-encoding') continue;
              // CORS is answered by the front, for the bucket's own origins.
              if (name.startsWith('access-control-') || name === 'vary') continue;
              out[name] = value;
            }
            const data = Buffer.concat(chunks);
            // A HEAD's length is the object's, which s3rver states; anything else is what it sent.
            if (method !== 'HEAD') out['content-length'] = String(data.length);
            resolve({
              status: incoming.statusCode ?? 500,
              headers: out,
              body: method === 'HEAD' ? Buffer.alloc(0) : data,
            });
          });
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function pathWithQuery(rawPath: string, query: readonly [string, string][]): string {
  if (query.length === 0) return rawPath;
  return `${rawPath}?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
}

const isMultipart = (request: IncomingMessage) =>
  String(request.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('multipart/form-data');

function sendError(response: ServerResponse, error: S3Refusal): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error>`;
  response.writeHead(error.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
  });
  response.end(xml);
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new S3Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * multipart/form-data (RFC 7578), as browsers and the SDK's examples send a POST upload: the fields in order
 * and the first part named `file` (S3 ignores everything after it).
 */
export function parseMultipart(body: Buffer, contentType: string): PostForm {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker)
    throw new S3Refusal(
      400,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    );
  const delimiter = Buffer.from(`--${marker}`);
  const fields: [string, string][] = [];
  let file: Buffer | undefined;
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0)
      throw new S3Refusal(
        400,
        'MalformedPOSTRequest',
        'The body of your POST request is not well-formed multipart/form-data.',
      );
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined)
      throw new S3Refusal(400, 'MalformedPOSTRequest', 'A part of the form has no name.');
    if (name === 'file') {
      file = content;
      break;
    }
    fields.push([name, content.toString('utf8')]);
    at = next;
  }
  if (!file)
    throw new S3Refusal(400, 'InvalidArgument', 'POST requires exactly one file upload per request.');
  return { fields, file };
}
