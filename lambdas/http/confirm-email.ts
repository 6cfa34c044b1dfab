import { EMAIL_CONFIRMATION_PATH } from '../contract/notify.js';
import { confirmEmail } from '../domain/email-confirmation.js';
import { confirmationDeps } from '../runtime/email-deps.js';
import { json, publicHttpHandler } from '../runtime/http.js';

/**
 * The confirmation link, `/api/chat/email-confirmations/{token}` (public: it is opened from a mail client, and
 * the token is the proof), by method:
 *
 * - `GET` changes nothing: it answers 303 to the widget page, `/widget.html?email_confirmation_token=<token>`,
 *   for a browser and for anyone else alike, with a JSON body that says what to do. Mail scanners (Safe Links
 *   and the like) open every link in a message before the person does; when a GET spent the token, an
 *   attacker could put a victim's address on their own profile, ask for a link, and the victim's scanner
 *   confirmed it, after which staff replies to the attacker's conversation went to the victim's inbox.
 *   Scanners follow links; they do not press buttons.
 * - `POST` spends the token (one conditional `UpdateItem`, in `confirmEmail`): 200 `{"status": "confirmed",
 *   "email"}`; 404 `confirmation_not_found`, 410 `confirmation_used` or `confirmation_expired`, 409
 *   `email_changed` as JSON errors. The widget page POSTs it when the person presses "Confirm".
 *
 * One function serves both routes (the route table gives a handler the union of its routes' access): a
 * function of its own for the redirect would cost the stack about seven more resources, near CloudFormation's
 * 500, for a GET that reads nothing.
 */
export const handler = publicHttpHandler(async (request) => {
  const token = request.event.pathParameters?.token ?? '';
  if (request.event.requestContext.http.method !== 'POST') {
    const deps = confirmationDeps();
    const path = `${EMAIL_CONFIRMATION_PATH}/${encodeURIComponent(token)}`;
    return {
      status: 303,
      body: {
        status: 'confirm',
        message: 'Open the widget page and press Confirm, or POST to this path: a GET confirms nothing',
        confirm: { method: 'POST', path },
      },
      headers: {
        location: `${deps.settings.publicUrl ?? ''}/widget.html?email_confirmation_token=${encodeURIComponent(token)}`,
      },
    };
  }
  const { email } = await confirmEmail(confirmationDeps(), token);
  return json(200, { status: 'confirmed', email });
});
