import { useSignal } from '@preact/signals';
import { render } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import { ChatApiError } from '../../client/errors.js';
import { loadConfig, type WebConfig } from '../config.js';
import type { HostMessage } from '../embed/protocol.js';
import { type EmbedProps, focusFirst, WidgetApp } from './app.js';
import { EmbedSessions, SignedOutMeanwhile, type StoredSession } from './guest-session.js';
import { EmbedRefused, HostBridge, hostOrigin } from './host-bridge.js';

interface EmbedRootProps {
  readonly config: WebConfig;
  readonly bridge: HostBridge;
  readonly sessions: EmbedSessions;
}

/**
 * The widget inside embed.js's frame: no sign-in form. A guest session is made when the visitor first
 * opens the chat (not on every page view), kept and renewed in the frame's storage, upgraded when the host
 * identifies its user, and forgotten when the host signs its user out.
 */
function EmbedRoot({ config, bridge, sessions }: EmbedRootProps) {
  const open = useSignal(false);
  const pageUrl = useSignal('');
  const notice = useSignal('');
  const failure = useSignal('');
  const stored = useSignal<StoredSession | null>(sessions.read());
  const unread = useSignal(-1);

  // One queue for the host's requests: an identify and a logout run in the order the host made them.
  const run = useMemo(() => {
    let chain = Promise.resolve();
    return (task: () => Promise<void>) => {
      chain = chain.then(task);
    };
  }, []);

  const ensureSession = () =>
    run(async () => {
      if (stored.value || !open.value) return;
      try {
        stored.value = await sessions.start();
        failure.value = '';
      } catch (error) {
        failure.value =
          error instanceof ChatApiError && error.status === 429
            ? 'Too many chats were started from here. Please try again in a few minutes.'
            : 'The chat could not start. Please try again in a moment.';
        console.warn('[live-chat]', error);
      }
    });

  const handle = (message: HostMessage) => {
    switch (message.type) {
      case 'hello':
      case 'visibility':
        pageUrl.value = message.pageUrl;
        if (message.open !== open.value) {
          open.value = message.open;
          if (message.open) requestAnimationFrame(focusFirst);
        }
        if (message.open) ensureSession();
        return;
      case 'identify':
        return run(async () => {
          try {
            const { session } = await sessions.identify(message.identityToken);
            stored.value = session;
            notice.value = '';
            bridge.post({ type: 'identified', userId: session.user_id, name: session.name ?? null });
          } catch (error) {
            const code = error instanceof ChatApiError ? error.code : 'identify_failed';
            // No answer at all: the guest may have been upgraded regardless, and is then renewed no more.
            if (!(error instanceof ChatApiError) && !(error instanceof SignedOutMeanwhile))
              await sessions.checkGuest();
            // Show what is stored now: a previous person forgotten, or a guest that is over, is not shown on.
            stored.value = sessions.read();
            if (!stored.value) ensureSession();
            notice.value = stored.value
              ? 'We could not confirm who you are, so you are still chatting as a guest.'
              : 'We could not confirm who you are.';
            bridge.post({
              type: 'identify_failed',
              code,
              message: error instanceof Error ? error.message : String(error),
            });
          }
        });
      case 'logout':
        return run(async () => {
          await sessions.logout().catch((error: unknown) => {
            // The refresh token could not be revoked now (it expires by itself); the device forgets it anyway.
            console.warn('[live-chat] revoking the session failed', error);
          });
          sessions.forget();
          stored.value = null;
          notice.value = '';
          unread.value = -1;
          // embed.js closes the panel on this: the next person opens it afresh, and only then gets a session.
          open.value = false;
          bridge.post({ type: 'logged_out' });
          bridge.post({ type: 'unread', count: 0 });
        });
    }
  };

  useEffect(() => {
    const off = bridge.on(handle);
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && open.value) bridge.post({ type: 'close' });
    };
    // Another tab of this site logged out or was identified: follow it.
    const onStorage = () => {
      const now = sessions.read();
      if (now?.user_id === stored.value?.user_id) return;
      stored.value = now;
      if (now) return;
      // Signed out there: this tab's panel closes as on its own sign-out, and whoever opens it next starts
      // afresh (a session made here at once would outlive the sign-out the site asked for).
      unread.value = -1;
      if (open.value) {
        open.value = false;
        bridge.post({ type: 'logged_out' });
      }
      bridge.post({ type: 'unread', count: 0 });
    };
    document.addEventListener('keydown', onKey);
    window.addEventListener('storage', onStorage);
    bridge.post({ type: 'ready' });
    return () => {
      off();
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('storage', onStorage);
    };
  }, []);

  const embed: EmbedProps = useMemo(
    () => ({
      open,
      pageUrl,
      notice,
      onClose: () => bridge.post({ type: 'close' }),
      onUnread: (count: number) => {
        if (count === unread.value) return;
        unread.value = count;
        bridge.post({ type: 'unread', count });
      },
    }),
    [],
  );

  const current = stored.value;
  if (!current) {
    return (
      <main class="widget embedded">
        <header class="widget-header">
          <h1>Customer support</h1>
          <button
            type="button"
            class="ghost on-dark"
            aria-label="Close chat"
            onClick={() => bridge.post({ type: 'close' })}
          >
            Close
          </button>
        </header>
        {failure.value ? (
          <p class="error banner" role="alert">
            {failure.value}
          </p>
        ) : (
          <p class="muted padded">{open.value ? 'Starting…' : ''}</p>
        )}
      </main>
    );
  }
  return (
    <WidgetApp
      key={current.user_id}
      config={config}
      session={sessions.session(current, 'You')}
      embed={{ ...embed, verifiedName: current.kind === 'verified' ? (current.name ?? null) : null }}
      onSignOut={() => undefined}
      onExpired={() => {
        // Replaced meanwhile (an identify stored the verified session while this view still ran): follow it.
        const now = sessions.read();
        if (now && now.user_id !== current.user_id) {
          stored.value = now;
          return;
        }
        // Revoked or expired past renewal: start over as a new guest when the chat is open.
        sessions.forget();
        stored.value = null;
        ensureSession();
      }}
    />
  );
}

/** Starts the widget in embed mode (`widget.html?embed=1&host=<origin>`). */
export async function mountEmbed(element: HTMLElement): Promise<void> {
  try {
    const config = await loadConfig();
    const origin = hostOrigin(config.embedOrigins ?? []);
    const bridge = new HostBridge(origin);
    const sessions = new EmbedSessions(config.httpApiUrl);
    render(<EmbedRoot config={config} bridge={bridge} sessions={sessions} />, element);
  } catch (error) {
    render(
      <main class="sign-in">
        <div class="card sign-in-card" role="alert">
          <h1>Customer support</h1>
          <p data-testid="embed-refused">
            {error instanceof EmbedRefused
              ? error.message
              : `The chat could not start: ${error instanceof Error ? error.message : String(error)}`}
          </p>
        </div>
      </main>,
      element,
    );
  }
}
