/**
 * What someone was writing in a room, kept across a reload of the page: in sessionStorage (this tab only, gone
 * when it closes, so an unsent draft does not outlive the visit on a shared device), by user and room.
 */
const key = (userId: string, roomId: string) => `live-chat:draft:${encodeURIComponent(userId)}:${roomId}`;

export function readDraft(userId: string, roomId: string): string {
  try {
    return sessionStorage.getItem(key(userId, roomId)) ?? '';
  } catch {
    // Storage switched off (a privacy setting): no draft kept, and nothing else is lost.
    return '';
  }
}

/** Keeps the draft, or forgets it when empty (a sent message's draft is gone). */
export function writeDraft(userId: string, roomId: string, text: string): void {
  try {
    if (text === '') sessionStorage.removeItem(key(userId, roomId));
    else sessionStorage.setItem(key(userId, roomId), text);
  } catch (error) {
    // Full or switched off: the draft lives on in the composer, only not across a reload.
    console.warn('[live-chat] the draft could not be kept', error);
  }
}
