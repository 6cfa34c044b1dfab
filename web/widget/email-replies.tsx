import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ChatApiError, ChatNetworkError } from '../../client/errors.js';
import type { Profile } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';
import './email-replies.css';

/** Loose, as the server checks it (and as the start form does): something@something.something, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Step =
  /** Nothing asked yet: the offer, or where replies go. */
  | { readonly kind: 'idle' }
  /** The person is typing the address replies should go to. */
  | { readonly kind: 'asking' }
  | { readonly kind: 'busy' }
  /** A confirmation link is on its way to `email`. */
  | { readonly kind: 'sent'; readonly email: string }
  /** This chat sends no email (404 `email_unavailable`): nothing to offer. */
  | { readonly kind: 'unavailable' };

export interface EmailRepliesProps {
  readonly app: ChatApp;
  /** The caller's profile; null while unknown (nothing is shown then). */
  readonly profile: Profile | null;
  readonly onProfile: (profile: Profile) => void;
}

/**
 * "Email me replies", under the conversation's header: a customer whose address nobody proved yet asks for a
 * confirmation link (`POST /api/chat/email-confirmations/`), typing an address first if their profile has
 * none; once the link is opened (docs/email.md), staff replies reach them by email while they are away, and
 * this line says where they go. The proof itself happens in their mailbox, so while a link is on its way the
 * profile is read again whenever the page becomes visible (the person is back from their mail): one GET, only
 * in that state.
 */
export function EmailReplies({ app, profile, onProfile }: EmailRepliesProps) {
  const step = useSignal<Step>({ kind: 'idle' });
  const address = useSignal('');
  const error = useSignal('');

  const waiting = step.value.kind === 'sent';
  useEffect(() => {
    if (!waiting) return;
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      app.http
        .getProfile()
        .then((found) => {
          if (!found.email_confirmed) return;
          onProfile(found);
          step.value = { kind: 'idle' };
        })
        .catch((e: unknown) => app.report(e));
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [waiting]);

  if (!profile || step.value.kind === 'unavailable') return null;

  /** Asks for a link to the profile's address, or to `typed` after saving it on the profile. */
  const ask = async (typed?: string) => {
    error.value = '';
    step.value = { kind: 'busy' };
    try {
      let current = profile;
      if (typed !== undefined && typed !== current.email) {
        current = await app.http.updateProfile({ email: typed });
        onProfile(current);
      }
      const result = await app.http.requestEmailConfirmation();
      if (result.status === 'verified') {
        onProfile({ ...current, email: result.email, email_confirmed: true });
        step.value = { kind: 'idle' };
      } else {
        step.value = { kind: 'sent', email: result.email };
      }
    } catch (e) {
      if (e instanceof ChatApiError && e.code === 'email_unavailable') {
        step.value = { kind: 'unavailable' };
        return;
      }
      app.report(e);
      // Without an address (someone removed it meanwhile): ask for one.
      step.value = { kind: e instanceof ChatApiError && e.code === 'no_email' ? 'asking' : 'idle' };
      error.value = problemOf(e);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const typed = address.value.trim();
    if (!EMAIL.test(typed)) {
      error.value = typed ? 'That email address does not look right.' : 'Please give your email address.';
      return;
    }
    void ask(typed);
  };

  const startAsking = () => {
    error.value = '';
    address.value = profile.email ?? '';
    step.value = { kind: 'asking' };
    requestAnimationFrame(() => document.getElementById('email-replies-address')?.focus());
  };

  const problem = error.value ? (
    <p class="error small" role="alert" data-testid="email-replies-error">
      {error.value}
    </p>
  ) : null;

  if (profile.email_confirmed && profile.email && step.value.kind !== 'asking') {
    return (
      <div class="email-replies" data-testid="email-replies">
        <p class="small">
          Replies come to <strong>{profile.email}</strong> when you are away.
        </p>
      </div>
    );
  }

  switch (step.value.kind) {
    case 'sent':
      return (
        <div class="email-replies" data-testid="email-replies">
          <p class="small" role="status">
            Check your inbox to confirm <strong>{step.value.email}</strong>. Until you open the link, replies
            only come here.
          </p>
          <button type="button" class="link small" onClick={startAsking}>
            Use another address
          </button>
        </div>
      );
    case 'asking':
      return (
        <form class="email-replies asking" data-testid="email-replies" onSubmit={submit} noValidate>
          <label class="email-replies-label" for="email-replies-address">
            Email me replies at
          </label>
          <div class="email-replies-row">
            <input
              id="email-replies-address"
              name="email"
              type="email"
              autoComplete="email"
              maxLength={254}
              value={address.value}
              onInput={(e) => {
                address.value = e.currentTarget.value;
              }}
            />
            <button type="submit" class="primary">
              Send link
            </button>
            <button
              type="button"
              class="ghost"
              onClick={() => {
                error.value = '';
                step.value = { kind: 'idle' };
              }}
            >
              Cancel
            </button>
          </div>
          {problem}
        </form>
      );
    default: {
      const busy = step.value.kind === 'busy';
      return (
        <div class="email-replies" data-testid="email-replies">
          <div class="email-replies-row">
            <button
              type="button"
              class="ghost small"
              disabled={busy}
              onClick={() => (profile.email ? void ask() : startAsking())}
            >
              {busy ? 'Sending…' : 'Email me replies'}
            </button>
            <span class="muted small">
              {profile.email
                ? `We will send a link to ${profile.email} to confirm it.`
                : 'When you are away.'}
            </span>
          </div>
          {problem}
        </div>
      );
    }
  }
}

/** What went wrong, in words for the customer. */
function problemOf(error: unknown): string {
  if (error instanceof ChatNetworkError) return 'We could not reach the chat. Please try again in a moment.';
  if (!(error instanceof ChatApiError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'rate_limited':
      return 'We have sent you several confirmation emails already. Please look for them in your inbox, or try again in an hour.';
    case 'throttled':
      return 'The chat is busy right now. Please try again in a moment.';
    case 'no_email':
      return 'Please give the address we should write to.';
    case 'invalid_request':
      return 'That email address does not look right.';
    case 'profile_verified':
      return 'Your email address comes from your sign-in on the website and cannot be changed here.';
    default:
      return error.status >= 500
        ? 'Something went wrong on our side. Please try again in a moment.'
        : error.message;
  }
}
