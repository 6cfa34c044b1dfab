import { useSignal } from '@preact/signals';
import { ChatApiError } from '../../client/errors.js';
import type { Room } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';

/**
 * What the link that opened the widget page asks for: the links in our emails (docs/email.md) are
 * `widget.html?room=<id>` (a staff reply: open that conversation) and, after a confirmation link,
 * `widget.html?email_confirmed=1` (say the address is confirmed), or `?email_confirmation=<code>` when a
 * confirmation link opened in a browser was refused (used already, expired, unknown, or for an address changed
 * since).
 */
export interface Arrival {
  /** The conversation to open, if the session in this browser can see it. */
  readonly roomId: string | null;
  readonly emailConfirmed: boolean;
  /** Why a confirmation link was refused: one of {@link REFUSALS}' codes. */
  readonly confirmationRefused: RefusalCode | null;
}

export const NO_ARRIVAL: Arrival = { roomId: null, emailConfirmed: false, confirmationRefused: null };

/** What the widget says when a confirmation link was refused, by the API's error code. */
const REFUSALS = {
  confirmation_used:
    'This confirmation link was used already. If your address is not shown as confirmed below, ask for a new link.',
  confirmation_expired: 'This confirmation link has expired. Ask for a new one with "Email me replies".',
  confirmation_not_found: 'We do not know this confirmation link. Ask for a new one with "Email me replies".',
  email_changed:
    'This link was for an address you have changed since. Ask for a link to your new address with "Email me replies".',
} as const;
type RefusalCode = keyof typeof REFUSALS;
const PARAMETERS = ['room', 'email_confirmed', 'email_confirmation'];

/** A room id as the server makes them (a UUID), loosely: anything else is no room of ours. */
const ROOM_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Reads the link's parameters once and takes them off the address bar (`history.replaceState`, no reload),
 * so the notice shows once and a reload, a bookmark or "Start a new chat" does not come back to the link's
 * room. Standalone page only: the embedded widget's frame URL is embed.js's own (`?embed=1&host=…`) and
 * carries neither, whatever the host page's address says.
 */
export function takeArrival(): Arrival {
  const url = new URL(location.href);
  const room = url.searchParams.get('room');
  const refused = url.searchParams.get('email_confirmation') ?? '';
  const arrival: Arrival = {
    roomId: room !== null && ROOM_ID.test(room) ? room : null,
    emailConfirmed: url.searchParams.get('email_confirmed') === '1',
    confirmationRefused: Object.hasOwn(REFUSALS, refused) ? (refused as RefusalCode) : null,
  };
  if (!PARAMETERS.some((name) => url.searchParams.has(name))) return arrival;
  for (const name of PARAMETERS) url.searchParams.delete(name);
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return arrival;
}

/**
 * The linked room, if this session may see it (its customer's, or a guest's it became); null otherwise
 * (another person's room, one that does not exist: 404 / 403), and then the widget starts as usual. Never
 * rejects: any other failure is reported and the usual start follows too.
 */
export async function linkedRoom(app: ChatApp, roomId: string | null): Promise<Room | null> {
  if (roomId === null) return null;
  try {
    const detail = await app.http.getRoom(roomId);
    app.names.learn(detail.members.map((member) => [member.user_id, member.name]));
    return detail;
  } catch (error) {
    if (!(error instanceof ChatApiError && (error.status === 404 || error.status === 403))) app.report(error);
    return null;
  }
}

/**
 * Once, after a confirmation link: "Your email address is confirmed", or why the link was refused; the person
 * may dismiss it.
 */
export function ArrivalNotice({ arrival, email }: { arrival: Arrival; email: string | null }) {
  const shown = useSignal(true);
  if (!shown.value || !(arrival.emailConfirmed || arrival.confirmationRefused)) return null;
  return (
    <div
      class="notice email-confirmed"
      role="status"
      data-testid={arrival.confirmationRefused ? 'email-confirmation-refused' : 'email-confirmed'}
    >
      <p class="small">
        {arrival.confirmationRefused
          ? REFUSALS[arrival.confirmationRefused]
          : `Thank you: your email address${email ? ` ${email}` : ''} is confirmed. When we reply while you are away, we will email you.`}
      </p>
      <button
        type="button"
        class="ghost small"
        onClick={() => {
          shown.value = false;
        }}
      >
        Dismiss
      </button>
    </div>
  );
}
