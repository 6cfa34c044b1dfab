import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ChatCommandDeps } from '../domain/chat.js';
import { forgetGoneSocket } from '../domain/connections.js';
import { PushEvents } from '../push/events.js';
import { StaffPresence } from '../push/presence.js';
import { Pusher, type Target } from '../push/pusher.js';
import { SqsRedelivery } from '../push/redelivery.js';
import { SupportStatus } from '../push/support-status.js';
import { DynamoRateLimiter } from '../storage/rate-limiter.js';
import { ENV } from './config.js';
import { config, documentClient, queryDeps, store } from './deps.js';

if (!config.webSocketCallbackUrl) throw new Error(`${ENV.webSocketCallbackUrl} is not set`);

/** The management API client; its standard retry strategy retries throttling with jittered backoff. */
export const managementApi = new ApiGatewayManagementApiClient({
  endpoint: config.webSocketCallbackUrl,
  maxAttempts: 4,
});

const redelivery = config.redeliveryQueueUrl
  ? new SqsRedelivery(new SQSClient({}), config.redeliveryQueueUrl)
  : undefined;

/** Forgets a socket the management API no longer knows, with the items it was found by. */
export const forgetGone = (target: Target) =>
  forgetGoneSocket(commandDeps, { ...target, foundBy: target.foundBy ?? [] });

export const pusher = new Pusher(managementApi, {
  connectGraceMs: config.goneGraceMs,
  onGone: forgetGone,
  ...(redelivery ? { onUndelivered: (undelivered) => redelivery.enqueue(undelivered) } : {}),
});

/**
 * What handlers that change something need: storage, the frames that tell every socket concerned, and the
 * per-user limits.
 */
export const commandDeps: ChatCommandDeps = {
  ...queryDeps,
  events: new PushEvents(store, pusher),
  limiter: new DynamoRateLimiter(documentClient, config.tableName),
  limits: config.rateLimits,
};

/** Staff presence checked against the sockets, for `GET /api/chat/online-staff/`. */
export const staffPresence = new StaffPresence(store, pusher, {
  windowMs: config.presenceWindowMs,
  checksPerRead: config.presenceChecksPerRead,
  connectGraceMs: config.goneGraceMs,
  onDead: forgetGone,
});

/** "Is support online", one shared reading of {@link staffPresence} per few seconds per container. */
export const supportStatus = new SupportStatus(staffPresence, { ttlMs: config.supportStatusCacheMs });
