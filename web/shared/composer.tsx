import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import {
  AttachButton,
  AttachmentTray,
  filesOf,
  useAttachmentDraft,
  useDropTarget,
} from './attachments-ui.js';
import type { ChatApp, Conversation } from './chat.js';
import { readDraft, writeDraft } from './drafts.js';

/**
 * The composer, the widget's and (with its addon: notes, canned replies) the console's: text, attachments,
 * its draft kept across a reload, Enter to send.
 */

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
