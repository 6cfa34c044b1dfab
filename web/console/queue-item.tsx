import type { Conversation } from '../shared/chat.js';
import { type NameBook, shownName } from '../shared/names.js';
import { relativeTime } from '../shared/ui.js';
import { AssigneeTag, assigneeOf } from './assignment.js';

/** One room of the queue: subject, unread count, customer, last activity, preview or who types, and tags. */
export function QueueItem(props: {
  conversation: Conversation;
  selected: boolean;
  me: string;
  names: NameBook;
  onSelect: () => void;
}) {
  const room = props.conversation.room.value;
  const unread = props.conversation.unread.value;
  const typists = props.conversation.typists.value.map((userId) =>
    userId === room.customer_id ? shownName(userId, room.customer_name) : props.names.nameOf(userId),
  );
  const typing =
    typists.length > 0 ? `${typists.join(', ')} ${typists.length > 1 ? 'are' : 'is'} typing…` : '';
  const mine = room.staff_ids.includes(props.me);
  return (
    <li>
      <button
        type="button"
        class={`queue-item${props.selected ? ' selected' : ''}${unread > 0 ? ' has-unread' : ''}`}
        aria-current={props.selected ? 'true' : undefined}
        data-room-id={room.id}
        onClick={props.onSelect}
      >
        <span class="line">
          <span class="subject">{room.subject || 'No subject'}</span>
          {unread > 0 ? (
            <>
              <span class="badge" aria-hidden="true" data-testid="unread">
                {unread}
              </span>
              <span class="visually-hidden">{unread} unread</span>
            </>
          ) : null}
        </span>
        <span class="line muted small">
          <span data-testid="queue-customer">
            {shownName(room.customer_id, room.customer_name)} · {room.room_type}
          </span>
          <time dateTime={room.last_activity_at}>{relativeTime(room.last_activity_at)}</time>
        </span>
        <span class="preview small">
          {typing ? <em>{typing}</em> : (room.last_message?.preview ?? 'No messages yet')}
        </span>
        <span class="tags small">
          {room.status === 'closed' ? <span class="tag closed">Closed</span> : null}
          <AssigneeTag room={room} me={props.me} names={props.names} />
          {mine && assigneeOf(room) !== props.me ? <span class="tag">Joined</span> : null}
        </span>
      </button>
    </li>
  );
}
