import { signal, useSignal, useSignalEffect } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { ConnectionState } from '../../client/socket.js';
import type { Message, Role } from '../../client/wire.js';
import type { Auth, Session } from '../auth.js';
import {
  AttachButton,
  AttachmentTray,
  filesOf,
  MessageAttachments,
  useAttachmentDraft,
  useDropTarget,
} from './attachments-ui.js';
import type { ChatApp, Conversation } from './chat.js';
import { readDraft, writeDraft } from './drafts.js';
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

// -----------------------------------------------------------------------------------------------------------

export interface ComposerProps {
  readonly app: ChatApp;
  readonly conversation: Conversation;
  readonly disabled?: boolean;
  readonly placeholder: string;
  /** What the console adds (a note mode, `/shortcut` completion): web/console/staff-composer.tsx. */
  readonly addon?: ComposerAddon;
}

/** Hooks into the composer for the console, each optional; the widget's composer has none. */
export interface ComposerAddon {
  /** Sends `content` some other way (an internal note); true when it did, so no message is sent. */
  readonly send?: (content: string) => boolean;
  /** Sees a key first (a completion list); true when it took it. `replace` sets the text. */
  readonly keyDown?: (event: KeyboardEvent, text: string, replace: (text: string) => void) => boolean;
  /** Hears every change of the text. */
  readonly input?: (text: string) => void;
  /** No typing frames while true: the customer must not see "typing…" for a note. */
  readonly quiet?: boolean;
  /**
   * No draft kept while true (a note): after a reload the composer is back to replies, and a kept note would
   * come back as a reply to the customer, one Enter away. @default false
   */
  readonly noDraft?: boolean;
  /** Extra attributes of the textarea (a combobox's ARIA). */
  readonly textarea?: Readonly<Record<string, string | boolean | undefined>>;
  /** Shown above the textarea (a completion list). */
  readonly above?: ComponentChildren;
  /** Shown beside the send button (a note toggle). */
  readonly actions?: ComponentChildren;
  /** The send button's label. @default 'Send' */
  readonly sendLabel?: string;
  /** No attachments (an internal note carries text alone): no attach button, and files are not sent. */
  readonly noFiles?: boolean;
}

/** Enter sends, Shift+Enter starts a new line; keystrokes feed the typing indicator. */
export function Composer({ app, conversation, disabled = false, placeholder, addon }: ComposerProps) {
  const roomId = conversation.room.value.id;
  const userId = app.me.userId;
  // What was being written here survives a reload of the page (this tab only).
  const text = useSignal(readDraft(userId, roomId));
  const input = useRef<HTMLTextAreaElement>(null);
  const length = [...text.value].length;
  const tooLong = length > app.maxMessageLength;
  const files = useAttachmentDraft(app, conversation);
  const drop = useDropTarget(files, disabled);
  const withFiles = !addon?.noFiles && files.items.value.length > 0;
  const keepDraft = (value: string) => writeDraft(userId, roomId, addon?.noDraft ? '' : value);

  const send = () => {
    const content = text.value;
    if ((!content.trim() && !withFiles) || tooLong || disabled) return;
    const done = () => {
      text.value = '';
      addon?.input?.('');
      writeDraft(userId, roomId, '');
      input.current?.focus();
    };
    // Files go over HTTP, citing their uploads; the text alone goes the usual way, over the socket (or the
    // addon's way: a note).
    if (!withFiles) {
      if (!addon?.send?.(content)) app.send(conversation, content);
      done();
    } else if (files.ready.value) {
      void files.send(content).then((sent) => sent && done());
    }
  };

  return (
    <form
      class={`composer${drop.over.value ? ' dropping' : ''}`}
      {...drop.handlers}
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {addon?.above}
      <AttachmentTray draft={files} />
      <label class="visually-hidden" for={`composer-${roomId}`}>
        Message
      </label>
      <textarea
        {...addon?.textarea}
        id={`composer-${roomId}`}
        ref={input}
        rows={2}
        placeholder={placeholder}
        disabled={disabled}
        value={text.value}
        aria-describedby={`composer-help-${roomId}`}
        onInput={(event) => {
          text.value = event.currentTarget.value;
          keepDraft(text.value);
          addon?.input?.(text.value);
          if (text.value && !addon?.quiet) app.socket.typing(roomId);
          else app.socket.stopTyping(roomId);
        }}
        onKeyDown={(event) => {
          const replace = (next: string) => {
            text.value = next;
            keepDraft(next);
            addon?.input?.(next);
          };
          if (addon?.keyDown?.(event, text.value, replace)) return;
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            send();
          }
        }}
        onBlur={() => app.socket.stopTyping(roomId)}
        onPaste={(event) => {
          const pasted = filesOf(event.clipboardData);
          if (pasted.length === 0 || disabled) return;
          event.preventDefault();
          files.add(pasted);
        }}
      />
      <div class="composer-actions">
        <span id={`composer-help-${roomId}`} class={`hint${tooLong ? ' error' : ''}`}>
          {tooLong
            ? `${length} / ${app.maxMessageLength} characters`
            : 'Enter to send, Shift+Enter for a new line'}
        </span>
        {addon?.actions}
        <span class="composer-buttons">
          {addon?.noFiles ? null : <AttachButton draft={files} disabled={disabled} id={`attach-${roomId}`} />}
          <button
            type="submit"
            class="primary"
            disabled={disabled || tooLong || (withFiles ? !files.ready.value : !text.value.trim())}
          >
            {addon?.sendLabel ?? 'Send'}
          </button>
        </span>
      </div>
    </form>
  );
}
