import { type Frame, frames } from '../protocol/frames.js';

/** The part of a WebSocket event that carries our authorizer's verdict. */
interface AuthorizedEvent {
  readonly requestContext: { readonly authorizer?: { readonly expires_at?: string } };
}

/**
 * Whether the token the socket connected with has expired. API Gateway authorizes a socket only at
 * `$connect` and keeps it open for up to two hours: without this check a socket would keep sending after its
 * token expired, or after its user lost the staff group. A socket without an expiry (our authorizer never
 * allows one) counts as expired.
 */
export function sessionEnded(event: AuthorizedEvent, nowMs: number = Date.now()): boolean {
  const expiresAt = sessionExpiresAt(event);
  return expiresAt === undefined || nowMs >= expiresAt * 1000;
}

/** When the socket's token expires (epoch seconds), as our authorizer handed it on; undefined if it did not. */
export function sessionExpiresAt(event: AuthorizedEvent): number | undefined {
  const expiresAt = Number(event.requestContext.authorizer?.expires_at);
  return Number.isFinite(expiresAt) ? expiresAt : undefined;
}

/** The answer to every frame of a socket whose token expired; the typed client reconnects with a fresh one. */
export const tokenExpiredFrame = (): Frame =>
  frames.error(
    'token_expired',
    'The token this socket connected with has expired; reconnect with a fresh one',
  );
