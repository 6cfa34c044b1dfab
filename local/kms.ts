import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AwsJsonService, answer, type JsonAnswer, startAwsJsonService } from './aws-json-service.js';

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
  private service: AwsJsonService | undefined;
  private key: KeyObject | undefined;
  /** Calls answered, by operation. */
  readonly calls = { Sign: 0, GetPublicKey: 0 };

  constructor(private readonly options: LocalKmsOptions) {}

  get url(): string {
    return this.service?.url ?? '';
  }

  async start(): Promise<void> {
    this.key = await loadKey(this.options.keyDir);
    this.service = await startAwsJsonService({
      targetPrefix: 'TrentService',
      internalErrorType: 'KMSInternalException',
      ...(this.options.host ? { host: this.options.host } : {}),
      handle: (operation, body) => this.handle(operation, body),
    });
  }

  async close(): Promise<void> {
    await this.service?.close();
  }

  private handle(operation: string, body: Record<string, unknown>): JsonAnswer {
    this.options.log?.(`KMS ${operation} ${String(body.KeyId ?? '')}`);
    if (body.KeyId !== this.keyId)
      return answer(400, {
        __type: 'NotFoundException',
        message: `Key '${String(body.KeyId)}' does not exist`,
      });
    const key = this.key as KeyObject;
    if (operation === 'GetPublicKey') {
      this.calls.GetPublicKey++;
      return answer(200, {
        KeyId: this.keyId,
        PublicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64'),
        KeySpec: 'RSA_2048',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: [ALGORITHM],
      });
    }
    if (operation === 'Sign') {
      if (
        body.SigningAlgorithm !== ALGORITHM ||
        body.MessageType !== 'RAW' ||
        typeof body.Message !== 'string'
      )
        return answer(400, {
          __type: 'ValidationException',
          message: `Only RAW messages with ${ALGORITHM} are supported here`,
        });
      const message = Buffer.from(body.Message, 'base64');
      if (message.length > 4096)
        return answer(400, { __type: 'ValidationException', message: 'Message is longer than 4096 bytes' });
      this.calls.Sign++;
      return answer(200, {
        KeyId: this.keyId,
        Signature: sign('sha256', message, key).toString('base64'),
        SigningAlgorithm: ALGORITHM,
      });
    }
    return answer(400, { __type: 'UnsupportedOperationException', message: `Unsupported ${operation}` });
  }
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
