import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { REDELIVERY } from '../lambdas/contract/redelivery.js';
import {
  allHandlers,
  httpRoutes,
  queueConsumers,
  streamConsumers,
  webSocketAuthorizer,
  webSocketRoutes,
} from '../lambdas/contract/routes.js';
import { ENV } from '../lambdas/runtime/config.js';
import { ensureTable, type LocalDynamo, startDynamo } from './dynamo.js';
import { createViewerRequest } from './edge.js';
import type { FaultSchedule } from './faults.js';
import { type HttpGateway, startHttpGateway } from './http-gateway.js';
import { defaultKeyDir, type LocalIssuer, loadLocalIssuer } from './issuer.js';
import { LOCAL_SESSION_ISSUER, LocalKms } from './kms.js';
import { LambdaRuntime } from './lambda-runtime.js';
import {
  LOCAL_EMAIL_FROM,
  LOCAL_TEAM_ADDRESS,
  LOCAL_TEAM_TOPIC_ARN,
  LocalMail,
  type LocalMailOptions,
  mailPage,
} from './mail.js';
import { LocalQueue } from './queue.js';
import { LocalS3 } from './s3.js';
import { LocalSecretsManager } from './secrets.js';
import { LocalStream, type LocalStreamSettings } from './stream.js';
import { startWebSocketGateway, type WebSocketGateway } from './ws-gateway.js';

/** The attachments bucket of the local stack. */
export const LOCAL_ATTACHMENT_BUCKET = 'live-chat-attachments-local';

export interface LocalStackOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 3000; 0 picks a free port (tests) */
  readonly httpPort?: number;
  /** @default 3001; 0 picks a free port (tests) */
  readonly wsPort?: number;
  /** Keep the embedded DynamoDB's data in this folder; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Use this DynamoDB-compatible endpoint instead of the embedded one. */
  readonly dynamoEndpoint?: string | undefined;
  /** @default 'live-chat-local' */
  readonly tableName?: string;
  /** Where the development issuer keeps its signing key. */
  readonly keyDir?: string;
  /** Shorter WebSocket idle and age limits, for tests. */
  readonly wsIdleTimeoutMs?: number;
  readonly wsMaxConnectionAgeMs?: number;
  /** The function timeout of every handler, for tests. @default the deployed functions' timeout */
  readonly functionTimeoutMs?: number;
  /** Management API requests per second before throttling (LimitExceededException). @default unlimited */
  readonly managementRateLimit?: number;
  /**
   * The redelivery queue's timing (`lib/constructs/redelivery.ts` has the deployed one): every delay is
   * multiplied by `timeScale`, so tests wait milliseconds. @default real time
   */
  readonly redelivery?: { readonly timeScale?: number };
  /**
   * The table stream's mappings (`lambdas/contract/stream.ts` has the deployed ones): tests pass
   * `batchWindowMs: 'manual'` and call `stack.stream.flush()`. @default the deployed settings, 2 shards
   */
  readonly stream?: LocalStreamSettings;
  /** Extra environment for the handlers (MAX_MESSAGE_LENGTH, OPEN_ROOM_SHARDS, ...). */
  readonly environment?: Record<string, string>;
  /** Answers requests the HTTP API does not route (the web pages). */
  readonly fallback?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /**
   * Fails a seeded share of the handlers' DynamoDB requests once the stack is up (the table is created
   * without faults); tests can change it later with `dynamo.faults()`. @default no faults
   */
  readonly faults?: FaultSchedule | undefined;
  /** One line per request and frame. @default silent */
  readonly log?: (line: string) => void;
  /**
   * The SES and SNS stand-ins (local/mail.ts): the identities SES may send from, and who is told of each
   * message taken (npm start prints a line). @default the local sender's domain; nobody told
   */
  readonly mail?: Pick<LocalMailOptions, 'verifiedIdentities' | 'onMail'>;
}

export interface LocalStack {
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** The management API endpoint (`WS_CALLBACK_URL`). */
  readonly callbackUrl: string;
  readonly tableName: string;
  readonly issuer: LocalIssuer;
  /** KMS's two calls for the session issuer's key (Sign, GetPublicKey), with counts. */
  readonly kms: LocalKms;
  /** Secrets Manager's GetSecretValue for the host site's identity secret, with `rotate()` and counts. */
  readonly secrets: LocalSecretsManager;
  /** SES's SendEmail and SNS's Publish: every message captured (`mail.messages()`), never sent. */
  readonly mail: LocalMail;
  /** S3 with the attachments bucket, checking POST policies and signatures as S3 does (local/s3.ts). */
  readonly s3: LocalS3;
  /** The local S3's endpoint (`s3.url`), for the pages' CSP. */
  readonly s3Url: string;
  readonly dynamo: LocalDynamo;
  readonly webSocket: WebSocketGateway;
  readonly http: HttpGateway;
  /** The SQS queue of frames to post again, with its consumer. */
  readonly redelivery: LocalQueue;
  /**
   * The table's stream, with a mapping for each of `streamConsumers`. It sees the table's changes only when
   * there is a consumer and the database is the embedded one (dynalite behind the proxy).
   */
  readonly stream: LocalStream;
  /** Runs the handler files, for a test that puts another gateway in front of them. */
  readonly runtime: LambdaRuntime;
  stop(): Promise<void>;
}

/**
 * The whole system on one machine: dynalite with the table from the shared schema, the development issuer,
 * and the local HTTP and WebSocket gateways running the same handler files Lambda runs.
 *
 * Handlers read their configuration from `process.env`, as in Lambda, so one process holds one stack.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const tableName = options.tableName ?? 'live-chat-local';
  const log = options.log ?? (() => undefined);
  const issuer = await loadLocalIssuer(options.keyDir ?? defaultKeyDir);
  const dynamo = await startDynamo({ dataDir: options.dataDir, endpoint: options.dynamoEndpoint });

  // The SDK wants a region and credentials; the embedded database checks neither. Real ones win if set.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await ensureTable(dynamo.endpoint, tableName);

  const runtime = new LambdaRuntime(
    options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs },
  );
  const webSocket = await startWebSocketGateway({
    runtime,
    routes: webSocketRoutes,
    authorizer: webSocketAuthorizer.handler,
    host,
    port: options.wsPort ?? 3001,
    ...(options.wsIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.wsIdleTimeoutMs }),
    ...(options.wsMaxConnectionAgeMs === undefined
      ? {}
      : { maxConnectionAgeMs: options.wsMaxConnectionAgeMs }),
    ...(options.managementRateLimit === undefined
      ? {}
      : { managementRateLimit: options.managementRateLimit }),
    log,
  });

  // What CloudFront adds on the way to the origins (the stack: a generated secret), so the handlers trust
  // the viewer address the edge sets, and nobody else's.
  const originVerify = randomBytes(24).toString('base64url');
  const redelivery = new LocalQueue({
    runtime,
    handler: queueConsumers[0].handler,
    visibilityTimeoutSeconds: REDELIVERY.visibilityTimeoutSeconds,
    maxReceiveCount: REDELIVERY.maxReceiveCount,
    host,
    log,
    ...(options.redelivery?.timeScale === undefined ? {} : { timeScale: options.redelivery.timeScale }),
  });
  await redelivery.start();
  const kms = new LocalKms({ keyDir: options.keyDir ?? defaultKeyDir, host, log });
  await kms.start();
  const secrets = new LocalSecretsManager({ keyDir: options.keyDir ?? defaultKeyDir, host, log });
  await secrets.start();
  const mail = new LocalMail({ host, log, ...options.mail });
  await mail.start();
  // The pages' origins, known once the HTTP gateway listens: the bucket's CORS rule, as the stack sets it.
  let pageOrigins: string[] = [];
  const s3 = new LocalS3({
    bucket: LOCAL_ATTACHMENT_BUCKET,
    credentials: { [process.env.AWS_ACCESS_KEY_ID ?? 'local']: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' },
    corsOrigins: () => pageOrigins,
    host,
    ...(options.dataDir ? { dataDir: path.join(options.dataDir, 's3') } : {}),
    log,
  });
  await s3.start();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.url,
    [ENV.attachmentBucket]: LOCAL_ATTACHMENT_BUCKET,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    [ENV.originVerify]: originVerify,
    AWS_ENDPOINT_URL_SQS: redelivery.url,
    [ENV.redeliveryQueueUrl]: redelivery.queueUrl,
    AWS_ENDPOINT_URL_KMS: kms.url,
    [ENV.sessionIssuer]: LOCAL_SESSION_ISSUER,
    [ENV.sessionKeyId]: kms.keyId,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    [ENV.identitySecretId]: secrets.secretId,
    AWS_ENDPOINT_URL_SESV2: mail.url,
    AWS_ENDPOINT_URL_SNS: mail.url,
    [ENV.emailFrom]: LOCAL_EMAIL_FROM,
    [ENV.notifyTeam]: `email:${LOCAL_TEAM_ADDRESS}`,
    [ENV.notifyTopicArn]: LOCAL_TEAM_TOPIC_ARN,
    [ENV.tableName]: tableName,
    [ENV.webSocketCallbackUrl]: webSocket.callbackUrl,
    [ENV.jwtIssuer]: issuer.issuer,
    [ENV.jwtAudience]: issuer.audience,
    [ENV.jwtJwks]: JSON.stringify(issuer.jwks),
    POWERTOOLS_SERVICE_NAME: 'live-chat-local',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    ...options.environment,
  });
  await runtime.preload(allHandlers());

  const stream = new LocalStream({ runtime, tableName, log, ...options.stream });
  for (const consumer of streamConsumers) stream.consume(consumer.handler, consumer.filter);
  // Nothing reads a stream without a consumer: leave the proxy as it is (no per-item serialization).
  const unwatch =
    streamConsumers.length > 0 && !options.dynamoEndpoint
      ? dynamo.watchChanges(tableName, (change) => stream.publish(change))
      : undefined;

  const http = await startHttpGateway({
    runtime,
    routes: httpRoutes,
    authorizer: issuer,
    host,
    port: options.httpPort ?? 3000,
    log,
    edge: {
      viewerRequest: createViewerRequest(webSocket.stage),
      target: { host, port: webSocket.port },
      originVerify,
    },
    fallback: async (request, response) =>
      mailPage(mail, request, response) || ((await options.fallback?.(request, response)) ?? false),
  });
  // Links in emails go to the public origin, known only now (the handlers read it when they send).
  if (options.environment?.[ENV.publicUrl] === undefined) process.env[ENV.publicUrl] = http.url;

  if (options.faults) dynamo.faults(options.faults);
  const httpPort = new URL(http.url).port;
  pageOrigins = [`http://127.0.0.1:${httpPort}`, `http://localhost:${httpPort}`, http.url];

  return {
    httpUrl: http.url,
    wsUrl: webSocket.url,
    callbackUrl: webSocket.callbackUrl,
    tableName,
    issuer,
    kms,
    secrets,
    mail,
    s3,
    s3Url: s3.url,
    dynamo,
    webSocket,
    http,
    runtime,
    redelivery,
    stream,
    async stop() {
      // The stream first: its consumers post to the gateways, which stop next.
      unwatch?.();
      await stream.close();
      await redelivery.close();
      await kms.close();
      await secrets.close();
      await mail.close();
      await s3.close();
      await http.close();
      await webSocket.close();
      await dynamo.close();
    },
  };
}
