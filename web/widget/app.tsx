import { useSignal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import type { Message } from '../../client/wire.js';
import { ChatApp, type Conversation } from '../shared/chat.js';
import type { PageProps } from '../shared/root.js';
import { Composer, ConfirmButton, ConnectionHint, MessageList } from '../shared/ui.js';

const ROOM_TYPES = [
  { value: 'general', label: 'General question' },
  { value: 'orders', label: 'An order' },
  { value: 'billing', label: 'Billing and payments' },
  { value: 'technical', label: 'Technical problem' },
] as const;

/**
 * How often the customer's page asks whether anyone from support is online, while it is visible. Presence
 * frames only come from staff in the customer's own rooms (a frame to every widget would grow with them);
 * the answer is shared by every widget for a few seconds (docs/operations.md, "Presence at scale"), so
 * asking often costs the table nothing per widget.
 */
const ONLINE_POLL_MS = 10_000;

export function WidgetApp({ config, session, onSignOut, onExpired }: PageProps) {
  const app = useMemo(() => new ChatApp({ config, session, onExpired }), []);
  const current = useSignal<Conversation | null>(null);
  const starting = useSignal(true);
  const error = useSignal('');

  useEffect(() => {
    app.start();
    app.http
      .listRooms({ limit: 20 })
      .then(async (page) => {
        const open = page.results.find((room) => room.status === 'open');
        if (open) await show(app.track(open));
      })
      .catch((e: unknown) => {
        app.report(e);
        error.value = 'We could not load your conversations. Please try again in a moment.';
      })
      .finally(() => {
        starting.value = false;
      });
    const poll = setInterval(() => {
      if (document.visibilityState === 'visible') void app.refreshOnlineStaff();
    }, ONLINE_POLL_MS);
    return () => {
      clearInterval(poll);
      app.stop();
    };
  }, []);

  const show = async (conversation: Conversation) => {
    current.value = conversation;
    await app.load(conversation);
  };

  const staffOnline = app.supportOnline.value;
  const conversation = current.value;

  return (
    <div class="widget">
      <header class="widget-header">
        <div>
          <h1>Customer support</h1>
          <p class="status small" data-testid="staff-status">
            <span class={`dot ${staffOnline ? 'online' : 'away'}`} aria-hidden="true" />
            {staffOnline ? 'We are online' : 'We are away: leave a message and we will reply here'}
          </p>
        </div>
        <button type="button" class="ghost on-dark" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <ConnectionHint state={app.connection.value} />
      {error.value ? (
        <p class="error banner" role="alert">
          {error.value}
        </p>
      ) : null}
      {starting.value ? (
        <p class="muted padded">Loading…</p>
      ) : conversation ? (
        <ChatView
          app={app}
          conversation={conversation}
          onNew={() => {
            app.untrack(conversation.room.value.id);
            current.value = null;
          }}
        />
      ) : (
        <StartForm app={app} onStarted={(c) => void show(c).catch((e: unknown) => app.report(e))} />
      )}
    </div>
  );
}

function StartForm({ app, onStarted }: { app: ChatApp; onStarted: (conversation: Conversation) => void }) {
  const roomType = useSignal<string>('general');
  const subject = useSignal('');
  const busy = useSignal(false);
  const error = useSignal('');
  const submit = async (event: Event) => {
    event.preventDefault();
    busy.value = true;
    error.value = '';
    try {
      const room = await app.http.createRoom({ room_type: roomType.value, subject: subject.value.trim() });
      onStarted(app.track(room));
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };
  return (
    <form class="start padded" onSubmit={submit} aria-labelledby="start-title">
      <h2 id="start-title">How can we help?</h2>
      <label class="field">
        <span>Topic</span>
        <select
          name="room_type"
          value={roomType.value}
          onChange={(e) => {
            roomType.value = e.currentTarget.value;
          }}
        >
          {ROOM_TYPES.map((type) => (
            <option key={type.value} value={type.value}>
              {type.label}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Subject</span>
        <input
          name="subject"
          maxLength={200}
          placeholder="e.g. Where is my parcel?"
          value={subject.value}
          onInput={(e) => {
            subject.value = e.currentTarget.value;
          }}
        />
      </label>
      {error.value ? (
        <p class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={busy.value}>
        {busy.value ? 'Starting…' : 'Start chat'}
      </button>
    </form>
  );
}

function ChatView({
  app,
  conversation,
  onNew,
}: {
  app: ChatApp;
  conversation: Conversation;
  onNew: () => void;
}) {
  const room = conversation.room.value;
  const nameOf = (message: Pick<Message, 'sender_id' | 'sender_role'>) =>
    message.sender_role === 'staff' ? `${message.sender_id} (support)` : message.sender_id;
  const agents = room.staff_ids;

  const end = async () => {
    try {
      // The answer can be older than what the socket delivered meanwhile: keep the newest activity.
      conversation.update(await app.http.closeRoom(room.id));
    } catch (e) {
      app.report(e);
    }
  };

  return (
    <section class="chat" aria-label="Conversation with support">
      <div class="chat-header">
        <div>
          <h2>{room.subject || 'Your conversation'}</h2>
          <p class="muted small">
            {agents.length > 0
              ? `You are talking with ${agents.join(', ')}`
              : 'Waiting for someone from support to join…'}
          </p>
        </div>
        {room.status === 'open' ? (
          <ConfirmButton
            label="End chat"
            confirmLabel="End chat"
            cancelLabel="Cancel"
            legend="Confirm ending the chat"
            onConfirm={end}
          />
        ) : null}
      </div>
      {conversation.loaded.value ? (
        <MessageList app={app} conversation={conversation} nameOf={nameOf} active />
      ) : (
        <div class="messages loading muted">Loading…</div>
      )}
      {room.status === 'open' ? (
        <Composer app={app} conversation={conversation} placeholder="Write a message" />
      ) : (
        <div class="closed-note">
          <p>This chat has ended. Thank you for contacting us.</p>
          <button type="button" class="primary" onClick={onNew}>
            Start a new chat
          </button>
        </div>
      )}
    </section>
  );
}
