import { useSignal } from '@preact/signals';
import { type ComponentType, render } from 'preact';
import type { Role } from '../../client/wire.js';
import { type Auth, createAuth, type Session } from '../auth.js';
import { loadConfig, type WebConfig } from '../config.js';
import { SignIn } from './ui.js';

export interface PageProps {
  readonly config: WebConfig;
  readonly session: Session;
  readonly onSignOut: () => void;
  readonly onExpired: () => void;
}

export interface PageOptions {
  readonly page: 'console' | 'widget';
  readonly title: string;
  readonly intro: string;
  readonly role: Role;
  /** Shown to someone signed in with the other role. */
  readonly wrongRole: string;
  readonly App: ComponentType<PageProps>;
}

function Root(props: PageOptions & { config: WebConfig; auth: Auth; restored: Session | null }) {
  const session = useSignal<Session | null>(props.restored);
  const notice = useSignal('');
  const signOut = () => {
    session.value = null;
    void props.auth.signOut();
  };
  if (!session.value) {
    return (
      <>
        {notice.value ? (
          <p class="notice" role="status">
            {notice.value}
          </p>
        ) : null}
        <SignIn
          auth={props.auth}
          title={props.title}
          intro={props.intro}
          defaultRole={props.role}
          onSignedIn={(signedIn) => {
            notice.value = '';
            session.value = signedIn;
          }}
        />
      </>
    );
  }
  if (session.value.role !== props.role) {
    return (
      <main class="sign-in">
        <div class="card sign-in-card">
          <h1>{props.title}</h1>
          <p>{props.wrongRole}</p>
          <button type="button" class="primary" onClick={signOut}>
            Sign in as someone else
          </button>
        </div>
      </main>
    );
  }
  const App = props.App;
  return (
    <App
      key={session.value.userId}
      config={props.config}
      session={session.value}
      onSignOut={signOut}
      onExpired={() => {
        notice.value = 'Your session has ended. Please sign in again.';
        signOut();
      }}
    />
  );
}

/** Loads config.json, restores or asks for a sign-in, then renders the page. */
export async function mount(options: PageOptions): Promise<void> {
  const element = document.getElementById('app');
  if (!element) throw new Error('#app is missing');
  try {
    const config = await loadConfig();
    const auth = await createAuth(config, options.page);
    const restored = await auth.restore();
    render(<Root {...options} config={config} auth={auth} restored={restored} />, element);
  } catch (error) {
    render(
      <main class="sign-in">
        <div class="card sign-in-card" role="alert">
          <h1>{options.title}</h1>
          <p>The page could not start: {error instanceof Error ? error.message : String(error)}</p>
        </div>
      </main>,
      element,
    );
  }
}
