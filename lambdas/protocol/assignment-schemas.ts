import * as v from 'valibot';
import { isUsableUserId } from '../runtime/identity.js';

const staffIdOrNull = (field: string) =>
  v.nullable(
    v.pipe(
      v.string(`${field} must be a string or null`),
      v.check(
        (value: string) => isUsableUserId(value),
        `${field} must be a user id (1 to 255 bytes of text, no control characters)`,
      ),
    ),
  );

/**
 * `POST /api/chat/rooms/{id}/assign/`: `staff_id` is who should have the room (null: nobody);
 * `expected_assignee_id` who the caller believes has it now (absent or null: nobody).
 */
export const assignBody = v.object({
  staff_id: staffIdOrNull('staff_id'),
  expected_assignee_id: v.optional(staffIdOrNull('expected_assignee_id'), null),
});
