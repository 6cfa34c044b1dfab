import { requestEmailConfirmation } from '../domain/email-confirmation.js';
import { confirmationDeps } from '../runtime/email-deps.js';
import { httpHandler, json } from '../runtime/http.js';
import { customerMailer } from '../runtime/ses-mailer.js';

/**
 * POST /api/chat/email-confirmations/: mails the caller (a customer) a one-time link that proves the address
 * their profile holds, so staff replies reach them by email while they are away. 202 `{"status": "sent",
 * "email", "expires_at"}`, or 200 `{"status": "verified", "email"}` for an address already proved (nothing
 * sent); 409 `no_email` without an address, 429 past three links an hour, 404 `email_unavailable` when the
 * stack sends no email.
 */
export const handler = httpHandler(async (request) => {
  const result = await requestEmailConfirmation(confirmationDeps(customerMailer), request.actor);
  return result.status === 'sent'
    ? json(202, { status: result.status, email: result.email, expires_at: result.expiresAt })
    : json(200, { status: result.status, email: result.email });
});
