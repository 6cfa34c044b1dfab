import { ChatApiError, ChatNetworkError } from '../../client/errors.js';

/**
 * One JSON call to the chat API for the routes the typed client does not cover (the guest sessions, which
 * the embedded widget alone uses). Resolves with the JSON, or rejects with a {@link ChatApiError} (status, `code`) or a
 * {@link ChatNetworkError}, as {@link ChatHttp} does.
 */
export async function callApi<T>(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (method === 'POST') headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: JSON.stringify(options.body ?? {}) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new ChatNetworkError(`${method} ${path} failed`, { cause: error });
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a gateway's own page): the status says enough below.
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new ChatApiError(
      response.status,
      typeof error?.code === 'string' ? error.code : `http_${response.status}`,
      typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
    );
  }
  return json as T;
}
