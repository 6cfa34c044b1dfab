import type { Mailer } from '../domain/email.js';
import type { ConfirmationDeps } from '../domain/email-confirmation.js';
import { EmailStore } from '../storage/email-store.js';
import { DynamoRateLimiter } from '../storage/rate-limiter.js';
import { Table } from '../storage/table.js';
import { config, documentClient } from './deps.js';
import { loadEmailConfig } from './email-config.js';

/**
 * The email store and the confirmation routes' needs, created once per container. The SES and SNS clients
 * are in ses-mailer.ts and team-channel.ts, which only the functions that send import: the confirm link's
 * function sends nothing and bundles neither.
 */
export const emailStore = new EmailStore(new Table(documentClient, config.tableName, Date.now));

const limiter = new DynamoRateLimiter(documentClient, config.tableName);

/** What the confirmation routes need, with the settings as they are now; `mailer` for the one that sends. */
export function confirmationDeps(
  mailer?: (settings: ReturnType<typeof loadEmailConfig>) => Mailer | undefined,
): ConfirmationDeps {
  const settings = loadEmailConfig();
  return {
    store: emailStore,
    limiter,
    mailer: mailer?.(settings),
    settings: { publicUrl: settings.publicUrl, ttlSeconds: settings.confirmationTtlSeconds },
  };
}
