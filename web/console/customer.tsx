import { useEffect } from 'preact/hooks';
import type { RoomCustomer, UserKind } from '../../client/wire.js';
import type { ChatApp, Conversation } from '../shared/chat.js';
import { shownName } from '../shared/names.js';
import { CustomerHistory } from './customer-history.js';
import { EmailStatus } from './email-status.js';

const KIND_LABELS: Record<UserKind, string> = { guest: 'Guest', verified: 'Verified', account: 'Account' };
const KIND_HINTS: Record<UserKind, string> = {
  guest: 'A visitor without an account; name and email are as they typed them',
  verified:
    'Signed in on the website, which vouches for who they are (and for the fields not marked as stated by them)',
  account: 'Signed in with an account',
};

/** The customer's name as the console shows it: from the room detail while current, else the room's own copy. */
export function customerShown(conversation: Conversation): string {
  const room = conversation.room.value;
  const customer = conversation.customer.value;
  const name = conversation.customerCurrent.value && customer ? customer.name : room.customer_name;
  return shownName(room.customer_id, name);
}

/**
 * Only an absolute http(s) URL becomes a link (the server accepts nothing else; this holds for rooms written
 * before it checked, too): no `javascript:` or `data:` link can come from a widget's report.
 */
function pageLink(pageUrl: string | null): URL | null {
  if (pageUrl === null) return null;
  const url = URL.parse(pageUrl);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url : null;
}

/**
 * Who the customer of the room on screen is: name, email, guest / verified / account, and the page the chat
 * was opened from. Read with the room (its detail); read again when the room's customer or their name
 * changes (a guest signs in on the website mid-conversation), which the staff queue's summaries tell, or a
 * staff member the page cannot name yet joins.
 */
export function CustomerPanel({ app, conversation }: { app: ChatApp; conversation: Conversation }) {
  const room = conversation.room.value;
  const customer = conversation.customer.value;
  const current = conversation.customerCurrent.value;
  const loaded = conversation.loaded.value;

  // Staff who joined since the room was read are named by its detail too.
  const staffKey = room.staff_ids.join('\n');
  const nameless = room.staff_ids.some((userId) => !app.names.knows(userId));
  useEffect(() => {
    if (!loaded || (current && !nameless)) return;
    app.http
      .getRoom(room.id)
      .then((detail) => {
        conversation.setCustomer(detail);
        app.names.learn(detail.members.map((member) => [member.user_id, member.name]));
      })
      .catch((error: unknown) => app.report(error));
  }, [loaded, current, room.id, staffKey]);

  return (
    <aside class="customer-panel" aria-labelledby="customer-panel-title" data-testid="customer-panel">
      <h2 id="customer-panel-title">Customer</h2>
      {customer ? (
        <CustomerCard customer={customer} name={customerShown(conversation)} />
      ) : (
        <p class="muted">Loading…</p>
      )}
      <CustomerHistory app={app} roomId={room.id} customerId={room.customer_id} />
    </aside>
  );
}

function CustomerCard({ customer, name }: { customer: RoomCustomer; name: string }) {
  const link = pageLink(customer.page_url);
  return (
    <dl class="customer-facts">
      <dt>Name</dt>
      <dd data-testid="customer-name">
        {name}{' '}
        <span
          class={`tag kind ${customer.kind}`}
          title={KIND_HINTS[customer.kind]}
          data-testid="customer-kind"
        >
          {KIND_LABELS[customer.kind]}
        </span>
        <SelfStated customer={customer} field="name" />
      </dd>
      <dt>Email</dt>
      <dd data-testid="customer-email">
        {customer.email ?? <span class="muted">Not given</span>}
        <SelfStated customer={customer} field="email" />
      </dd>
      <EmailStatus customer={customer} />
      <dt>Opened from</dt>
      <dd data-testid="customer-page">
        {link ? (
          <a href={link.href} target="_blank" rel="noopener noreferrer" class="page-url">
            {customer.page_url}
          </a>
        ) : (
          <span class="muted">Not known</span>
        )}
      </dd>
    </dl>
  );
}

/**
 * A verified customer's field that the website did not vouch for (they typed it in the pre-chat form): marked,
 * so that a name such as "Acme Billing" never passes for one the site confirmed.
 */
function SelfStated({ customer, field }: { customer: RoomCustomer; field: 'name' | 'email' }) {
  const value = field === 'name' ? customer.name : customer.email;
  if (!customer.verified || value === null || customer.verified_fields.includes(field)) return null;
  return (
    <span class="muted self-stated" data-testid={`customer-${field}-self-stated`}>
      {' '}
      (stated by them, not by the website)
    </span>
  );
}
