import { type Actor, Role } from '../domain/types.js';
import type { Config } from './config.js';

/**
 * A group claim as it may arrive: API Gateway's HTTP JWT authorizer flattens arrays to the string
 * `"[staff admin]"`; other paths deliver a real array, a JSON array text, or a comma/space separated list.
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // Not JSON: API Gateway's "[a b]" form.
    }
    return text
      .slice(1, -1)
      .split(/[\s,]+/)
      .filter(Boolean);
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

/**
 * The caller, from verified token claims only. Returns null when the token names no user.
 */
export function actorFromClaims(claims: Record<string, unknown> | undefined, config: Config): Actor | null {
  const userId = claims?.[config.userIdClaim];
  if (typeof userId !== 'string' || userId === '') return null;
  const staff = parseGroups(claims?.[config.staffClaim]).includes(config.staffGroup);
  return { userId, role: staff ? Role.staff : Role.customer };
}
