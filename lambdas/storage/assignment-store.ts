import { UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AssignmentPorts, AssignResult } from '../domain/assignment.js';
import type { Room } from '../domain/types.js';
import { toRoom, toStringArray } from './items.js';
import { keys } from './keys.js';
import type { RoomStore } from './room-store.js';
import { applied, conditionFailed, type Item, type Table } from './table.js';

/**
 * Who has a room (the room item's `asg`, and `asgat`, when that last changed, in epoch ms), and what
 * auto-assignment counts: a staff member's assigned open rooms (a set of ids on an item of their own) and the
 * round-robin turn (one counter). All of it is in the table, so it holds across Lambda containers.
 *
 * An assignment is one conditional update of the room item: "open, and assigned to whom the caller expects",
 * so of two staff members taking one room at once exactly one write applies, and the other's refusal reports
 * who won (`ReturnValuesOnConditionCheckFailure`). The same update makes the assignee a member (staff_ids and
 * a read pointer), as a join does; the member item, which lists the room under their open rooms, follows.
 */
export class AssignmentStore implements AssignmentPorts {
  constructor(
    private readonly table: Table,
    /** For the member item a join writes (and a retried assignment finishes). */
    private readonly rooms: Pick<RoomStore, 'putMember' | 'isListedMember' | 'updateRoom'>,
  ) {}

  async assignRoom(
    roomId: string,
    staffId: string | null,
    expected: string | null,
    at: string,
  ): Promise<AssignResult> {
    const atMs = Date.parse(at);
    const update: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      staffId === null
        ? {
            UpdateExpression: 'REMOVE asg SET asgat = :at ADD version :one',
            ConditionExpression: `attribute_exists(pk) AND #status = :open AND ${expectedIs(expected)} AND attribute_exists(asg)`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':at': atMs,
              ':one': 1,
              ':open': 'open',
              ...(expected === null ? {} : { ':expected': expected }),
            },
          }
        : {
            UpdateExpression:
              'SET asg = :to, asgat = :at, #reads.#to = if_not_exists(#reads.#to, :zero) ADD staff_ids :to_set, version :one',
            ConditionExpression: `attribute_exists(pk) AND #status = :open AND ${expectedIs(expected)} AND (attribute_not_exists(asg) OR asg <> :to)`,
            ExpressionAttributeNames: { '#status': 'status', '#reads': 'reads', '#to': keys.reader(staffId) },
            ExpressionAttributeValues: {
              ':to': staffId,
              ':to_set': new Set([staffId]),
              ':at': atMs,
              ':zero': 0,
              ':one': 1,
              ':open': 'open',
              ...(expected === null ? {} : { ':expected': expected }),
            },
          };
    const result = await this.rooms.updateRoom(roomId, update);
    if ('seen' in result) {
      const { seen } = result;
      if (seen === null) return { kind: 'not_found' };
      if (seen.status !== 'open') return { kind: 'closed' };
      const current = typeof seen.asg === 'string' ? seen.asg : null;
      if (current !== staffId) return { kind: 'conflict', assigneeId: current };
      // Already as asked; a failure may have left the membership unrecorded: a retry finishes it.
      const unchanged = toRoom(seen);
      if (staffId !== null) await this.ensureListed(roomId, staffId, at);
      return { kind: 'unchanged', room: unchanged };
    }
    if (staffId !== null) await this.ensureListed(roomId, staffId, at);
    return { kind: 'changed', room: result.room };
  }

  /** Takes the room from `staffId` if they have it (they are leaving it); null when they did not. */
  async releaseIfAssignee(roomId: string, staffId: string, at: string): Promise<Room | null> {
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression: 'REMOVE asg SET asgat = :at ADD version :one',
          ConditionExpression: 'attribute_exists(pk) AND asg = :me',
          ExpressionAttributeValues: { ':me': staffId, ':at': Date.parse(at), ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRoom(Attributes as Item);
    } catch (error) {
      if (conditionFailed(error)) return null;
      throw error;
    }
  }

  /** The next round-robin turn: one atomic counter, whichever container asks. */
  async nextTurn(): Promise<number> {
    const { Attributes } = await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keys.assignmentTurn,
        UpdateExpression: 'ADD turn :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.turn ?? 0);
  }

  /** The rooms each staff member is counted as having, in one batch per 100 of them. */
  async loadsOf(staffIds: readonly string[]): Promise<Map<string, string[]>> {
    const loads = new Map<string, string[]>(staffIds.map((id) => [id, []]));
    for (const item of await this.table.batchGet(staffIds.map((id) => keys.staffLoad(id)))) {
      loads.set(String(item.staff_id), toStringArray(item.rooms));
    }
    return loads;
  }

  /**
   * Counts a room for a staff member unless they already have `cap` (or, without a cap, always): one
   * conditional update, so two rooms given out at once never take one person past the cap. Adding a room
   * they already have changes nothing, so a retry never counts twice.
   */
  addLoad(staffId: string, roomId: string, cap?: number): Promise<boolean> {
    return applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.staffLoad(staffId),
          UpdateExpression: 'SET staff_id = :staff ADD rooms :room',
          ...(cap === undefined
            ? {}
            : {
                ConditionExpression:
                  'attribute_not_exists(rooms) OR size(rooms) < :cap OR contains(rooms, :id)',
              }),
          ExpressionAttributeValues: {
            ':staff': staffId,
            ':room': new Set([roomId]),
            ...(cap === undefined ? {} : { ':cap': cap, ':id': roomId }),
          },
        }),
      ),
    );
  }

  /** Stops counting rooms for a staff member (given away, unassigned, closed); absent ones are fine. */
  async dropLoad(staffId: string, roomIds: readonly string[]): Promise<void> {
    if (roomIds.length === 0) return;
    await this.table.updateIfExists(keys.staffLoad(staffId), {
      UpdateExpression: 'DELETE rooms :rooms',
      ExpressionAttributeValues: { ':rooms': new Set(roomIds) },
    });
  }

  /** Rooms by id (for the loads' check against the rooms themselves); gone ones are left out. */
  async roomsById(roomIds: readonly string[]): Promise<Room[]> {
    return (await this.table.batchGet(roomIds.map((id) => keys.room(id)))).map(toRoom);
  }

  private async ensureListed(roomId: string, staffId: string, at: string): Promise<void> {
    if (!(await this.rooms.isListedMember(roomId, staffId))) await this.rooms.putMember(roomId, staffId, at);
  }
}

/** The condition that the room is assigned to `expected` (null: to nobody). */
const expectedIs = (expected: string | null) =>
  expected === null ? 'attribute_not_exists(asg)' : 'asg = :expected';
