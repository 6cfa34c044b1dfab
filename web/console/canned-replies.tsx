import { signal, useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import {
  type CannedReply,
  type CannedReplyInput,
  createCannedReply,
  deleteCannedReply,
  listCannedReplies,
  updateCannedReply,
} from '../../client/staff-http.js';
import type { ChatApp } from '../shared/chat.js';
import { ConfirmButton } from '../shared/ui.js';

/**
 * The team's canned replies, as the console keeps them: all of them (the server bounds their number), read
 * once at start and after every change made here, for the management panel and the composer's `/shortcut`
 * completion alike.
 */
export class CannedReplies {
  readonly replies = signal<readonly CannedReply[]>([]);
  readonly loaded = signal(false);

  constructor(private readonly app: ChatApp) {}

  async load(): Promise<void> {
    try {
      this.replies.value = (await listCannedReplies(this.app.http)).results;
      this.loaded.value = true;
    } catch (error) {
      this.app.report(error);
    }
  }

  /** Creates a reply (`id` absent) or replaces one; rejects with the server's error (a taken shortcut: 409). */
  async save(input: CannedReplyInput, id?: string): Promise<CannedReply> {
    const saved =
      id === undefined
        ? await createCannedReply(this.app.http, input)
        : await updateCannedReply(this.app.http, id, input);
    this.replies.value = [...this.replies.value.filter((reply) => reply.id !== saved.id), saved].sort(
      (a, b) => a.shortcut.localeCompare(b.shortcut),
    );
    return saved;
  }

  async remove(id: string): Promise<void> {
    await deleteCannedReply(this.app.http, id);
    this.replies.value = this.replies.value.filter((reply) => reply.id !== id);
  }

  /** Replies whose shortcut starts with `query` (then those whose title contains it), at most `max`. */
  matching(query: string, max = 8): CannedReply[] {
    const q = query.toLowerCase();
    const all = this.replies.value;
    const byShortcut = all.filter((reply) => reply.shortcut.startsWith(q));
    const byTitle = all.filter(
      (reply) => !reply.shortcut.startsWith(q) && reply.title.toLowerCase().includes(q),
    );
    return [...byShortcut, ...byTitle].slice(0, max);
  }
}

const EMPTY: CannedReplyInput = { title: '', shortcut: '', text: '' };

/**
 * The page where staff manage the team's canned replies: the list, and one form that adds a reply or edits
 * the one picked. Placeholders are explained where the text is written.
 */
export function CannedRepliesPanel({ canned, onClose }: { canned: CannedReplies; onClose: () => void }) {
  const editing = useSignal<string | null>(null);
  const form = useSignal<CannedReplyInput>(EMPTY);
  const error = useSignal('');
  const busy = useSignal(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
    if (!canned.loaded.value) void canned.load();
  }, []);

  const edit = (reply: CannedReply | null) => {
    editing.value = reply?.id ?? null;
    form.value = reply ? { title: reply.title, shortcut: reply.shortcut, text: reply.text } : EMPTY;
    error.value = '';
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    busy.value = true;
    error.value = '';
    try {
      await canned.save(form.value, editing.value ?? undefined);
      edit(null);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };

  const field = (name: keyof CannedReplyInput) => ({
    value: form.value[name],
    onInput: (event: Event) => {
      form.value = { ...form.value, [name]: (event.currentTarget as HTMLInputElement).value };
    },
  });

  return (
    <section class="canned-panel" aria-labelledby="canned-title" data-testid="canned-panel">
      <header class="room-header">
        <h2 id="canned-title" tabIndex={-1} ref={heading}>
          Canned replies
        </h2>
        <button type="button" class="ghost" onClick={onClose}>
          Back to the conversation
        </button>
      </header>
      <p class="muted small">
        Saved replies for the whole team. Type <kbd>/</kbd> and a shortcut in a reply to insert one.
      </p>
      {canned.replies.value.length === 0 && canned.loaded.value ? (
        <p class="empty muted">No canned replies yet.</p>
      ) : (
        <ul class="canned-list" aria-label="Canned replies">
          {canned.replies.value.map((reply) => (
            <li key={reply.id} class="canned-item" data-shortcut={reply.shortcut}>
              <div>
                <strong>{reply.title}</strong> <code>/{reply.shortcut}</code>
                <p class="muted small canned-text">{reply.text}</p>
              </div>
              <div class="actions">
                <button type="button" class="ghost" onClick={() => edit(reply)}>
                  Edit<span class="visually-hidden"> {reply.title}</span>
                </button>
                <ConfirmButton
                  label="Delete"
                  question="Delete for the whole team?"
                  confirmLabel="Yes, delete"
                  cancelLabel="Keep it"
                  legend={`Confirm deleting ${reply.title}`}
                  onConfirm={async () => {
                    try {
                      await canned.remove(reply.id);
                      if (editing.value === reply.id) edit(null);
                    } catch (e) {
                      error.value = e instanceof Error ? e.message : String(e);
                    }
                  }}
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      <form class="card canned-form" onSubmit={submit} aria-labelledby="canned-form-title">
        <h3 id="canned-form-title">{editing.value ? 'Edit the reply' : 'New reply'}</h3>
        <label class="field">
          <span>Title</span>
          <input name="title" required maxLength={80} {...field('title')} />
        </label>
        <label class="field">
          <span>Shortcut</span>
          <input
            name="shortcut"
            required
            pattern="/?[A-Za-z0-9][A-Za-z0-9_\-]{0,31}"
            title="1 to 32 letters, digits, - or _"
            {...field('shortcut')}
          />
        </label>
        <label class="field">
          <span>Text</span>
          <textarea name="text" required rows={4} aria-describedby="canned-placeholders" {...field('text')} />
        </label>
        <p id="canned-placeholders" class="hint">
          <code>{'{customer_name}'}</code> and <code>{'{agent_name}'}</code> are replaced by the customer's
          and your name when the reply is inserted.
        </p>
        {error.value ? (
          <p class="error" role="alert">
            {error.value}
          </p>
        ) : null}
        <div class="actions">
          {editing.value ? (
            <button type="button" class="ghost" onClick={() => edit(null)}>
              Cancel
            </button>
          ) : null}
          <button type="submit" class="primary" disabled={busy.value}>
            {editing.value ? 'Save changes' : 'Add reply'}
          </button>
        </div>
      </form>
    </section>
  );
}
