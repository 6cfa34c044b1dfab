import { BadRequest, Conflict } from './errors.js';

/**
 * The room's assignee is not who the caller expected (`expected_assignee_id`): someone else took it first, or
 * it changed hands meanwhile. `assigneeId` says who has it now (null: nobody), so a console can show it
 * without another read.
 */
export class AlreadyAssigned extends Conflict {
  constructor(readonly assigneeId: string | null) {
    super(
      assigneeId === null
        ? 'Nobody has this room any more; look again before you choose'
        : 'Someone else has this room now',
      'already_assigned',
    );
  }
}

/**
 * Only a staff member the system can vouch for may be given a room: the caller, a member of the room, or a
 * staff member online now (there is no staff directory to look anyone else up in).
 */
export const unknownStaff = () =>
  new BadRequest(
    'staff_id must be you, a staff member of this room, or a staff member who is online',
    'unknown_staff',
  );
