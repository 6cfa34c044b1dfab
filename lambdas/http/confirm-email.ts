import { confirmEmail } from '../domain/email-confirmation.js';
import { confirmationDeps } from '../runtime/email-deps.js';
import { publicHttpHandler } from '../runtime/http.js';

/**
 * GET /api/chat/email-confirmations/{token}: the link of the confirmation email (public: it is opened from a
 * mail client, and the token is the proof). Spends the token and answers 303 to the widget page
 * (`?email_confirmed=1`), with `{"status": "confirmed", "email"}` for programs; 404, 410 (used, expired) or
 * 409 (the address changed since) otherwise, as JSON errors.
 */
export const handler = publicHttpHandler(async (request) => {
  const deps = confirmationDeps();
  const { email } = await confirmEmail(deps, request.event.pathParameters?.token ?? '');
  const base = deps.settings.publicUrl ?? '';
  return {
    status: 303,
    body: { status: 'confirmed', email },
    headers: { location: `${base}/widget.html?email_confirmed=1` },
  };
});
