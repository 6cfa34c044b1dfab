import { randomUUID } from 'node:crypto';
import type { ChatDeps } from './chat.js';
import { now } from './chat.js';
import { Conflict, NotFound, staffOnly } from './errors.js';
import { type Actor, Role } from './types.js';

/**
 * Canned replies: the team's saved answers ("Where is my order", "Refund policy"), each with a title, a
 * unique shortcut that the console's composer completes after `/`, and a text in which `{customer_name}` and
 * `{agent_name}` are filled in by the console when the reply is inserted (the server stores them as written:
 * the same reply serves every room). Staff only, whole team: customers get 403 on every route.
 *
 * Their number is bounded (`CANNED_REPLIES_MAX`, 200 by default), so the whole list is one small Query and every
 * console can keep all of them for completion without paging.
 */

/** The placeholders a text may hold; anything else in braces is refused, so a typo cannot reach a customer. */
export const PLACEHOLDERS = ['customer_name', 'agent_name'] as const;

export interface CannedReply {
  readonly id: string;
  readonly title: string;
  /** Lowercase letters, digits, `-` and `_`; unique in the team. */
  readonly shortcut: string;
  readonly text: string;
  readonly createdBy: string;
  readonly updatedAt: string;
}

export interface CannedReplyInput {
  readonly title: string;
  readonly shortcut: string;
  readonly text: string;
}

export type CannedWriteResult =
  | { readonly kind: 'stored'; readonly reply: CannedReply }
  | { readonly kind: 'shortcut_taken'; readonly replyId: string }
  | { readonly kind: 'full' }
  | { readonly kind: 'not_found' };

/** Storage of canned replies (lambdas/storage/canned-reply-store.ts). */
export interface CannedReplyStore {
  listCannedReplies(): Promise<CannedReply[]>;
  /** Stores a new reply: counted against `max`, its shortcut taken by a conditional write. */
  createCannedReply(reply: CannedReply, max: number): Promise<CannedWriteResult>;
  /** Replaces a reply's fields; a new shortcut is taken first, the old one let go after. */
  updateCannedReply(reply: CannedReply): Promise<CannedWriteResult>;
  /** Deletes a reply and lets its shortcut go; false when there was none. */
  deleteCannedReply(replyId: string): Promise<boolean>;
}

export interface CannedDeps extends ChatDeps {
  readonly cannedReplies: CannedReplyStore;
  /** The most replies the team may keep. */
  readonly maxReplies: number;
}

const replyNotFound = () => new NotFound('Canned reply not found', 'canned_reply_not_found');

/** 403 for anyone but staff; the routes ask before they read a body, so a customer learns nothing more. */
export function requireStaff(actor: Actor): void {
  if (actor.role !== Role.staff) throw staffOnly();
}

function outcome(result: CannedWriteResult, shortcut: string, max: number): CannedReply {
  switch (result.kind) {
    case 'stored':
      return result.reply;
    case 'shortcut_taken':
      throw new Conflict(`The shortcut /${shortcut} is taken by another reply`, 'shortcut_taken');
    case 'full':
      throw new Conflict(
        `The team has ${max} canned replies, the most it may keep; delete one first`,
        'canned_replies_full',
      );
    default:
      throw replyNotFound();
  }
}

/** Every canned reply of the team, by shortcut. */
export async function listCannedReplies(deps: CannedDeps, actor: Actor): Promise<CannedReply[]> {
  requireStaff(actor);
  const replies = await deps.cannedReplies.listCannedReplies();
  return replies.sort((a, b) => a.shortcut.localeCompare(b.shortcut));
}

export async function createCannedReply(
  deps: CannedDeps,
  actor: Actor,
  input: CannedReplyInput,
): Promise<CannedReply> {
  requireStaff(actor);
  const reply: CannedReply = {
    id: randomUUID(),
    ...input,
    createdBy: actor.userId,
    updatedAt: now(deps).toISOString(),
  };
  const result = await deps.cannedReplies.createCannedReply(reply, deps.maxReplies);
  return outcome(result, input.shortcut, deps.maxReplies);
}

export async function updateCannedReply(
  deps: CannedDeps,
  actor: Actor,
  replyId: string,
  input: CannedReplyInput,
): Promise<CannedReply> {
  requireStaff(actor);
  const reply: CannedReply = {
    id: replyId,
    ...input,
    createdBy: actor.userId,
    updatedAt: now(deps).toISOString(),
  };
  return outcome(await deps.cannedReplies.updateCannedReply(reply), input.shortcut, deps.maxReplies);
}

export async function deleteCannedReply(deps: CannedDeps, actor: Actor, replyId: string): Promise<void> {
  requireStaff(actor);
  if (!(await deps.cannedReplies.deleteCannedReply(replyId))) throw replyNotFound();
}
