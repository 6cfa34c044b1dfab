import { AppError } from './errors.js';
import type { UserKind } from './namespaces.js';

/**
 * 401: the caller is a guest who became a verified user (its profile is linked): its session token lives out its
 * hour, but opens nothing new, so no room it opens afterwards can pass for the verified person.
 */
export class SessionUpgraded extends AppError {
  constructor() {
    super(401, 'session_upgraded', 'This guest session became a verified one: use the verified session');
  }
}

/** The fields of a profile a person can state, or a host site's identity token vouch for. */
export const ProfileField = { name: 'name', email: 'email' } as const;
export type ProfileField = (typeof ProfileField)[keyof typeof ProfileField];

/**
 * Who a user id is, as far as the chat knows: a display name and an email address, each either said by the
 * person (the widget's pre-chat form, the console's sign-in) or vouched for by the host site's identity token.
 * Kept in an item of its own, never in the room item (which every message rewrites).
 */
export interface Profile {
  readonly userId: string;
  readonly kind: UserKind;
  readonly name: string | null;
  readonly email: string | null;
  /** Whether an identity token vouched for this person (a `site_…` user). */
  readonly verified: boolean;
  /** The fields an identity token set: a self-asserted change of one of them is refused. */
  readonly verifiedFields: readonly ProfileField[];
  /** The verified user a guest became: the guest's id is shown as that person. */
  readonly linkedTo: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * The address a confirmation link proved (docs/email.md), absent when none did. It may be an older address
   * than `email` (the person changed it since): see {@link emailConfirmed}.
   */
  readonly confirmedEmail?: string;
}

/**
 * Whether the profile's address is proved, so staff replies may reach it by email: the host site's identity
 * token vouched for it, or a confirmation link proved this very address (a changed address is unproved until
 * its own link is opened). The same test as the notifier's `verifiedAddress` (lambdas/domain/email.ts).
 */
export function emailConfirmed(profile: Profile): boolean {
  if (profile.email === null) return false;
  return profile.verifiedFields.includes(ProfileField.email) || profile.confirmedEmail === profile.email;
}

/** What a put of profile fields changes; an absent field stays as it is. */
export interface ProfileFields {
  readonly name?: string | undefined;
  readonly email?: string | undefined;
}

export type ProfilePutResult =
  /** `before` is null when this put created the profile. */
  | { readonly kind: 'updated'; readonly before: Profile | null; readonly profile: Profile }
  /** A self-asserted put named a field an identity token set; nothing was written. */
  | { readonly kind: 'verified'; readonly profile: Profile };

export type ProfileLinkResult =
  | { readonly kind: 'linked'; readonly profile: Profile }
  /** The guest was already linked to someone else; nothing was written. */
  | { readonly kind: 'linked_elsewhere'; readonly linkedTo: string };

/** Profiles in storage (`lambdas/storage/profile-store.ts`). */
export interface ProfilePorts {
  getProfile(userId: string): Promise<Profile | null>;
  /** Profiles by user id in one batch; ids without a profile are absent from the map. */
  getProfiles(userIds: readonly string[]): Promise<Map<string, Profile>>;
  /** What a person says about themselves; refused (`verified`) for a field an identity token set. */
  putSelfAssertedProfile(userId: string, fields: ProfileFields, at: string): Promise<ProfilePutResult>;
  /** What a host site's identity token says: these fields become verified, and the profile `verified`. */
  putVerifiedProfile(userId: string, fields: ProfileFields, at: string): Promise<ProfilePutResult>;
  /** A guest became `verifiedUserId` (an upgraded guest session): the guest's id shows as that person. */
  linkProfile(guestId: string, verifiedUserId: string, at: string): Promise<ProfileLinkResult>;
  /** The profiles of a room's people and the room's context (its page URL), in one BatchGetItem. */
  getRoomPeople(roomId: string, userIds: readonly string[]): Promise<RoomPeople>;
}

export interface RoomPeople {
  readonly profiles: Map<string, Profile>;
  readonly context: RoomContext | null;
}

/** Where a room was opened: kept beside the room item (never in it), written once when the room is created. */
export interface RoomContext {
  readonly pageUrl: string | null;
}

/** A display name is at most this many characters (code points), in a profile and on the wire. */
export const NAME_MAX_CHARS = 80;
/**
 * The room item's copy of its customer's name is at most this many UTF-8 bytes: the room item is rewritten by
 * every message and stays under the 1 KB of one write unit (test/lambdas/storage/room-size.test.ts), and an
 * 80-character name in a script of 3 or 4 bytes a character would take 240-320 bytes.
 */
export const ROOM_NAME_MAX_BYTES = 48;
const ELLIPSIS = '…';

/** The customer's name as the room item keeps it: whole if it fits in 48 bytes, else cut with an ellipsis. */
export function customerNameOnRoom(name: string | null): string | null {
  if (name === null || Buffer.byteLength(name, 'utf8') <= ROOM_NAME_MAX_BYTES) return name;
  let bytes = Buffer.byteLength(ELLIPSIS, 'utf8');
  let kept = '';
  for (const char of name) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > ROOM_NAME_MAX_BYTES) break;
    bytes += size;
    kept += char;
  }
  return `${kept.trimEnd()}${ELLIPSIS}`;
}

/**
 * Profiles as people are shown: a guest linked to the verified user it became shows as that user (their
 * name, email and verification; the id stays the guest's). One BatchGetItem, and a second only for links
 * whose target was not among the ids asked for.
 */
export async function shownProfiles(
  store: Pick<ProfilePorts, 'getProfiles'>,
  found: Map<string, Profile>,
): Promise<Map<string, Profile>> {
  const missing = [...found.values()]
    .map((profile) => profile.linkedTo)
    .filter((id): id is string => id !== null && !found.has(id));
  const targets = missing.length > 0 ? await store.getProfiles(missing) : new Map<string, Profile>();
  const shown = new Map<string, Profile>();
  for (const [userId, profile] of found) {
    const target =
      profile.linkedTo === null ? undefined : (found.get(profile.linkedTo) ?? targets.get(profile.linkedTo));
    shown.set(userId, target ? { ...target, userId, linkedTo: profile.linkedTo } : profile);
  }
  return shown;
}

/** One person as shown (see {@link shownProfiles}), or null without a profile. */
export async function shownProfile(store: ProfilePorts, userId: string): Promise<Profile | null> {
  const profile = await store.getProfile(userId);
  if (!profile) return null;
  return (await shownProfiles(store, new Map([[userId, profile]]))).get(userId) ?? null;
}
