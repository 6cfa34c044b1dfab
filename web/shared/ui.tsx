import { signal, useSignal, useSignalEffect } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { ConnectionState } from '../../client/socket.js';
import type { Message, Role } from '../../client/wire.js';
import type { Auth, Session } from '../auth.js';
import { MessageAttachments } from './attachments-ui.js';
import type { ChatApp, Conversation } from './chat.js';
import { LinkedText } from './links.js';
import './accessibility.css';

// Every message is rendered as a text node (never as HTML), with line breaks kept by CSS.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

export function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

export function formatDay(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return 'Today';
  return dayFormat.format(date);
}

/** Ticks every 30 s, so "5 min ago" stays true in a tab that is open all day. */
export const clock = signal(Date.now());
if (typeof window !== 'undefined') {
  setInterval(() => {
    clock.value = Date.now();
  }, 30_000);
}

/** "just now", "5 min ago", …; reading it in a component re-renders that component as time passes. */
export function relativeTime(iso: string, now = clock.value): string {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return dayFormat.format(new Date(iso));
}

// -----------------------------------------------------------------------------------------------------------

export interface SignInProps {
  readonly auth: Auth;
  readonly title: string;
  readonly intro: string;
  readonly defaultRole: Role;
  readonly onSignedIn: (session: Session) => void;
}

/** Local: pick a user id and a role. In AWS: one button to the provider's sign-in page. */
export function SignIn({ auth, title, intro, defaultRole, onSignedIn }: SignInProps) {
  const userId = useSignal('');
  const role = useSignal<Role>(defaultRole);
  const error = useSignal('');
  const busy = useSignal(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    error.value = '';
    busy.value = true;
    try {
      const session = await auth.signIn(
        auth.kind === 'local' ? { userId: userId.value.trim(), role: role.value } : undefined,
      );
      if (session) onSignedIn(session);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };

  return (
    <main class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{title}</h1>
        <p class="muted">{intro}</p>
        {auth.kind === 'local' ? (
          <>
            <label class="field">
              <span>User id</span>
              <input
                name="user_id"
                required
                pattern="[A-Za-z0-9_.@\-]{1,64}"
                title="1 to 64 letters, digits, or . _ @ -"
                autoComplete="username"
                value={userId.value}
                onInput={(e) => {
                  userId.value = e.currentTarget.value;
                }}
              />
            </label>
            <fieldset class="field roles">
              <legend>Role</legend>
              {(['customer', 'staff'] as const).map((value) => (
                <label key={value} class="radio">
                  <input
                    type="radio"
                    name="role"
                    value={value}
                    checked={role.value === value}
                    onChange={() => {
                      role.value = value;
                    }}
                  />
                  {value === 'staff' ? 'Support staff' : 'Customer'}
                </label>
              ))}
            </fieldset>
            <p class="hint">
              Local development sign-in: tokens come from the development issuer of npm start.
            </p>
          </>
        ) : null}
        {error.value ? (
          <p class="error" role="alert">
            {error.value}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy.value}>
          {busy.value ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

// -----------------------------------------------------------------------------------------------------------

/** A quiet hint while the socket is away; it only shows if the outage lasts, so blips go unnoticed. */
export interface ConfirmButtonProps {
  /** The button shown at first. */
  readonly label: string;
  /** Said before the two choices, if anything. */
  readonly question?: string;
  readonly confirmLabel: string;
  readonly cancelLabel: string;
  /** Names the choice for screen readers. */
  readonly legend: string;
  readonly disabled?: boolean;
  readonly onConfirm: () => Promise<void>;
}

/** A button for something that cannot be undone: a first click asks, the second does it. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  cancelLabel,
  legend,
  disabled = false,
  onConfirm,
}: ConfirmButtonProps) {
  const confirming = useSignal(false);
  if (!confirming.value) {
    return (
      <button
        type="button"
        class="ghost"
        onClick={() => {
          confirming.value = true;
        }}
      >
        {label}
      </button>
    );
  }
  return (
    <fieldset class="confirm">
      <legend class="visually-hidden">{legend}</legend>
      {question ? <>{question} </> : null}
      <button
        type="button"
        class="danger"
        disabled={disabled}
        onClick={async () => {
          try {
            await onConfirm();
          } finally {
            confirming.value = false;
          }
        }}
      >
        {confirmLabel}
      </button>
      <button
        type="button"
        class="ghost"
        onClick={() => {
          confirming.value = false;
        }}
      >
        {cancelLabel}
      </button>
    </fieldset>
  );
}

export function ConnectionHint({ state }: { state: ConnectionState }) {
  const visible = useSignal(false);
  // Until the first connection opened there is nothing to reconnect: a slow start says so.
  const everOpen = useRef(false);
  if (state === 'open') everOpen.current = true;
  useEffect(() => {
    if (state === 'open' || state === 'idle') {
      visible.value = false;
      return;
    }
    const timer = setTimeout(() => {
      visible.value = true;
    }, 1_200);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <div
      class="connection-hint"
      role="status"
      aria-live="polite"
      data-visible={visible.value ? 'true' : 'false'}
    >
      {visible.value
        ? state === 'closed'
          ? 'Disconnected.'
          : everOpen.current
            ? 'Reconnecting…'
            : 'Connecting…'
        : ''}
    </div>
  );
}

// -----------------------------------------------------------------------------------------------------------

export interface MessageListProps {
  readonly app: ChatApp;
  readonly conversation: Conversation;
  /** How to call a sender. */
  readonly nameOf: (message: Pick<Message, 'sender_id' | 'sender_role'>) => string;
  /** Whether the list is on screen, so arriving messages count as read. */
  readonly active: boolean;
  /**
   * Rows to put among the messages by time (the console's internal notes, web/console/notes.tsx): each item
   * goes before the first message created after it.
   */
  readonly interleave?: {
    readonly items: readonly { readonly id: number; readonly created_at: string }[];
    readonly render: (id: number) => ComponentChildren;
  };
}

/** The conversation: history (scroll up for more), live messages, sends on their way, typing and "Seen". */
export function MessageList({ app, conversation, nameOf, active, interleave }: MessageListProps) {
  const scroller = useRef<HTMLElement>(null);
  const stickToBottom = useRef(true);
  const heightBeforeOlder = useRef<number | null>(null);
  const messages = conversation.messages.value;
  const pending = conversation.pending.value;
  const failed = conversation.failed.value;
  const seenUpTo = conversation.seenUpTo.value;
  const typing = conversation.typing.value;

  // Keep the newest message in view unless the person scrolled up to read; keep the place when older
  // messages are put above.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    if (heightBeforeOlder.current !== null) {
      element.scrollTop += element.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = null;
    } else if (stickToBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [messages, pending.length, failed.length, typing.length]);

  // Read means seen: only while the newest message is in view (not while the person reads further up).
  const markSeen = () => {
    if (stickToBottom.current) app.markSeen(conversation);
  };

  useSignalEffect(() => {
    conversation.messages.value;
    if (active) markSeen();
  });

  useEffect(() => {
    if (!active) return;
    // Shown again (an embedded chat opened): what arrived meanwhile is read now.
    markSeen();
    const onVisible = markSeen;
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('focus', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
    };
  }, [active, conversation]);

  const loadOlder = () => {
    const element = scroller.current;
    if (element) heightBeforeOlder.current = element.scrollHeight;
    app.loadOlder(conversation).catch((error: unknown) => {
      heightBeforeOlder.current = null;
      app.report(error);
    });
  };

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    if (active) markSeen();
    if (element.scrollTop < 24 && conversation.hasOlder.value && !conversation.loadingOlder.value)
      loadOlder();
  };

  const rows: ComponentChildren[] = [];
  let previousDay = '';
  let previousSender = '';
  const extras = interleave?.items ?? [];
  let extra = 0;
  for (const message of messages) {
    for (; extra < extras.length && (extras[extra]?.created_at ?? '') < message.created_at; extra++) {
      rows.push(interleave?.render(extras[extra]?.id ?? 0));
      previousSender = '';
    }
    const day = formatDay(message.created_at);
    if (day !== previousDay) {
      rows.push(
        <li key={`day-${message.id}`} class="day">
          {day}
        </li>,
      );
      previousDay = day;
      previousSender = '';
    }
    const mine = conversation.isMine(message.sender_id, message.sender_role);
    const continued = previousSender === message.sender_id;
    previousSender = message.sender_id;
    rows.push(
      <li
        key={message.id}
        class={`message ${mine ? 'mine' : 'theirs'} ${message.sender_role}${continued ? ' continued' : ''}`}
        data-message-id={message.id}
      >
        {continued ? null : (
          <div class="meta">
            <span class="sender">{mine ? 'You' : nameOf(message)}</span>
            <time dateTime={message.created_at}>{formatTime(message.created_at)}</time>
          </div>
        )}
        {message.content !== '' || !message.attachments?.length ? (
          <p class="bubble">
            <LinkedText content={message.content} />
          </p>
        ) : null}
        {message.attachments?.length ? (
          <MessageAttachments app={app} roomId={message.room_id} attachments={message.attachments} />
        ) : null}
        {mine && message.id === seenUpTo ? (
          <span class="seen" data-testid="seen">
            Seen
          </span>
        ) : null}
      </li>,
    );
  }

  return (
    <section
      class="messages"
      ref={scroller}
      onScroll={onScroll}
      // Focusable, so that the history scrolls from the keyboard too (arrow keys, Page Up): WCAG 2.1.1.
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe: scrollable-region-focusable)
      tabIndex={0}
      aria-label="Conversation history"
    >
      {conversation.hasOlder.value ? (
        <button
          type="button"
          class="link load-older"
          onClick={loadOlder}
          disabled={conversation.loadingOlder.value}
        >
          {conversation.loadingOlder.value ? 'Loading…' : 'Show earlier messages'}
        </button>
      ) : conversation.loaded.value && messages.length > 0 ? (
        <p class="start-of-history">This is the start of the conversation.</p>
      ) : null}
      <div role="log" aria-live="polite" aria-label="Messages">
        <ol class="message-list">
          {rows}
          {extras.slice(extra).map((item) => interleave?.render(item.id))}
          {pending.map((item) => (
            <li key={item.clientMessageId} class="message mine pending" aria-label="Sending">
              <p class="bubble">{item.content}</p>
              <span class="status">Sending…</span>
            </li>
          ))}
          {failed.map((item) => (
            <li key={item.clientMessageId} class="message mine failed">
              <p class="bubble">{item.content}</p>
              <span class="status" role="alert">
                Not sent. {item.reason}{' '}
                <button
                  type="button"
                  class="link"
                  onClick={() => app.send(conversation, item.content, item.clientMessageId)}
                >
                  Retry
                </button>{' '}
                <button
                  type="button"
                  class="link"
                  onClick={() => app.discard(conversation, item.clientMessageId)}
                >
                  Discard
                </button>
              </span>
            </li>
          ))}
        </ol>
      </div>
      <p class="typing" aria-live="polite" data-testid="typing">
        {typing.length > 0
          ? `${typing.map((t) => nameOf({ sender_id: t.userId, sender_role: t.role })).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`
          : ''}
      </p>
    </section>
  );
}
