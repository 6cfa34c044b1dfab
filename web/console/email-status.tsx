import type { RoomCustomer } from '../../client/wire.js';
import './email-status.css';

/**
 * A row of the customer panel, under their email: whether the address is confirmed (the website vouched for
 * it, or the customer opened a confirmation link), that is, whether a reply reaches them by email while they
 * are away (docs/email.md). No row without an address.
 */
export function EmailStatus({ customer }: { customer: RoomCustomer }) {
  if (customer.email === null) return null;
  return (
    <>
      <dt>Email replies</dt>
      <dd data-testid="customer-email-status">
        {customer.email_confirmed ? (
          <>
            <span class="tag email-confirmed">Confirmed</span> Replies are emailed to them while they are
            away.
          </>
        ) : (
          <>
            <span class="tag email-unconfirmed">Not confirmed</span> Replies are not emailed until they
            confirm it.
          </>
        )}
      </dd>
    </>
  );
}
