import { type Signal, signal, useComputed, useSignal } from '@preact/signals';
import type { HTMLAttributes, TargetedDragEvent } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { ChatApiError } from '../../client/errors.js';
import { newClientMessageId } from '../../client/socket.js';
import type { Attachment } from '../../client/wire.js';
import {
  ALLOWED_TYPES,
  AttachmentRefused,
  attachmentUrl,
  formatSize,
  isImageType,
  prepareFile,
  uploadFile,
} from './attachments.js';
import type { ChatApp, Conversation } from './chat.js';

/** A file on its way: picked, prepared, uploading, ready to be cited, or refused. */
export interface PendingAttachment {
  readonly key: string;
  readonly name: string;
  readonly size: number;
  /** An object URL of the prepared image (its metadata already gone), for the tray. */
  readonly preview: string | null;
  readonly progress: Signal<number>;
  readonly state: Signal<'preparing' | 'uploading' | 'ready' | 'failed'>;
  readonly error: Signal<string>;
  attachment: Attachment | null;
  readonly abort: AbortController;
}

/** The composer's attachments: what is being uploaded, and the send that cites them. */
export interface AttachmentDraft {
  readonly items: Signal<readonly PendingAttachment[]>;
  /** At least one file, and every file uploaded. */
  readonly ready: Signal<boolean>;
  readonly uploading: Signal<boolean>;
  /** The last refusal, for a person to read. */
  readonly notice: Signal<string>;
  add(files: Iterable<File>): void;
  remove(key: string): void;
  /** Sends `content` with the uploaded files; resolves false (and says why) when it could not. */
  send(content: string): Promise<boolean>;
}

let counter = 0;

/** The attachment state of one composer (one room). */
export function useAttachmentDraft(app: ChatApp, conversation: Conversation): AttachmentDraft {
  const items = useSignal<readonly PendingAttachment[]>([]);
  const notice = useSignal('');
  const tick = useSignal(0);
  const ready = useComputed(() => {
    tick.value;
    return items.value.length > 0 && items.value.every((item) => item.state.value === 'ready');
  });
  const uploading = useComputed(() =>
    items.value.some((item) => item.state.value === 'uploading' || item.state.value === 'preparing'),
  );
  const roomId = conversation.room.value.id;
  useEffect(
    () => () => {
      for (const item of items.peek()) {
        item.abort.abort();
        if (item.preview) URL.revokeObjectURL(item.preview);
      }
    },
    [],
  );
  return useMemo<AttachmentDraft>(() => {
    const drop = (key: string) => {
      const item = items.peek().find((i) => i.key === key);
      item?.abort.abort();
      if (item?.preview) URL.revokeObjectURL(item.preview);
      items.value = items.peek().filter((i) => i.key !== key);
    };
    const start = async (file: File) => {
      const key = `a${++counter}`;
      const pending: PendingAttachment = {
        key,
        name: file.name || 'file',
        size: file.size,
        preview: null,
        progress: signal(0),
        state: signal('preparing'),
        error: signal(''),
        attachment: null,
        abort: new AbortController(),
      };
      items.value = [...items.peek(), pending];
      try {
        const prepared = await prepareFile(file);
        const shown: PendingAttachment = {
          ...pending,
          name: prepared.name,
          size: prepared.blob.size,
          preview: isImageType(prepared.type)
            ? URL.createObjectURL(prepared.thumbnail ?? prepared.blob)
            : null,
        };
        items.value = items.peek().map((i) => (i.key === key ? shown : i));
        shown.state.value = 'uploading';
        shown.attachment = await uploadFile(
          app.http,
          roomId,
          prepared,
          (fraction) => {
            shown.progress.value = fraction;
          },
          shown.abort.signal,
        );
        shown.state.value = 'ready';
        tick.value++;
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') return;
        const current = items.peek().find((i) => i.key === key);
        const message =
          error instanceof AttachmentRefused || error instanceof ChatApiError || error instanceof Error
            ? error.message
            : String(error);
        if (current) {
          current.state.value = 'failed';
          current.error.value = message;
        }
        notice.value = message;
      }
    };
    return {
      items,
      ready,
      uploading,
      notice,
      add(files) {
        notice.value = '';
        for (const file of files) void start(file);
      },
      remove: drop,
      async send(content) {
        const cited = items.peek().flatMap((item) => (item.attachment ? [item.attachment.id] : []));
        try {
          const { message } = await app.http.sendWithAttachments(
            roomId,
            content,
            cited,
            newClientMessageId(),
          );
          conversation.add([message]);
          for (const item of items.peek()) if (item.preview) URL.revokeObjectURL(item.preview);
          items.value = [];
          notice.value = '';
          return true;
        } catch (error) {
          notice.value = error instanceof Error ? `Not sent: ${error.message}` : 'Not sent';
          app.report(error);
          return false;
        }
      },
    };
  }, [roomId]);
}

/** The files a picked, dropped or pasted `DataTransfer` holds. */
export function filesOf(transfer: DataTransfer | null): File[] {
  if (!transfer) return [];
  return [...transfer.files];
}

/** The paper-clip button: opens the file picker (the input itself stays hidden but labelled). */
export function AttachButton({
  draft,
  disabled,
  id,
}: {
  draft: AttachmentDraft;
  disabled: boolean;
  id: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        id={id}
        type="file"
        multiple
        class="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        accept={[...ALLOWED_TYPES].join(',')}
        onChange={(event) => {
          draft.add(filesOf({ files: event.currentTarget.files } as DataTransfer));
          event.currentTarget.value = '';
        }}
      />
      <button
        type="button"
        class="ghost attach"
        disabled={disabled}
        aria-label="Attach files"
        title="Attach files (or drop or paste them here)"
        onClick={() => input.current?.click()}
      >
        {/* A drawn paperclip, not the emoji: a browser without an emoji font would show a box. */}
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path
            d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
          />
        </svg>
      </button>
    </>
  );
}

/** What is about to be sent: previews, names, sizes, progress, and a way to take each out. */
export function AttachmentTray({ draft }: { draft: AttachmentDraft }) {
  const items = draft.items.value;
  if (items.length === 0 && !draft.notice.value) return null;
  return (
    <div class="attachment-tray">
      {items.length > 0 ? (
        <ul aria-label="Files to send">
          {items.map((item) => (
            <li key={item.key} class={`pending-attachment ${item.state.value}`}>
              {item.preview ? (
                <img src={item.preview} alt="" width={48} height={48} />
              ) : (
                <span aria-hidden="true">📄</span>
              )}
              <span class="name">{item.name}</span>
              <span class="size">{formatSize(item.size)}</span>
              {item.state.value === 'uploading' || item.state.value === 'preparing' ? (
                <progress max={1} value={item.progress.value} aria-label={`Uploading ${item.name}`} />
              ) : item.state.value === 'ready' ? (
                <span class="status">Ready</span>
              ) : (
                <span class="status error">Failed</span>
              )}
              <button
                type="button"
                class="link"
                aria-label={`Remove ${item.name}`}
                onClick={() => draft.remove(item.key)}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {draft.notice.value ? (
        <p class="error" role="alert">
          {draft.notice.value}
        </p>
      ) : null}
    </div>
  );
}

/** Drag-and-drop onto the composer: a highlight while a file is over it, the files when it is dropped. */
export function useDropTarget(draft: AttachmentDraft, disabled: boolean) {
  const over = useSignal(false);
  const handlers: Pick<HTMLAttributes<HTMLFormElement>, 'onDragOver' | 'onDragLeave' | 'onDrop'> = {
    onDragOver: (event: TargetedDragEvent<HTMLFormElement>) => {
      if (disabled || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      over.value = true;
    },
    onDragLeave: () => {
      over.value = false;
    },
    onDrop: (event: TargetedDragEvent<HTMLFormElement>) => {
      over.value = false;
      if (disabled) return;
      const files = filesOf(event.dataTransfer);
      if (files.length === 0) return;
      event.preventDefault();
      draft.add(files);
    },
  };
  return { over, handlers };
}

/** The files of a message: thumbnails of images (the full image opens on click) and chips for the rest. */
export function MessageAttachments({
  app,
  roomId,
  attachments,
}: {
  app: ChatApp;
  roomId: string;
  attachments: readonly Attachment[];
}) {
  return (
    <ul class="attachments" aria-label="Attachments">
      {attachments.map((attachment) => (
        <li key={attachment.id}>
          {attachment.has_thumbnail ? (
            <ImageAttachment app={app} roomId={roomId} attachment={attachment} />
          ) : (
            <FileChip app={app} roomId={roomId} attachment={attachment} />
          )}
        </li>
      ))}
    </ul>
  );
}

function open(app: ChatApp, roomId: string, attachment: Attachment) {
  // The URL is asked for on click (it lives five minutes); the tab is opened first so no popup blocker
  // takes the asynchronous answer for an unrequested window. It keeps its opener: a sandboxed frame (the
  // embedded widget) may only navigate a popup it opened, and what it shows is one of our own files (an
  // image of the allowlist, or a download), which runs no script.
  const tab = window.open('', '_blank');
  attachmentUrl(app.http, roomId, attachment.id, 'file')
    .then((url) => {
      if (tab) tab.location.href = url;
      else window.location.assign(url);
    })
    .catch((error: unknown) => {
      tab?.close();
      app.report(error);
    });
}

function ImageAttachment({
  app,
  roomId,
  attachment,
}: {
  app: ChatApp;
  roomId: string;
  attachment: Attachment;
}) {
  const src = useSignal<string | null>(null);
  useEffect(() => {
    let live = true;
    attachmentUrl(app.http, roomId, attachment.id, 'thumbnail')
      .then((url) => {
        if (live) src.value = url;
      })
      .catch((error: unknown) => app.report(error));
    return () => {
      live = false;
    };
  }, [attachment.id]);
  return (
    <button
      type="button"
      class="attachment-image"
      title={`${attachment.name} (${formatSize(attachment.size)})`}
      onClick={() => open(app, roomId, attachment)}
    >
      {src.value ? (
        <img src={src.value} alt={attachment.name} data-testid="attachment-thumbnail" />
      ) : (
        <span class="placeholder">{attachment.name}</span>
      )}
    </button>
  );
}

function FileChip({ app, roomId, attachment }: { app: ChatApp; roomId: string; attachment: Attachment }) {
  return (
    <button type="button" class="attachment-chip" onClick={() => open(app, roomId, attachment)}>
      <span aria-hidden="true">📄 </span>
      <span class="name">{attachment.name}</span> <span class="size">{formatSize(attachment.size)}</span>
    </button>
  );
}
