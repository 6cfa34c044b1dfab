import { useSignal } from '@preact/signals';
import { type CannedReply, fillPlaceholders } from '../../client/staff-http.js';
import type { ChatApp, Conversation } from '../shared/chat.js';
import { Composer } from '../shared/composer.js';
import { writeDraft } from '../shared/drafts.js';
import type { CannedReplies } from './canned-replies.js';
import type { StaffNotes } from './notes.js';

/** `/shortcut` at the start of the text or after a space, up to the caret's end of the text. */
const SLASH = /(^|\s)\/([a-z0-9_-]*)$/i;

export interface StaffComposerProps {
  readonly app: ChatApp;
  readonly conversation: Conversation;
  readonly notes: StaffNotes;
  readonly canned: CannedReplies;
  readonly placeholder: string;
  /** Who `{agent_name}` is. */
  readonly agentName: string;
}

/**
 * The console's composer: the shared one, plus
 *
 * - a "Note" switch: on, what is written is an internal note (sent over HTTP with `visibility: internal`,
 *   shown to staff only), the composer is tinted and says so, no typing indicator reaches the customer, and
 *   no draft is kept (a reload brings the composer back to replies, where a kept note would be one Enter from
 *   the customer);
 * - `/shortcut` completion: typing `/` and the start of a canned reply's shortcut opens a list box of the
 *   matching replies (the textbox's `aria-activedescendant` names the active one: ↑/↓ move, Enter or Tab
 *   inserts, Escape closes; a polite status says how many match), and the chosen reply's
 *   text replaces the `/shortcut`, with `{customer_name}` and `{agent_name}` filled in.
 */
export function StaffComposer({
  app,
  conversation,
  notes,
  canned,
  placeholder,
  agentName,
}: StaffComposerProps) {
  const roomId = conversation.room.value.id;
  const noteMode = useSignal(false);
  const query = useSignal<string | null>(null);
  const active = useSignal(0);
  const dismissed = useSignal(false);
  const listId = `canned-options-${roomId}`;
  const matches = query.value === null || dismissed.value ? [] : canned.matching(query.value);
  const open = matches.length > 0;
  const activeIndex = Math.min(active.value, matches.length - 1);
  const error = notes.errorOf(roomId).value;

  const fill = (reply: CannedReply) => {
    const customer = conversation.customer.value;
    const name =
      conversation.customerCurrent.value && customer ? customer.name : conversation.room.value.customer_name;
    return fillPlaceholders(reply.text, { customerName: name, agentName });
  };

  const insert = (reply: CannedReply, text: string, replace: (text: string) => void) => {
    replace(text.replace(SLASH, (_, space: string) => `${space}${fill(reply)}`));
    query.value = null;
  };

  // Inserting needs the composer's text and setter, which the key handler gets; a click on an option goes
  // through the same path by a synthetic Enter on the textarea.
  const pick = (index: number) => {
    active.value = index;
    const textarea = document.getElementById(`composer-${roomId}`);
    textarea?.focus();
    textarea?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  };

  return (
    <div class={noteMode.value ? 'staff-composer note-mode' : 'staff-composer'}>
      {error ? (
        <p class="error banner" role="alert">
          {error}
        </p>
      ) : null}
      <Composer
        app={app}
        conversation={conversation}
        placeholder={noteMode.value ? 'Internal note: only staff see it' : placeholder}
        addon={{
          quiet: noteMode.value,
          noFiles: noteMode.value,
          noDraft: noteMode.value,
          sendLabel: noteMode.value ? 'Add note' : 'Send',
          send: (content) => {
            if (!noteMode.value) return false;
            notes.send(roomId, content);
            return true;
          },
          input: (text) => {
            const match = SLASH.exec(text);
            const next = match ? (match[2] ?? '') : null;
            if (next !== query.value) {
              active.value = 0;
              dismissed.value = false;
            }
            query.value = next;
          },
          keyDown: (event, text, replace) => {
            if (!open) return false;
            const chosen = matches[activeIndex];
            if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
              event.preventDefault();
              const step = event.key === 'ArrowDown' ? 1 : -1;
              active.value = (activeIndex + step + matches.length) % matches.length;
              return true;
            }
            if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey && chosen) {
              event.preventDefault();
              insert(chosen, text, replace);
              return true;
            }
            if (event.key === 'Escape') {
              event.preventDefault();
              dismissed.value = true;
              return true;
            }
            return false;
          },
          // A text box with a list of completions (ARIA's `aria-autocomplete="list"` on the textbox itself):
          // the textarea keeps its textbox role and name, which the rest of the console and its tests use.
          textarea: {
            'aria-autocomplete': 'list',
            'aria-controls': listId,
            'aria-activedescendant': open ? `${listId}-${activeIndex}` : undefined,
          },
          above: (
            <>
              <p class="visually-hidden" role="status" aria-live="polite">
                {open
                  ? `${matches.length} canned ${matches.length === 1 ? 'reply' : 'replies'}: up and down to choose, Enter to insert`
                  : ''}
              </p>
              <div
                id={listId}
                role="listbox"
                class="canned-options"
                aria-label="Canned replies"
                hidden={!open}
                data-testid="canned-options"
              >
                {matches.map((reply, index) => (
                  <div
                    key={reply.id}
                    id={`${listId}-${index}`}
                    role="option"
                    tabIndex={-1}
                    aria-selected={index === activeIndex ? 'true' : 'false'}
                    class={index === activeIndex ? 'canned-option active' : 'canned-option'}
                    onMouseDown={(event) => {
                      // Keep the focus in the textarea.
                      event.preventDefault();
                      pick(index);
                    }}
                  >
                    <code>/{reply.shortcut}</code> <span>{reply.title}</span>
                  </div>
                ))}
              </div>
            </>
          ),
          actions: (
            <label class="note-switch">
              <input
                type="checkbox"
                checked={noteMode.value}
                onChange={(event) => {
                  noteMode.value = event.currentTarget.checked;
                  if (noteMode.value) {
                    app.socket.stopTyping(roomId);
                    // What the composer holds is a note from now on: no draft of it is kept.
                    writeDraft(app.me.userId, roomId, '');
                  }
                }}
              />
              Note
              <span class="visually-hidden"> (internal, only staff see it)</span>
            </label>
          ),
        }}
      />
    </div>
  );
}
