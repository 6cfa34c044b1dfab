import { signal, useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { ChatApiError } from '../../client/errors.js';
import type { Message, Room } from '../../client/wire.js';
import type { ChatApp, Conversation } from '../shared/chat.js';
import type { NameBook } from '../shared/names.js';
import { clock } from '../shared/ui.js';

/**
 * Assignment in the console (docs/assignment.md): who has a room, taking it, giving it to a colleague,
 * unassigning it, and a question before anyone answers a room that someone else has.
 */

/**
 * Who has the room; null when nobody does. A room from a server older than assignment has no `assignee_id`
 * at all (a summary from a function not yet updated, during a deploy): nobody has it.
 */
export const assigneeOf = (room: Pick<Room, 'assignee_id'>): string | null => room.assignee_id ?? null;

/** Since when an unassigned room has waited for someone to take it: since it was opened or last unassigned. */
export function waitingSince(room: Pick<Room, 'created_at' | 'assigned_at'>): string {
  return room.assigned_at ?? room.created_at;
}

/** Longest-waiting first: for the queue's "Unassigned". */
export const byLongestWaiting = (a: Room, b: Room) => waitingSince(a).localeCompare(waitingSince(b));

/** "4 min", "2 h 5 min": how long since `iso`, for "waiting 4 min". */
export function waited(iso: string, now = clock.value): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/**
 * The queue's word on who has a room: "Yours", a colleague's name, or, while nobody has it, how long it has
 * waited ("Waiting 4 min").
 */
export function AssigneeTag({ room, me, names }: { room: Room; me: string; names: NameBook }) {
  const assignee = assigneeOf(room);
  if (room.status !== 'open') return null;
  if (assignee === null) {
    const since = waitingSince(room);
    return (
      <span class="tag waiting" data-testid="queue-assignee">
        Waiting <time dateTime={since}>{waited(since)}</time>
      </span>
    );
  }
  if (assignee === me)
    return (
      <span class="tag mine" data-testid="queue-assignee">
        Yours
      </span>
    );
  return (
    <span class="tag assignee" data-testid="queue-assignee">
      Assigned to {names.nameOf(assignee)}
    </span>
  );
}

/**
 * How the console names the sender of a staff message: a colleague who is not the room's assignee is
 * marked as helping, so the assignee sees at a glance that someone else replied. Only since the assignee got
 * the room (`assigned_at`): who had it before is not known here, and an agent who answered and then transferred
 * the room answered as its assignee, not as a helper. Without `created_at` (someone typing): now.
 */
export function staffSenderName(
  app: Pick<ChatApp, 'names'>,
  room: Pick<Room, 'assignee_id' | 'assigned_at'>,
  message: Pick<Message, 'sender_id'> & { readonly created_at?: string },
): string {
  const name = app.names.nameOf(message.sender_id);
  const assignee = assigneeOf(room);
  const sinceAssigned =
    message.created_at === undefined ||
    !room.assigned_at ||
    Date.parse(message.created_at) >= Date.parse(room.assigned_at);
  if (assignee !== null && message.sender_id !== assignee && sinceAssigned) return `${name} (helping)`;
  return `${name} (staff)`;
}

/**
 * Who to offer a room to: the staff online and the staff in the room, the current assignee left out, the
 * signed-in person first (as "me").
 */
function colleagues(app: ChatApp, room: Room): string[] {
  const ids = new Set([...app.onlineStaff.value, ...room.staff_ids]);
  ids.delete(app.me.userId);
  const assignee = assigneeOf(room);
  if (assignee !== null) ids.delete(assignee);
  return [...ids].sort((a, b) => app.names.nameOf(a).localeCompare(app.names.nameOf(b)));
}

/**
 * The room header's assignment: who has the room, and Take / Unassign / Give to a colleague. Each change
 * says who the console believes has the room; when someone else got there first, the room is read again and
 * the answer says who has it now.
 */
export function AssignmentControls({ app, conversation }: { app: ChatApp; conversation: Conversation }) {
  const room = conversation.room.value;
  const busy = useSignal(false);
  const notice = useSignal('');
  const target = useSignal('');
  const me = app.me.userId;
  if (room.status !== 'open') return null;
  const assignee = assigneeOf(room);

  const change = async (staffId: string | null) => {
    busy.value = true;
    notice.value = '';
    try {
      conversation.update(await app.http.assignRoom(room.id, staffId, assignee));
      target.value = '';
    } catch (error) {
      if (error instanceof ChatApiError && error.code === 'already_assigned') {
        const fresh = await app.http.getRoom(room.id).catch(() => undefined);
        if (fresh) {
          const { members, customer: _customer, ...current } = fresh;
          app.names.learn(members.map((member) => [member.user_id, member.name]));
          conversation.update(current);
          const now = assigneeOf(current);
          notice.value =
            now === null
              ? 'Nobody has this room any more. Nothing was changed.'
              : `${app.names.nameOf(now)} has this room now. Nothing was changed.`;
        } else notice.value = error.message;
      } else {
        notice.value = error instanceof Error ? error.message : String(error);
      }
    } finally {
      busy.value = false;
    }
  };

  const others = colleagues(app, room);
  return (
    <div class="assignment" data-testid="assignment">
      <span class="assignee-line" data-testid="assignee">
        {assignee === null ? (
          'Unassigned'
        ) : assignee === me ? (
          <>
            Assigned to <strong>you</strong>
          </>
        ) : (
          <>
            Assigned to <strong>{app.names.nameOf(assignee)}</strong>
          </>
        )}
      </span>
      {assignee !== me ? (
        <button
          type="button"
          // Taking a room nobody has is the next thing to do; taking over a colleague's is not.
          class={assignee === null ? 'primary' : 'ghost'}
          disabled={busy.value}
          onClick={() => change(me)}
        >
          {assignee === null ? 'Take' : 'Take over'}
        </button>
      ) : (
        <button type="button" class="ghost" disabled={busy.value} onClick={() => change(null)}>
          Unassign
        </button>
      )}
      {others.length > 0 ? (
        <form
          class="assign-to"
          onSubmit={(event) => {
            event.preventDefault();
            if (target.value) void change(target.value);
          }}
        >
          <label class="visually-hidden" for={`assign-to-${room.id}`}>
            {assignee === me ? 'Transfer to' : 'Assign to'}
          </label>
          <select
            id={`assign-to-${room.id}`}
            value={target.value}
            onChange={(event) => {
              target.value = event.currentTarget.value;
            }}
          >
            <option value="">{assignee === me ? 'Transfer to…' : 'Assign to…'}</option>
            {others.map((userId) => (
              <option key={userId} value={userId}>
                {app.names.nameOf(userId)}
              </option>
            ))}
          </select>
          <button type="submit" class="ghost" disabled={busy.value || !target.value}>
            {assignee === me ? 'Transfer' : 'Assign'}
          </button>
        </form>
      ) : null}
      {notice.value ? (
        <p class="assign-notice" role="alert">
          {notice.value}
        </p>
      ) : null}
    </div>
  );
}

/** Rooms whose assignee's colleague said "reply anyway", for this page's life: asked once per room. */
const answeringAnyway = signal<ReadonlySet<string>>(new Set());

/**
 * Stands in front of the composer of a room that someone else has: the console asks once per room before
 * anyone answers it, so two people do not answer one customer by accident (they may still help: then their
 * replies are marked as helping).
 */
export function AnswerGuard({
  app,
  conversation,
  children,
}: {
  app: ChatApp;
  conversation: Conversation;
  children: ComponentChildren;
}) {
  const room = conversation.room.value;
  const assignee = assigneeOf(room);
  if (assignee === null || assignee === app.me.userId || answeringAnyway.value.has(room.id))
    return <>{children}</>;
  const name = app.names.nameOf(assignee);
  return (
    <div class="answer-guard" data-testid="answer-guard">
      <p>
        <strong>{name}</strong> is answering this conversation. Reply anyway? Your replies will show as
        helping.
      </p>
      <button
        type="button"
        class="ghost"
        onClick={() => {
          answeringAnyway.value = new Set([...answeringAnyway.value, room.id]);
          // The composer takes the place of this question: the next thing to do is to write.
          requestAnimationFrame(() => document.getElementById(`composer-${room.id}`)?.focus());
        }}
      >
        Reply anyway
      </button>
    </div>
  );
}
