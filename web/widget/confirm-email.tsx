import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { ChatApiError, ChatNetworkError } from '../../client/errors.js';
import type { ChatApp } from '../shared/chat.js';
import './email-replies.css';

/** What the widget says when a confirmation link is refused, by the API's error code. */
const REFUSALS = {
  confirmation_used:
    'This confirmation link was used already. If your address is not shown as confirmed below, ask for a new link.',
  confirmation_expired: 'This confirmation link has expired. Ask for a new one with "Email me replies".',
  confirmation_not_found: 'We do not know this confirmation link. Ask for a new one with "Email me replies".',
  email_changed:
    'This link was for an address you have changed since. Ask for a link to your new address with "Email me replies".',
} as const;
type RefusalCode = keyof typeof REFUSALS;

/** A token as the server makes them (32 bytes, base64url), loosely: anything else is no link of ours. */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

type Step =
  /** Asking: "Confirm your email address?", and why it failed last time if it did. */
  | { readonly kind: 'asking'; readonly problem?: string }
  | { readonly kind: 'busy' }
  | { readonly kind: 'confirmed'; readonly email: string }
  | { readonly kind: 'refused'; readonly code: RefusalCode }
  | { readonly kind: 'dismissed' };

export interface EmailConfirmationProps {
  readonly app: ChatApp;
  /** The `?email_confirmation_token=` the page was opened with (arrival.tsx), or null. */
  readonly token: string | null;
  /** The address is confirmed now: the caller reads the profile again, so the widget says where replies go. */
  readonly onConfirmed: (email: string) => void;
}

/**
 * The page a confirmation link leads to. The link's GET spends nothing (mail scanners open every link in a
 * message before the person does, docs/email.md): it sends the browser here, and only pressing "Confirm"
 * spends the token (`POST /api/chat/email-confirmations/{token}`, public: the token is the proof). The
 * question names no address: a lookup that told it would give it to anyone holding the link, and the POST's
 * answer names it once the person has confirmed. Then the confirmed notice, or why the link was refused,
 * which the person may dismiss. Keyboard focus is on "Confirm" while asking, then on "Dismiss".
 */
export function EmailConfirmation({ app, token, onConfirmed }: EmailConfirmationProps) {
  const step = useSignal<Step>(
    token === null
      ? { kind: 'dismissed' }
      : TOKEN.test(token)
        ? { kind: 'asking' }
        : { kind: 'refused', code: 'confirmation_not_found' },
  );
  const button = useRef<HTMLButtonElement>(null);
  const kind = step.value.kind;
  useEffect(() => {
    if (kind !== 'busy') button.current?.focus();
  }, [kind]);

  const current = step.value;
  if (current.kind === 'dismissed' || token === null) return null;

  const confirm = async () => {
    if (step.value.kind === 'busy') return;
    step.value = { kind: 'busy' };
    try {
      const { email } = await app.http.confirmEmail(token);
      step.value = { kind: 'confirmed', email };
      onConfirmed(email);
    } catch (error) {
      if (error instanceof ChatApiError && Object.hasOwn(REFUSALS, error.code)) {
        step.value = { kind: 'refused', code: error.code as RefusalCode };
        return;
      }
      app.report(error);
      step.value = { kind: 'asking', problem: problemOf(error) };
    }
  };

  const dismiss = () => {
    step.value = { kind: 'dismissed' };
  };

  if (current.kind === 'asking' || current.kind === 'busy') {
    const busy = current.kind === 'busy';
    return (
      <div class="notice email-confirmed" data-testid="email-confirmation">
        <div>
          <p class="small" id="email-confirmation-question">
            <strong>Confirm your email address for replies by email?</strong> When we reply while you are
            away, we will email you. If you did not ask for this, choose "Not now": nothing changes.
          </p>
          {current.kind === 'asking' && current.problem ? (
            <p class="error small" role="alert" data-testid="email-confirmation-error">
              {current.problem}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button
            ref={button}
            type="button"
            class="primary small"
            aria-describedby="email-confirmation-question"
            aria-disabled={busy}
            onClick={() => void confirm()}
          >
            {busy ? 'Confirming…' : 'Confirm'}
          </button>
          <button type="button" class="ghost small" onClick={dismiss}>
            Not now
          </button>
        </div>
      </div>
    );
  }
  return (
    <div
      class="notice email-confirmed"
      role="status"
      data-testid={current.kind === 'refused' ? 'email-confirmation-refused' : 'email-confirmed'}
    >
      <p class="small">
        {current.kind === 'refused'
          ? REFUSALS[current.code]
          : `Thank you: your email address ${current.email} is confirmed. When we reply while you are away, we will email you.`}
      </p>
      <button ref={button} type="button" class="ghost small" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}

function problemOf(error: unknown): string {
  if (error instanceof ChatNetworkError) return 'We could not reach the chat. Please try again in a moment.';
  if (error instanceof ChatApiError && error.status < 500 && error.code !== 'throttled') return error.message;
  return 'We could not confirm your address just now. Please try again in a moment.';
}
