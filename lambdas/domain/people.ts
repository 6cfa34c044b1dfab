import { type ChatDeps, now } from './chat.js';
import { Conflict } from './errors.js';
import { kindOf } from './namespaces.js';
import {
  customerNameOnRoom,
  type Profile,
  type ProfileField,
  type ProfileFields,
  type ProfilePutResult,
  shownProfile,
} from './profiles.js';
import { type Actor, Role } from './types.js';

/**
 * People's profiles as use cases: what the caller says about themselves, what a host site's identity token
 * vouches for, and the name their open rooms show, which follows their profile's.
 */

/** The caller's own profile; an empty one (no write) if they never had any. */
export async function getMyProfile(deps: ChatDeps, actor: Actor): Promise<Profile> {
  return (await deps.store.getProfile(actor.userId)) ?? emptyProfile(actor.userId, now(deps).toISOString());
}

/**
 * The caller says who they are. A field an identity token set may be stated again as it is, never changed
 * (409 `profile_verified`). A customer's new name reaches their open rooms, so the queue shows it.
 */
export async function updateMyProfile(deps: ChatDeps, actor: Actor, fields: ProfileFields): Promise<Profile> {
  if (fields.name === undefined && fields.email === undefined) return getMyProfile(deps, actor);
  const at = now(deps).toISOString();
  let result = await deps.store.putSelfAssertedProfile(actor.userId, fields, at);
  if (result.kind === 'verified') {
    const stored = result.profile;
    const changed = stored.verifiedFields.filter(
      (field) => given(fields, field) && fields[field] !== stored[field],
    );
    if (changed.length > 0) throw profileVerified(changed);
    const rest = {
      ...(given(fields, 'name') && !stored.verifiedFields.includes('name') ? { name: fields.name } : {}),
      ...(given(fields, 'email') && !stored.verifiedFields.includes('email') ? { email: fields.email } : {}),
    };
    if (rest.name === undefined && rest.email === undefined) return stored;
    result = await deps.store.putSelfAssertedProfile(actor.userId, rest, at);
    // An identity token verified the rest in the meantime.
    if (result.kind === 'verified') throw profileVerified(Object.keys(rest));
  }
  await followName(deps, actor, fields, result);
  return result.profile;
}

/**
 * What a host site's identity token says about its user (`site_…`): name and email become verified, and a
 * new name reaches the user's open rooms. For the guest-session upgrade.
 */
export async function recordVerifiedProfile(
  deps: ChatDeps,
  userId: string,
  fields: ProfileFields,
): Promise<Profile> {
  const result = await deps.store.putVerifiedProfile(userId, fields, now(deps).toISOString());
  await followName(deps, { userId, role: Role.customer }, fields, result);
  return result.profile;
}

/**
 * Sets the name each open room of a customer shows to their profile's (as shown: a linked guest's is the
 * verified person's). For rooms that changed hands (a guest's rooms, now the verified user's), and for a
 * retry after a rename that failed half way. Returns how many rooms changed.
 */
export async function syncCustomerName(deps: ChatDeps, customerId: string): Promise<number> {
  const profile = await shownProfile(deps.store, customerId);
  return renameOpenRooms(deps, customerId, profile?.name ?? null);
}

/**
 * A customer's open rooms follow their name whenever a write names it, changed or not: a rename that failed
 * after the profile write is finished by the next one. Staff names are read from profiles when shown.
 */
async function followName(deps: ChatDeps, actor: Actor, fields: ProfileFields, result: ProfilePutResult) {
  if (actor.role !== Role.customer || fields.name === undefined) return;
  await renameOpenRooms(deps, actor.userId, result.profile.name);
}

async function renameOpenRooms(deps: ChatDeps, customerId: string, name: string | null): Promise<number> {
  const roomIds = await deps.store.openRoomIdsOf({ userId: customerId, role: Role.customer });
  const shown = customerNameOnRoom(name);
  const renamed = await Promise.all(
    roomIds.map((roomId) => deps.store.renameCustomer(roomId, customerId, shown)),
  );
  return renamed.filter((room) => room !== null).length;
}

const given = (fields: ProfileFields, field: ProfileField) => fields[field] !== undefined;

const profileVerified = (fields: readonly string[]) =>
  new Conflict(
    `The ${fields.join(' and ')} came from your sign-in on the website and cannot be changed here`,
    'profile_verified',
  );

function emptyProfile(userId: string, at: string): Profile {
  return {
    userId,
    kind: kindOf(userId),
    name: null,
    email: null,
    verified: false,
    verifiedFields: [],
    linkedTo: null,
    createdAt: at,
    updatedAt: at,
  };
}
