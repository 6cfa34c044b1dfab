import { type ReadonlySignal, useSignal, useSignalEffect } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import type { Message, Profile } from '../../client/wire.js';
import { ChatApp, type Conversation } from '../shared/chat.js';
import { Composer } from '../shared/composer.js';
import type { PageProps } from '../shared/root.js';
import { ConfirmButton, ConnectionHint, MessageList } from '../shared/ui.js';
import { AnsweringLine } from './answering.js';
import { linkedRoom, NO_ARRIVAL, takeArrival } from './arrival.js';
import { EmailConfirmation } from './confirm-email.js';
import { EmailReplies } from './email-replies.js';
import { StartForm } from './start-form.js';

/** What the widget needs when it runs inside embed.js's frame on another site's page. */
export interface EmbedProps {
  /** Whether the host shows the panel: only then do arriving messages count as read. */
  readonly open: ReadonlySignal<boolean>;
  /** The host page's URL, for new rooms. */
  readonly pageUrl: ReadonlySignal<string>;
  /** Something to tell the visitor above the chat (an identity the chat could not confirm). */
  readonly notice: ReadonlySignal<string>;
  readonly onClose: () => void;
  /** The unread total, for the launcher's badge. */
  readonly onUnread: (count: number) => void;
  /** A verified person's name, as the host's identity token gave it. */
  readonly verifiedName?: string | null;
}

/**
 * How often the customer's page asks whether anyone from support is online, while it is visible. Presence
 * frames only come from staff in the customer's own rooms (a frame to every widget would grow with them);
 * the answer is shared by every widget for a few seconds (docs/operations.md, "Presence at scale"), so
 * asking often costs the table nothing per widget.
 */
const ONLINE_POLL_MS = 10_000;

export function WidgetApp({
  config,
  session,
  onSignOut,
  onExpired,
  embed,
}: PageProps & { readonly embed?: EmbedProps }) {
  const app = useMemo(() => new ChatApp({ config, session, onExpired }), []);
  const current = useSignal<Conversation | null>(null);
  const starting = useSignal(true);
  const error = useSignal('');
  const profile = useSignal<Profile | null>(null);
  const preChat = config.preChat ?? 'optional';
  // The links in our emails (`?room=`, `?email_confirmation_token=`): the standalone page's only.
  const arrival = useMemo(() => (embed ? NO_ARRIVAL : takeArrival()), []);

  useSignalEffect(() => {
    if (!embed) return;
    let unread = 0;
    for (const conversation of app.conversations.value.values()) unread += conversation.unread.value;
    embed.onUnread(unread);
  });

  useEffect(() => {
    app.start();
    // The name shown in the header (verified), the pre-chat form's fields, and where replies are emailed.
    app.http
      .getProfile()
      .then((found) => {
        profile.value = found;
      })
      .catch((e: unknown) => app.report(e));
    const linked = linkedRoom(app, arrival.roomId);
    app.http
      .listRooms({ limit: 20 })
      .then(async (page) => {
        // A returning customer sees the conversation an email linked to, else their open one, else their
        // last one, read-only, with a way to a new one.
        const shown =
          (await linked) ?? page.results.find((room) => room.status === 'open') ?? page.results[0];
        if (shown) await show(app.track(shown));
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

  // Signed in (or embedded and open) while it was loading: focus goes to the form or the composer once they
  // are there.
  useEffect(() => {
    if ((embed ? embed.open.value : true) && !starting.value) focusFirst();
  }, [starting.value]);

  const show = async (conversation: Conversation) => {
    current.value = conversation;
    await app.load(conversation);
  };

  const staffOnline = app.supportOnline.value;
  const conversation = current.value;
  const verifiedName = embed?.verifiedName ?? (profile.value?.verified ? profile.value.name : null);

  return (
    <main class={embed ? 'widget embedded' : 'widget'}>
      <header class="widget-header">
        <div>
          <h1>Customer support</h1>
          <p class="status small" data-testid="staff-status">
            <span class={`dot ${staffOnline ? 'online' : 'away'}`} aria-hidden="true" />
            {staffOnline ? 'We are online' : 'We are away: leave a message and we will reply here'}
          </p>
          {verifiedName ? (
            <p class="status small" data-testid="identity">
              Signed in as {verifiedName} <span class="verified">(verified)</span>
            </p>
          ) : null}
        </div>
        {embed ? (
          <button type="button" class="ghost on-dark" aria-label="Close chat" onClick={embed.onClose}>
            Close
          </button>
        ) : (
          <button type="button" class="ghost on-dark" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      {embed?.notice.value ? (
        <p class="notice" role="alert" data-testid="embed-notice">
          {embed.notice.value}
        </p>
      ) : null}
      <EmailConfirmation
        app={app}
        token={arrival.confirmationToken}
        onConfirmed={() => {
          app.http
            .getProfile()
            .then((found) => {
              profile.value = found;
            })
            .catch((e: unknown) => app.report(e));
        }}
      />
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
          active={embed ? embed.open.value : true}
          profile={profile.value}
          onProfile={(updated) => {
            profile.value = updated;
          }}
          onNew={() => {
            app.untrack(conversation.room.value.id);
            current.value = null;
          }}
        />
      ) : (
        <StartForm
          app={app}
          preChat={preChat}
          profile={profile.value}
          onProfile={(updated) => {
            profile.value = updated;
          }}
          {...(embed ? { pageUrl: embed.pageUrl.value } : {})}
          onStarted={(c) => void show(c).catch((e: unknown) => app.report(e))}
        />
      )}
    </main>
  );
}

/** Moves focus into the chat: the composer, else the first field, else "Start a new chat", else the close button. */
export function focusFirst(): void {
  const target =
    // A confirmation link's question (confirm-email.tsx) is what the person came for.
    document.querySelector<HTMLElement>('.widget [data-testid="email-confirmation"] button') ??
    document.querySelector<HTMLElement>('.widget textarea') ??
    document.querySelector<HTMLElement>('.widget form input, .widget form select') ??
    document.querySelector<HTMLElement>('.widget .closed-note button') ??
    document.querySelector<HTMLElement>('.widget button');
  target?.focus();
}

function ChatView({
  app,
  conversation,
  active,
  profile,
  onProfile,
  onNew,
}: {
  app: ChatApp;
  conversation: Conversation;
  active: boolean;
  profile: Profile | null;
  onProfile: (profile: Profile) => void;
  onNew: () => void;
}) {
  const room = conversation.room.value;
  // Names learnt from the room's members (app.load reads them); an id only for someone without one.
  const nameOf = (message: Pick<Message, 'sender_id' | 'sender_role'>) =>
    message.sender_role === 'staff'
      ? `${app.names.nameOf(message.sender_id)} (support)`
      : app.names.nameOf(message.sender_id);

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
          <AnsweringLine app={app} room={room} />
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
      {room.status === 'open' ? <EmailReplies app={app} profile={profile} onProfile={onProfile} /> : null}
      {conversation.loaded.value ? (
        <MessageList app={app} conversation={conversation} nameOf={nameOf} active={active} />
      ) : (
        <div class="messages loading muted">Loading…</div>
      )}
      {room.status === 'open' ? (
        <Composer key={room.id} app={app} conversation={conversation} placeholder="Write a message" />
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
