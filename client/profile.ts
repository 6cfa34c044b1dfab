import type { ChatHttp } from './http.js';
import type { Profile } from './wire.js';

/** The most characters a display name may have (the server refuses more). */
export const DISPLAY_NAME_MAX_CHARS = 80;

/**
 * Gives the caller's profile a display name if it has none: what a console or a widget page does after
 * sign-in with the name the sign-in knows. A profile that has a name keeps it (the person, or a host site's
 * identity token, chose it); a name that is only the user id, or is blank, is not worth storing. The name is
 * trimmed and cut to 80 characters. One GET, and a POST only when it sets the name.
 *
 * @example await ensureDisplayName(http, session.displayName, session.userId);
 */
export async function ensureDisplayName(
  http: Pick<ChatHttp, 'getProfile' | 'updateProfile'>,
  displayName: string,
  userId: string,
): Promise<Profile> {
  const profile = await http.getProfile();
  const name = [...displayName.replace(/\p{Cc}/gu, ' ').trim()]
    .slice(0, DISPLAY_NAME_MAX_CHARS)
    .join('')
    .trim();
  if (profile.name !== null || name === '' || name === userId) return profile;
  return http.updateProfile({ name });
}
