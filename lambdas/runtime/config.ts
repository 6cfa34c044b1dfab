import type { AutoAssignPolicy } from '../domain/assignment.js';
import type { RateLimits } from '../domain/limits.js';
import { parseAutoAssign } from './auto-assign-config.js';
import { parseLimits } from './limits-config.js';

/**
 * Configuration every handler reads from its environment, parsed once per container.
 *
 * The CDK stack sets these variables on each function and the local runtime sets them on its own process,
 * so the handlers never know which of the two they run in.
 */
export interface Config {
  /** The chat table. */
  readonly tableName: string;
  /** WebSocket management API endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  readonly webSocketCallbackUrl: string | undefined;
  /** Claim that carries the user id. */
  readonly userIdClaim: string;
  /** Claim that lists the user's groups. */
  readonly staffClaim: string;
  /** Group in `staffClaim` that makes a user staff. */
  readonly staffGroup: string;
  /** Upper bound of a message's length, in characters (code points). */
  readonly maxMessageLength: number;
  /** Partitions of the open-rooms index; raise it (never lower it): docs/operations.md, "How to scale". */
  readonly openRoomShards: number;
  /** List open rooms from the legacy index gsi2, kept up beside gsi3, for one deploy (docs/deploy.md). */
  readonly legacyOpenRoomsIndex: boolean;
  /**
   * A socket that answers 410 is forgotten only once it is older than this: one whose `$connect` is still
   * running answers 410 too (API Gateway gives `$connect` up to 29 s).
   */
  readonly goneGraceMs: number;
  /**
   * A staff socket whose client has sent nothing for this long is taken for dead when presence is read
   * (clients ping every 30 s): see lambdas/push/presence.ts.
   */
  readonly presenceWindowMs: number;
  /** Sockets a presence read asks the management API about, at most. */
  readonly presenceChecksPerRead: number;
  /**
   * How long one reading of "is support online" answers every caller of a container, and (as `max-age`) how
   * long the edge may keep it: see lambdas/push/support-status.ts.
   */
  readonly supportStatusCacheMs: number;
  /** Per-user limits (`RATE_LIMITS`, JSON; see limits-config.ts). */
  readonly rateLimits: RateLimits;
  /**
   * The secret header value CloudFront adds to every request it forwards to the APIs: a request carrying it
   * came through the edge, so its `x-chat-viewer-address` is the viewer's. Absent: no edge is trusted.
   */
  readonly originVerify: string | undefined;
  /** The SQS queue of frames to post again (`lambdas/push/redelivery.ts`); absent: failed posts are logged only. */
  readonly redeliveryQueueUrl: string | undefined;
  /**
   * The stack's session issuer (guests and a host site's verified users): its `iss` and the KMS key that signs
   * its tokens. Absent: no session tokens are signed or accepted, and `guest-sessions` answers 404.
   */
  readonly sessionIssuer: { readonly issuer: string; readonly keyId: string } | undefined;
  /** Lifetime of a session token, in seconds. */
  readonly sessionTtlSeconds: number;
  /** Lifetime of a session's refresh secret, in days, from its last use. */
  readonly refreshTtlDays: number;
  /** How long a refresh secret keeps working after its first use (two tabs refreshing at once), in seconds. */
  readonly refreshGraceSeconds: number;
  /** Secrets Manager id of the host site's identity secret (HS256); absent: identity tokens are refused. */
  readonly identitySecretId: string | undefined;
  /** The most canned replies the team may keep (lambdas/domain/canned-replies.ts). */
  readonly cannedRepliesMax: number;
  /** `AUTO_ASSIGN`: `off` (default) or `round-robin:<cap>`, new rooms given out among online staff (docs/assignment.md). */
  readonly autoAssign: AutoAssignPolicy;
}

export const ENV = {
  tableName: 'TABLE_NAME',
  webSocketCallbackUrl: 'WS_CALLBACK_URL',
  userIdClaim: 'USER_ID_CLAIM',
  staffClaim: 'STAFF_CLAIM',
  staffGroup: 'STAFF_GROUP',
  maxMessageLength: 'MAX_MESSAGE_LENGTH',
  openRoomShards: 'OPEN_ROOM_SHARDS',
  legacyOpenRoomsIndex: 'OPEN_ROOMS_LEGACY_INDEX',
  goneGraceSeconds: 'GONE_GRACE_SECONDS',
  rateLimits: 'RATE_LIMITS',
  originVerify: 'ORIGIN_VERIFY',
  redeliveryQueueUrl: 'REDELIVERY_QUEUE_URL',
  presenceWindowSeconds: 'PRESENCE_WINDOW_SECONDS',
  presenceChecksPerRead: 'PRESENCE_CHECKS_PER_READ',
  supportStatusCacheSeconds: 'SUPPORT_STATUS_CACHE_SECONDS',
  sessionIssuer: 'SESSION_ISSUER',
  sessionKeyId: 'SESSION_KEY_ID',
  sessionTtlSeconds: 'SESSION_TTL_SECONDS',
  refreshTtlDays: 'REFRESH_TTL_DAYS',
  refreshGraceSeconds: 'REFRESH_GRACE_SECONDS',
  identitySecretId: 'IDENTITY_SECRET_ID',
  cannedRepliesMax: 'CANNED_REPLIES_MAX',
  autoAssign: 'AUTO_ASSIGN',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  jwtJwksUri: 'JWT_JWKS_URI',
  jwtJwks: 'JWT_JWKS',
  /** Who hears of a new room while no staff is online: `email:<address>`, `sns` or `off` (email-config.ts). */
  notifyTeam: 'NOTIFY_TEAM',
  /** The sender of every email (an SES verified identity); unset: no email is sent to anyone. */
  emailFrom: 'EMAIL_FROM',
  /** The stack's public origin, for the links in emails (the console, the widget, the confirmation). */
  publicUrl: 'PUBLIC_URL',
  /** The stack's team notification topic, for `NOTIFY_TEAM=sns`. */
  notifyTopicArn: 'NOTIFY_TOPIC_ARN',
  /** At most one reply email per conversation per this many seconds. */
  emailThrottleSeconds: 'EMAIL_THROTTLE_SECONDS',
  /** How long an email confirmation link works, in seconds. */
  emailConfirmationTtlSeconds: 'EMAIL_CONFIRMATION_TTL_SECONDS',
  /** The private bucket of attachments (lib/constructs/attachments.ts); unset: attachments are off (404). */
  attachmentBucket: 'ATTACHMENT_BUCKET',
  /** The largest attachment accepted, in bytes (default 10 MB). */
  attachmentMaxBytes: 'ATTACHMENT_MAX_BYTES',
} as const;

export const DEFAULTS = {
  userIdClaim: 'sub',
  staffClaim: 'cognito:groups',
  staffGroup: 'staff',
  maxMessageLength: 4000,
  /** Enough for a support desk, few enough that every console loads them all in one read. */
  cannedRepliesMax: 200,
  openRoomShards: 1,
  goneGraceSeconds: 30,
  /** Two missed 30 s heartbeats and some slack. */
  presenceWindowSeconds: 75,
  presenceChecksPerRead: 20,
  /** A widget polls every 10 s: a 5 s reading keeps what it shows at most 15 s old. */
  supportStatusCacheSeconds: 5,
  /** About an hour, as the issue asks: a stolen token is worth little, and the refresh secret renews it. */
  sessionTtlSeconds: 3600,
  /** A returning visitor continues their conversation for a month after their last visit. */
  refreshTtlDays: 30,
  /** Two tabs of one browser that refresh at the same moment both succeed; a stolen, used secret soon fails. */
  refreshGraceSeconds: 60,
} as const;

function integer(name: string, fallback: number, min: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function sessionIssuer(env: NodeJS.ProcessEnv): Config['sessionIssuer'] {
  const issuer = env[ENV.sessionIssuer];
  const keyId = env[ENV.sessionKeyId];
  if (!issuer && !keyId) return undefined;
  if (!issuer || !keyId) throw new Error(`${ENV.sessionIssuer} and ${ENV.sessionKeyId} go together`);
  return { issuer, keyId };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tableName = env[ENV.tableName];
  if (!tableName) throw new Error(`${ENV.tableName} is not set`);
  return {
    tableName,
    webSocketCallbackUrl: env[ENV.webSocketCallbackUrl] || undefined,
    userIdClaim: env[ENV.userIdClaim] || DEFAULTS.userIdClaim,
    staffClaim: env[ENV.staffClaim] || DEFAULTS.staffClaim,
    staffGroup: env[ENV.staffGroup] || DEFAULTS.staffGroup,
    maxMessageLength: integer(ENV.maxMessageLength, DEFAULTS.maxMessageLength, 1, env),
    openRoomShards: integer(ENV.openRoomShards, DEFAULTS.openRoomShards, 1, env),
    legacyOpenRoomsIndex: env[ENV.legacyOpenRoomsIndex] === 'true',
    goneGraceMs: integer(ENV.goneGraceSeconds, DEFAULTS.goneGraceSeconds, 0, env) * 1000,
    presenceWindowMs: integer(ENV.presenceWindowSeconds, DEFAULTS.presenceWindowSeconds, 1, env) * 1000,
    presenceChecksPerRead: integer(ENV.presenceChecksPerRead, DEFAULTS.presenceChecksPerRead, 0, env),
    supportStatusCacheMs:
      integer(ENV.supportStatusCacheSeconds, DEFAULTS.supportStatusCacheSeconds, 0, env) * 1000,
    rateLimits: parseLimits(env[ENV.rateLimits] || undefined),
    originVerify: env[ENV.originVerify] || undefined,
    redeliveryQueueUrl: env[ENV.redeliveryQueueUrl] || undefined,
    sessionIssuer: sessionIssuer(env),
    sessionTtlSeconds: integer(ENV.sessionTtlSeconds, DEFAULTS.sessionTtlSeconds, 60, env),
    refreshTtlDays: integer(ENV.refreshTtlDays, DEFAULTS.refreshTtlDays, 1, env),
    refreshGraceSeconds: integer(ENV.refreshGraceSeconds, DEFAULTS.refreshGraceSeconds, 1, env),
    identitySecretId: env[ENV.identitySecretId] || undefined,
    cannedRepliesMax: integer(ENV.cannedRepliesMax, DEFAULTS.cannedRepliesMax, 1, env),
    autoAssign: parseAutoAssign(env[ENV.autoAssign] || undefined),
  };
}
