import { confirmEmail } from '../domain/email-confirmation.js';
import { AppError } from '../domain/errors.js';
import { errorJson } from '../protocol/json.js';
import { confirmationDeps } from '../runtime/email-deps.js';
import { publicHttpHandler } from '../runtime/http.js';

/**
 * The refusals a person who opened the link in a browser is shown on the widget page rather than as JSON: a
 * link used already (often by a mail scanner that opened it first, which confirmed the address all the same),
 * expired, unknown, or for an address changed since.
 */
const SHOWN_ON_THE_PAGE = new Set([
  'confirmation_not_found',
  'confirmation_used',
  'confirmation_expired',
  'email_changed',
]);

/**
 * GET /api/chat/email-confirmations/{token}: the link of the confirmation email (public: it is opened from a
 * mail client, and the token is the proof). Spends the token and answers 303 to the widget page
 * (`?email_confirmed=1`), with `{"status": "confirmed", "email"}` for programs; 404, 410 (used, expired) or
 * 409 (the address changed since) otherwise, as JSON errors. A browser (`Accept` names `text/html`) is sent
 * to the widget page for those too, `?email_confirmation=<code>`, with the same JSON error as the body.
 */
export const handler = publicHttpHandler(async (request) => {
  const deps = confirmationDeps();
  const base = deps.settings.publicUrl ?? '';
  try {
    const { email } = await confirmEmail(deps, request.event.pathParameters?.token ?? '');
    return {
      status: 303,
      body: { status: 'confirmed', email },
      headers: { location: `${base}/widget.html?email_confirmed=1` },
    };
  } catch (error) {
    const browser = /\btext\/html\b/i.test(request.event.headers.accept ?? '');
    if (!(error instanceof AppError && SHOWN_ON_THE_PAGE.has(error.code) && browser)) throw error;
    return {
      status: 303,
      body: { error: errorJson(error) },
      headers: { location: `${base}/widget.html?email_confirmation=${error.code}` },
    };
  }
});
