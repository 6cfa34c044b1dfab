import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ChatApiError } from '../../client/errors.js';
import type { Profile } from '../../client/wire.js';
import type { PreChat } from '../config.js';
import type { ChatApp, Conversation } from '../shared/chat.js';

const ROOM_TYPES = [
  { value: 'general', label: 'General question' },
  { value: 'orders', label: 'An order' },
  { value: 'billing', label: 'Billing and payments' },
  { value: 'technical', label: 'Technical problem' },
] as const;

/** Loose, as the server checks it: something@something.something, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface StartFormProps {
  readonly app: ChatApp;
  readonly preChat: PreChat;
  /** The caller's profile; null while unknown (then the fields show as for someone without one). */
  readonly profile: Profile | null;
  readonly onProfile: (profile: Profile) => void;
  /** The host page's URL, for the room (embedded only). */
  readonly pageUrl?: string;
  readonly onStarted: (conversation: Conversation) => void;
}

/**
 * "How can we help?": topic and subject; with pre-chat on, a name and an email first (`required` needs
 * both); when nobody from support is online it says so and takes the first message and an email address
 * here, and the room waits in the queue. A verified person's name and email come from the site: no fields.
 */
export function StartForm({ app, preChat, profile, onProfile, pageUrl, onStarted }: StartFormProps) {
  const roomType = useSignal<string>('general');
  const subject = useSignal('');
  const name = useSignal('');
  const email = useSignal('');
  const first = useSignal('');
  const busy = useSignal(false);
  const error = useSignal('');
  const checked = useSignal(false);

  useEffect(() => {
    void app.refreshOnlineStaff().finally(() => {
      checked.value = true;
    });
  }, []);

  const offline = checked.value && !app.supportOnline.value;
  const verified = profile?.verified ?? false;
  const askName = !verified && preChat !== 'off' && !profile?.name;
  const askEmail = !verified && (preChat !== 'off' || offline) && !profile?.email;
  const nameRequired = askName && preChat === 'required';
  const emailRequired = askEmail && (preChat === 'required' || offline);

  const problem = (): string => {
    if (nameRequired && !name.value.trim()) return 'Please tell us your name.';
    if (emailRequired && !email.value.trim())
      return offline ? 'Please give an email address, so we can reply.' : 'Please give your email address.';
    if (email.value.trim() && !EMAIL.test(email.value.trim()))
      return 'That email address does not look right.';
    if (offline && !first.value.trim()) return 'Please write your message.';
    return '';
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    error.value = problem();
    if (error.value) return;
    busy.value = true;
    try {
      const changes = {
        ...(askName && name.value.trim() ? { name: name.value.trim() } : {}),
        ...(askEmail && email.value.trim() ? { email: email.value.trim() } : {}),
      };
      if (Object.keys(changes).length > 0) onProfile(await app.http.updateProfile(changes));
      const reported = reportedPageUrl(pageUrl);
      const room = await app.http.createRoom({
        room_type: roomType.value,
        subject: subject.value.trim(),
        ...(reported ? { page_url: reported } : {}),
      });
      const conversation = app.track(room);
      if (offline && first.value.trim()) app.send(conversation, first.value);
      onStarted(conversation);
    } catch (e) {
      error.value =
        e instanceof ChatApiError && e.code === 'rate_limited'
          ? 'Too many chats were started from here. Please try again in a few minutes.'
          : e instanceof Error
            ? e.message
            : String(e);
    } finally {
      busy.value = false;
    }
  };

  return (
    <form class="start padded" onSubmit={submit} noValidate aria-labelledby="start-title">
      <h2 id="start-title">How can we help?</h2>
      {offline ? (
        <p class="notice offline" role="status" data-testid="offline">
          Nobody from support is online right now. Leave your message and an email address: we will answer
          here and by email.
        </p>
      ) : null}
      {askName ? (
        <Field
          label={nameRequired ? 'Your name' : 'Your name (optional)'}
          name="name"
          autoComplete="name"
          maxLength={80}
          value={name.value}
          onInput={(v) => {
            name.value = v;
          }}
        />
      ) : null}
      {askEmail ? (
        <Field
          label={emailRequired ? 'Email' : 'Email (optional)'}
          name="email"
          type="email"
          autoComplete="email"
          maxLength={254}
          value={email.value}
          onInput={(v) => {
            email.value = v;
          }}
        />
      ) : null}
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
      <Field
        label="Subject"
        name="subject"
        maxLength={200}
        placeholder="e.g. Where is my parcel?"
        value={subject.value}
        onInput={(v) => {
          subject.value = v;
        }}
      />
      {offline ? (
        <label class="field">
          <span>Your message</span>
          <textarea
            name="first_message"
            rows={3}
            maxLength={app.maxMessageLength}
            value={first.value}
            onInput={(e) => {
              first.value = e.currentTarget.value;
            }}
          />
        </label>
      ) : null}
      {error.value ? (
        <p class="error" role="alert">
          {error.value}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={busy.value}>
        {busy.value ? 'Starting…' : offline ? 'Send message' : 'Start chat'}
      </button>
    </form>
  );
}

function Field(props: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email';
  autoComplete?: string;
  maxLength?: number;
  placeholder?: string;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        name={props.name}
        // One literal for Preact's input typings, which tell the types apart by their extra attributes.
        type={(props.type ?? 'text') as 'text'}
        autoComplete={props.autoComplete}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

/** The longest `page_url` the server takes (lambdas/protocol/schemas.ts). */
const MAX_PAGE_URL = 2048;

/**
 * The page URL as the room keeps it: whole when it fits, else without its query and fragment (a long
 * marketing or app-state URL must not stop anyone from starting a chat), else none.
 */
export function reportedPageUrl(pageUrl: string | undefined): string | undefined {
  if (!pageUrl) return undefined;
  if (pageUrl.length <= MAX_PAGE_URL) return pageUrl;
  const url = URL.parse(pageUrl);
  const short = url ? `${url.origin}${url.pathname}` : '';
  return short !== '' && short.length <= MAX_PAGE_URL ? short : undefined;
}
