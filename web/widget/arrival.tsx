import { ChatApiError } from '../../client/errors.js';
import type { Room } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';

/**
 * What the link that opened the widget page asks for: the links in our emails (docs/email.md) are
 * `widget.html?room=<id>` (a staff reply: open that conversation) and `widget.html?email_confirmation_token=
 * <token>`, where a confirmation link's GET sends the browser (it spends nothing: the page asks, and its
 * Confirm button spends the token, confirm-email.tsx).
 */
export interface Arrival {
  /** The conversation to open, if the session in this browser can see it. */
  readonly roomId: string | null;
  /** The confirmation link's token, to be spent only when the person presses Confirm. */
  readonly confirmationToken: string | null;
}

export const NO_ARRIVAL: Arrival = { roomId: null, confirmationToken: null };

const PARAMETERS = ['room', 'email_confirmation_token'];

/** A room id as the server makes them (a UUID), loosely: anything else is no room of ours. */
const ROOM_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Reads the link's parameters once and takes them off the address bar (`history.replaceState`, no reload),
 * so the question shows once and a reload, a bookmark or "Start a new chat" does not come back to the link's
 * room. Standalone page only: the embedded widget's frame URL is embed.js's own (`?embed=1&host=…`) and
 * carries neither, whatever the host page's address says.
 */
export function takeArrival(): Arrival {
  const url = new URL(location.href);
  const room = url.searchParams.get('room');
  const arrival: Arrival = {
    roomId: room !== null && ROOM_ID.test(room) ? room : null,
    confirmationToken: url.searchParams.get('email_confirmation_token'),
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
