import type { UserKind } from './namespaces.js';

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
}
