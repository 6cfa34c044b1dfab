import { useEffect } from 'preact/hooks';
import type { Room } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';

/**
 * The chat header's line on who from support is there: the assignee by name ("Sam is answering"), else the
 * staff who joined, else that the customer is waiting. A name the page has not learnt yet (the room was
 * just given to someone) is read with the room's detail, once per person.
 */
export function AnsweringLine({ app, room }: { app: ChatApp; room: Room }) {
  // A room from a server older than assignment has no `assignee_id`: nobody has it.
  const assignee = room.assignee_id ?? null;
  const unknown = assignee !== null && !app.names.knows(assignee);
  useEffect(() => {
    if (!unknown) return;
    app.http
      .getRoom(room.id)
      .then((detail) => app.names.learn(detail.members.map((member) => [member.user_id, member.name])))
      .catch((error: unknown) => app.report(error));
  }, [room.id, assignee, unknown]);

  if (assignee !== null) {
    const helpers = room.staff_ids.filter((id) => id !== assignee).map((id) => app.names.nameOf(id));
    return (
      <p class="muted small" data-testid="answering">
        <span class="answering">{app.names.nameOf(assignee)} is answering</span>
        {helpers.length > 0 ? `, with ${helpers.join(', ')}` : ''}
      </p>
    );
  }
  const agents = room.staff_ids.map((id) => app.names.nameOf(id));
  return (
    <p class="muted small" data-testid="answering">
      {agents.length > 0
        ? `You are talking with ${agents.join(', ')}`
        : 'Waiting for someone from support to join…'}
    </p>
  );
}
