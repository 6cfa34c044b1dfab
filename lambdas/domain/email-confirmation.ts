import { createHash, randomBytes } from 'node:crypto';
import { EMAIL_CONFIRMATION_PATH, EMAIL_DEFAULTS } from '../contract/notify.js';
import type { EmailRecipient, Mailer } from './email.js';
import { verifiedAddress } from './email.js';
import { confirmationEmail } from './email-content.js';
import { AppError, Conflict, Forbidden, NotFound } from './errors.js';
import type { RateLimiter } from './ports.js';
import { type Actor, Role } from './types.js';

/**
 * A customer's address, proved by a link the first time they give it: `POST /api/chat/email-confirmations/`
 * mails a one-time token to the address their profile holds; `POST …/email-confirmations/{token}` spends it
 * (a conditional write: it works once, and not after its expiry) and marks that very address confirmed on
 * their profile. A later change of the address undoes the proof (the confirmed address no longer matches), so
 * a customer can never have replies sent to an address they did not prove. An address the host site's
 * identity token vouched for needs no link. The link's own `GET` spends nothing (mail scanners open links):
 * it sends the browser to the widget page, whose Confirm button POSTs (lambdas/http/confirm-email.ts).
 */

export type ConfirmationUse =
  | { readonly kind: 'used'; readonly userId: string; readonly email: string }
  | { readonly kind: 'not_found' | 'already_used' | 'expired' };

export interface ConfirmationPorts {
  /** A person's profile and confirmed address, or null without a profile. */
  recipient(userId: string): Promise<EmailRecipient | null>;
  /** Stores a link by its token's hash: who asked, for which address, until when (epoch seconds). */
  putConfirmation(
    tokenHash: string,
    link: { readonly userId: string; readonly email: string; readonly expiresAt: number },
  ): Promise<void>;
  /** Spends a link (one conditional write): used now, unless it is unknown, spent or expired. */
  useConfirmation(tokenHash: string, nowSeconds: number): Promise<ConfirmationUse>;
  /** Marks `email` confirmed on the profile, if it still is the profile's address; false otherwise. */
  markEmailConfirmed(userId: string, email: string, at: string): Promise<boolean>;
}

export interface ConfirmationDeps {
  readonly store: ConfirmationPorts;
  readonly limiter: RateLimiter;
  /** Absent: the stack sends no email (no `EMAIL_FROM` or `PUBLIC_URL`), and the route answers 404. */
  readonly mailer: Mailer | undefined;
  readonly settings: { readonly publicUrl: string | undefined; readonly ttlSeconds: number };
  readonly now?: () => number;
}

export type ConfirmationRequest =
  | { readonly status: 'sent'; readonly email: string; readonly expiresAt: number }
  | { readonly status: 'verified'; readonly email: string };

/** The limit's name in the table's counters (`lambdas/storage/rate-limiter.ts`). */
const CONFIRMATION_LIMIT = 'email_confirmations';
/**
 * The same limit counted by the address the link goes to (its hash, lowercased): anyone may say an address is
 * theirs, and each new guest session would otherwise bring three more links an hour to one stranger's inbox.
 */
const CONFIRMATION_TO_LIMIT = 'email_confirmations_to';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Mails a confirmation link to the caller's address (customers only: staff get no email). Nothing is sent
 * for an address already proved; at most {@link EMAIL_DEFAULTS.confirmationsPerHour} links an hour per
 * person and as many per address, counted in the table (429 `rate_limited` past either).
 */
export async function requestEmailConfirmation(
  deps: ConfirmationDeps,
  actor: Actor,
): Promise<ConfirmationRequest> {
  if (actor.role !== Role.customer) throw new Forbidden('Only customers get email replies', 'customers_only');
  const { mailer } = deps;
  const { publicUrl, ttlSeconds } = deps.settings;
  if (!mailer || !publicUrl) throw new NotFound('This chat sends no email', 'email_unavailable');
  const recipient = await deps.store.recipient(actor.userId);
  const email = recipient?.profile.email ?? null;
  if (email === null) {
    throw new Conflict('Give your email address first (POST /api/chat/profile/)', 'no_email');
  }
  if (verifiedAddress(recipient) === email) return { status: 'verified', email };
  const nowMs = (deps.now ?? Date.now)();
  const hourly = [{ max: EMAIL_DEFAULTS.confirmationsPerHour, seconds: 3600 }];
  let verdict = await deps.limiter.take(CONFIRMATION_LIMIT, actor.userId, hourly, nowMs);
  if (verdict.allowed) {
    verdict = await deps.limiter.take(CONFIRMATION_TO_LIMIT, hashOf(email.toLowerCase()), hourly, nowMs);
  }
  if (!verdict.allowed) {
    throw new AppError(
      429,
      'rate_limited',
      `Too many confirmation emails: try again in ${verdict.retryAfterSeconds} s`,
    );
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  await deps.store.putConfirmation(hashOf(token), { userId: actor.userId, email, expiresAt });
  await mailer.send(confirmationEmail(email, `${publicUrl}${EMAIL_CONFIRMATION_PATH}/${token}`, ttlSeconds));
  return { status: 'sent', email, expiresAt };
}

/**
 * Spends a confirmation link. Unknown (or malformed): 404 `confirmation_not_found`; spent before: 410
 * `confirmation_used`; past its expiry: 410 `confirmation_expired`; the profile's address changed since the
 * link was sent: 409 `email_changed` (the link proves the old address, which replies no longer go to).
 */
export async function confirmEmail(deps: ConfirmationDeps, token: string): Promise<{ email: string }> {
  if (!TOKEN.test(token)) throw confirmationNotFound();
  const nowMs = (deps.now ?? Date.now)();
  const use = await deps.store.useConfirmation(hashOf(token), Math.floor(nowMs / 1000));
  switch (use.kind) {
    case 'not_found':
      throw confirmationNotFound();
    case 'already_used':
      throw new AppError(410, 'confirmation_used', 'This link was used already');
    case 'expired':
      throw new AppError(410, 'confirmation_expired', 'This link has expired: ask for a new one');
    case 'used':
      break;
  }
  if (!(await deps.store.markEmailConfirmed(use.userId, use.email, new Date(nowMs).toISOString()))) {
    throw new Conflict('The address changed since this link was sent', 'email_changed');
  }
  return { email: use.email };
}

const confirmationNotFound = () => new NotFound('Unknown confirmation link', 'confirmation_not_found');
