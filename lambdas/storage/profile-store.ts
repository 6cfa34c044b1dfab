import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { kindOf, UserKind } from '../domain/namespaces.js';
import {
  type Profile,
  ProfileField,
  type ProfileFields,
  type ProfileLinkResult,
  type ProfilePorts,
  type ProfilePutResult,
  type RoomPeople,
} from '../domain/profiles.js';
import { toStringArray } from './items.js';
import { keys } from './keys.js';
import type { Item, Table } from './table.js';

const FIELDS = [ProfileField.name, ProfileField.email] as const;

/**
 * Profiles, one item per person (`PROFILE#<user>` / `PROFILE`). Every write is one UpdateItem that creates the
 * item if need be and says what it replaced (`ALL_OLD`), so a caller learns whether the name changed (and the
 * person's open rooms must follow) without a read first. The fields an identity token set are listed in
 * `verified_fields`, and a self-asserted write is refused by its condition if it names one of them.
 */
export class ProfileStore implements ProfilePorts {
  constructor(private readonly table: Table) {}

  async getProfile(userId: string): Promise<Profile | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.profile(userId), ConsistentRead: true }),
    );
    return Item ? toProfile(Item) : null;
  }

  async getProfiles(userIds: readonly string[]): Promise<Map<string, Profile>> {
    const unique = [...new Set(userIds)];
    const found = new Map<string, Profile>();
    if (unique.length === 0) return found;
    for (const item of await this.table.batchGet(unique.map((id) => keys.profile(id)))) {
      const profile = toProfile(item);
      found.set(profile.userId, profile);
    }
    return found;
  }

  async getRoomPeople(roomId: string, userIds: readonly string[]): Promise<RoomPeople> {
    const contextKey = keys.roomContext(roomId);
    const unique = [...new Set(userIds)];
    const profiles = new Map<string, Profile>();
    let context: RoomPeople['context'] = null;
    for (const item of await this.table.batchGet([contextKey, ...unique.map((id) => keys.profile(id))])) {
      if (item.sk === contextKey.sk)
        context = { pageUrl: typeof item.page_url === 'string' ? item.page_url : null };
      else {
        const profile = toProfile(item);
        profiles.set(profile.userId, profile);
      }
    }
    return { profiles, context };
  }

  async putSelfAssertedProfile(userId: string, fields: ProfileFields, at: string): Promise<ProfilePutResult> {
    const given = FIELDS.filter((field) => fields[field] !== undefined);
    // Refused if any field given was set by an identity token (contains() on a missing set is false).
    const condition = given
      .map((field) => `(attribute_not_exists(verified_fields) OR NOT contains(verified_fields, :f_${field}))`)
      .join(' AND ');
    const values = Object.fromEntries(given.map((field) => [`:f_${field}`, field]));
    try {
      return await this.update(userId, fields, at, {
        verified: false,
        ...(condition ? { condition, conditionValues: values } : {}),
      });
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, keys.profile(userId));
      if (!seen) throw new Error(`A profile write for ${userId} was refused, but there is no profile`);
      return { kind: 'verified', profile: toProfile(seen) };
    }
  }

  async putVerifiedProfile(userId: string, fields: ProfileFields, at: string): Promise<ProfilePutResult> {
    if (kindOf(userId) !== UserKind.verified) throw new Error(`Only a site_ user is verified, not ${userId}`);
    return this.update(userId, fields, at, { verified: true });
  }

  async linkProfile(guestId: string, verifiedUserId: string, at: string): Promise<ProfileLinkResult> {
    if (kindOf(guestId) !== UserKind.guest || kindOf(verifiedUserId) !== UserKind.verified)
      throw new Error(`Only a guest links to a verified user, not ${guestId} to ${verifiedUserId}`);
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.profile(guestId),
          UpdateExpression:
            'SET #type = :type, user_id = :id, #kind = :kind, verified = if_not_exists(verified, :false),' +
            ' created_at = if_not_exists(created_at, :at), updated_at = :at, linked_to = :to',
          ConditionExpression: 'attribute_not_exists(linked_to) OR linked_to = :to',
          ExpressionAttributeNames: { '#type': 'type', '#kind': 'kind' },
          ExpressionAttributeValues: {
            ':type': 'profile',
            ':id': guestId,
            ':kind': kindOf(guestId),
            ':false': false,
            ':at': at,
            ':to': verifiedUserId,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'linked', profile: toProfile(Attributes as Item) };
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, keys.profile(guestId));
      return { kind: 'linked_elsewhere', linkedTo: String(seen?.linked_to) };
    }
  }

  /**
   * Sets the given fields (creating the profile if need be); a verified write also marks them verified. The
   * profile after the write is the one before with the same changes, so one call tells both.
   */
  private async update(
    userId: string,
    fields: ProfileFields,
    at: string,
    options: { verified: boolean; condition?: string; conditionValues?: Item },
  ): Promise<ProfilePutResult> {
    const given = FIELDS.filter((field) => fields[field] !== undefined);
    const sets = [
      '#type = :type',
      'user_id = :id',
      '#kind = :kind',
      options.verified ? 'verified = :true' : 'verified = if_not_exists(verified, :false)',
      'created_at = if_not_exists(created_at, :at)',
      'updated_at = :at',
      ...given.map((field) => `#${field} = :${field}`),
    ];
    const addVerified = options.verified && given.length > 0;
    const { Attributes } = await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keys.profile(userId),
        UpdateExpression: `SET ${sets.join(', ')}${addVerified ? ' ADD verified_fields :verified_fields' : ''}`,
        ...(options.condition ? { ConditionExpression: options.condition } : {}),
        ExpressionAttributeNames: {
          '#type': 'type',
          '#kind': 'kind',
          ...Object.fromEntries(given.map((field) => [`#${field}`, field])),
        },
        ExpressionAttributeValues: {
          ':type': 'profile',
          ':id': userId,
          ':kind': kindOf(userId),
          ':at': at,
          ...(options.verified ? { ':true': true } : { ':false': false }),
          ...Object.fromEntries(given.map((field) => [`:${field}`, fields[field]])),
          ...(addVerified ? { ':verified_fields': new Set(given) } : {}),
          ...options.conditionValues,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = Attributes ? toProfile(Attributes as Item) : null;
    const profile: Profile = {
      userId,
      kind: kindOf(userId),
      name: fields.name ?? before?.name ?? null,
      email: fields.email ?? before?.email ?? null,
      verified: options.verified || (before?.verified ?? false),
      verifiedFields: options.verified
        ? FIELDS.filter((field) => given.includes(field) || before?.verifiedFields.includes(field))
        : (before?.verifiedFields ?? []),
      linkedTo: before?.linkedTo ?? null,
      createdAt: before?.createdAt ?? at,
      updatedAt: at,
      // Never written here: a changed address simply stops matching it.
      ...(before?.confirmedEmail === undefined ? {} : { confirmedEmail: before.confirmedEmail }),
    };
    return { kind: 'updated', before, profile };
  }
}

/** A profile item read back; the kind always follows from the id, whatever was stored. */
export function toProfile(item: Item): Profile {
  const userId = String(item.user_id);
  const verifiedFields = toStringArray(item.verified_fields);
  return {
    userId,
    kind: kindOf(userId),
    name: typeof item.name === 'string' ? item.name : null,
    email: typeof item.email === 'string' ? item.email : null,
    verified: item.verified === true,
    verifiedFields: FIELDS.filter((field) => verifiedFields.includes(field)),
    linkedTo: typeof item.linked_to === 'string' ? item.linked_to : null,
    createdAt: String(item.created_at),
    updatedAt: String(item.updated_at),
    ...(typeof item.confirmed_email === 'string' ? { confirmedEmail: item.confirmed_email } : {}),
  };
}
