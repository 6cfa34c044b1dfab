import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { Message, Room } from '../../client/wire.js';
import type { ChatApp, Conversation } from '../shared/chat.js';
import { ConfirmButton, MessageList, relativeTime } from '../shared/ui.js';
import { AnswerGuard, AssignmentControls, staffSenderName } from './assignment.js';
import type { CannedReplies } from './canned-replies.js';
import { closerName } from './closed-rooms.js';
import { customerShown } from './customer.js';
import { focusComposer } from './focus.js';
import { NoteRow, type StaffNotes } from './notes.js';
import { StaffComposer } from './staff-composer.js';

/**
 * The room on screen in the console: its header (who has it, join, leave, close), the conversation with its
 * internal notes among the messages, the composer, and the customer beside it.
 */
export function RoomView({
  app,
  conversation,
  notes,
  canned,
  agentName,
}: {
  app: ChatApp;
  conversation: Conversation;
  notes: StaffNotes;
  canned: CannedReplies;
  agentName: string;
}) {
  const room = conversation.room.value;
  useEffect(() => void notes.load(room.id), [room.id]);
  const roomNotes = notes.of(room.id).value;
  // Notes older than the history on screen wait until the messages around them are loaded.
  const since = conversation.hasOlder.value ? (conversation.messages.value[0]?.created_at ?? '') : '';
  const shownNotes = roomNotes.filter((note) => note.created_at >= since);
  const busy = useSignal(false);
  const error = useSignal('');
  const member = room.staff_ids.includes(app.me.userId);

  const act = async (action: (roomId: string) => Promise<Room>) => {
    busy.value = true;
    error.value = '';
    try {
      // The answer can be older than what the socket delivered meanwhile: keep the newest activity.
      conversation.update(await action(room.id));
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };

  // A room has one customer: whatever id they wrote under (a guest who then signed in), it is them.
  const customer = customerShown(conversation);
  // The message list hands over whole messages: their time tells whether a reply was helping.
  const nameOf = (message: Pick<Message, 'sender_id' | 'sender_role'> & { readonly created_at?: string }) =>
    message.sender_role === 'customer' ? customer : staffSenderName(app, room, message);
  const staff = room.staff_ids.map((userId) => app.names.nameOf(userId));

  return (
    <section class="room" aria-label={`Conversation: ${room.subject || 'No subject'}`}>
      <header class="room-header">
        <div>
          <h2>{room.subject || 'No subject'}</h2>
          <p class="muted small">
            {customer} · {room.room_type} · opened {relativeTime(room.created_at)}
            {staff.length > 0 ? ` · with ${staff.join(', ')}` : ' · nobody has joined yet'}
          </p>
        </div>
        <div class="actions">
          <AssignmentControls app={app} conversation={conversation} />
          {room.status === 'open' ? (
            <>
              {member ? (
                <button
                  type="button"
                  class="ghost"
                  disabled={busy.value}
                  onClick={() => act((id) => app.http.leaveRoom(id))}
                >
                  Leave
                </button>
              ) : (
                <button
                  type="button"
                  class="primary"
                  disabled={busy.value}
                  onClick={() =>
                    act((id) => app.http.joinRoom(id)).then(() => {
                      if (!error.value) focusComposer(room.id);
                    })
                  }
                >
                  Join
                </button>
              )}
              <ConfirmButton
                label="Close"
                question="Close for good?"
                confirmLabel="Yes, close"
                cancelLabel="Keep open"
                legend="Confirm closing"
                disabled={busy.value}
                onConfirm={() => act((id) => app.http.closeRoom(id))}
              />
            </>
          ) : (
            <span class="tag closed">Closed</span>
          )}
        </div>
      </header>
      {error.value ? (
        <p class="error banner" role="alert">
          {error.value}
        </p>
      ) : null}
      {conversation.loaded.value ? (
        <MessageList
          app={app}
          conversation={conversation}
          nameOf={nameOf}
          active
          interleave={{
            items: shownNotes,
            render: (id) => {
              const note = shownNotes.find((n) => n.id === id);
              return note ? (
                <NoteRow
                  key={`note-${id}`}
                  note={note}
                  sender={note.sender_id === app.me.userId ? 'You' : nameOf(note)}
                />
              ) : null;
            },
          }}
        />
      ) : (
        <div class="messages loading muted">Loading the conversation…</div>
      )}
      {room.status === 'open' ? (
        <AnswerGuard app={app} conversation={conversation}>
          <StaffComposer
            key={room.id}
            app={app}
            conversation={conversation}
            notes={notes}
            canned={canned}
            agentName={agentName}
            placeholder={member ? `Reply to ${customer}` : `Reply to ${customer} (sending joins the room)`}
          />
        </AnswerGuard>
      ) : (
        <p class="closed-note">
          This conversation is closed.
          {room.closed_at ? ` Closed ${relativeTime(room.closed_at)} by ${closerName(app, room)}.` : ''}
        </p>
      )}
    </section>
  );
}
