import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * The local session issuer's `iss`: the second development issuer, playing the part of the stack's own (the
 * first, local/issuer.ts, plays Cognito's).
 */
export const LOCAL_SESSION_ISSUER = 'https://sessions.local.live-chat.invalid';
/** The local session key's ARN, as KMS would name it. */
export const LOCAL_SESSION_KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/local-session-key';
const KEY_FILE = 'session-kms-key.pem';
const ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

export interface LocalKmsOptions {
  /** Where the key is kept (beside the development issuer's). */
  readonly keyDir: string;
  readonly host?: string;
  /** One line per call. */
  readonly log?: (line: string) => void;
}

/**
 * KMS, locally: the two calls the session issuer makes (`Sign` with RSASSA_PKCS1_V1_5_SHA_256, and
 * `GetPublicKey`) in KMS's JSON protocol, for one RSA 2048 key kept in `keyDir`, so the handlers' SDK code runs
 * as in AWS with `AWS_ENDPOINT_URL_KMS` pointing here. The private key stays in this server, never in a
 * handler's environment, as it stays in KMS.
 */
export class LocalKms {
  readonly keyId = LOCAL_SESSION_KEY_ID;
  private server: Server | undefined;
  private key: KeyObject | undefined;
  private endpoint = '';
  /** Calls answered, by operation. */
  readonly calls = { Sign: 0, GetPublicKey: 0 };

  constructor(private readonly options: LocalKmsOptions) {}

  get url(): string {
    return this.endpoint;
  }

  async start(): Promise<void> {
    this.key = await loadKey(this.options.keyDir);
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) =>
        reply(response, 500, { __type: 'KMSInternalException', message: String(error) }),
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, this.options.host ?? '127.0.0.1', resolve));
    const { address, port } = this.server.address() as AddressInfo;
    this.endpoint = `http://${address}:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '');
    this.options.log?.(`KMS ${operation} ${String(body.KeyId ?? '')}`);
    if (body.KeyId !== this.keyId) {
      reply(response, 400, {
        __type: 'NotFoundException',
        message: `Key '${String(body.KeyId)}' does not exist`,
      });
      return;
    }
    const key = this.key as KeyObject;
    if (operation === 'GetPublicKey') {
      this.calls.GetPublicKey++;
      reply(response, 200, {
        KeyId: this.keyId,
        PublicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64'),
        KeySpec: 'RSA_2048',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: [ALGORITHM],
      });
      return;
    }
    if (operation === 'Sign') {
      if (
        body.SigningAlgorithm !== ALGORITHM ||
        body.MessageType !== 'RAW' ||
        typeof body.Message !== 'string'
      ) {
        reply(response, 400, {
          __type: 'ValidationException',
          message: `Only RAW messages with ${ALGORITHM} are supported here`,
        });
        return;
      }
      const message = Buffer.from(body.Message, 'base64');
      if (message.length > 4096) {
        reply(response, 400, { __type: 'ValidationException', message: 'Message is longer than 4096 bytes' });
        return;
      }
      this.calls.Sign++;
      reply(response, 200, {
        KeyId: this.keyId,
        Signature: sign('sha256', message, key).toString('base64'),
        SigningAlgorithm: ALGORITHM,
      });
      return;
    }
    reply(response, 400, { __type: 'UnsupportedOperationException', message: `Unsupported ${target}` });
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
}

/** Loads the key from `keyDir`, creating it once; a concurrent creator wins and both use its key. */
async function loadKey(keyDir: string): Promise<KeyObject> {
  const file = path.join(keyDir, KEY_FILE);
  try {
    return createPrivateKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(keyDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  try {
    await writeFile(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { flag: 'wx', mode: 0o600 });
    return privateKey;
  } catch (raced) {
    if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    return createPrivateKey(await readFile(file, 'utf8'));
  }
}
