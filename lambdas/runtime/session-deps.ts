import type { SessionDeps } from '../domain/sessions.js';
import { DynamoRateLimiter } from '../storage/rate-limiter.js';
import { DynamoRoomTransfer } from '../storage/room-transfer.js';
import { DynamoSessionStore } from '../storage/session-store.js';
import { Table } from '../storage/table.js';
import { config, documentClient, queryDeps } from './deps.js';
import { IdentitySecrets } from './identity-secret.js';
import { sessionBearerVerifier } from './session-bearer.js';
import { signSessionToken } from './session-tokens.js';

const table = new Table(documentClient, config.tableName, Date.now);

/**
 * What the session routes need, created once per container: the session issuer (KMS), the identity secret
 * (Secrets Manager, cached), the session, room-transfer and profile stores, and the per-address limit. Undefined when
 * the stack has no session issuer (`guest-sessions` answers 404 then).
 */
export const sessionDeps: SessionDeps | undefined = config.sessionIssuer
  ? sessionDepsFor(config.sessionIssuer)
  : undefined;

function sessionDepsFor(issuer: NonNullable<typeof config.sessionIssuer>): SessionDeps {
  return {
    sessions: new DynamoSessionStore(table),
    rooms: new DynamoRoomTransfer(table),
    people: queryDeps,
    signer: { sign: (subject, ttlSeconds) => signSessionToken(issuer, subject, ttlSeconds) },
    identity: config.identitySecretId
      ? new IdentitySecrets({ secretId: config.identitySecretId })
      : undefined,
    bearer: sessionBearerVerifier(config),
    limiter: new DynamoRateLimiter(documentClient, config.tableName),
    limits: config.rateLimits,
    settings: {
      sessionTtlSeconds: config.sessionTtlSeconds,
      refreshTtlDays: config.refreshTtlDays,
      refreshGraceSeconds: config.refreshGraceSeconds,
    },
  };
}
