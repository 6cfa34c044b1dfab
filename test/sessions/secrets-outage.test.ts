import { describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../local/identity-secret.js';
import { useLocalStack } from '../support/stack.js';
import { guestSession, withLogs } from './support.js';

// A stack of its own: the container must not have read the secret before the outage.
const stack = useLocalStack();
const exchange = (token: string) => guestSession(stack.current, { identity_token: token });

describe('identity tokens while Secrets Manager is out of reach', () => {
  it('answers 500 (ours, not a bad token) while Secrets Manager cannot be reached, and works once it is back', async () => {
    const secrets = stack.current.secrets;
    const port = Number(new URL(secrets.url).port);
    const token = await signIdentityToken((await secrets.versions()).current, { sub: 'during-outage' });
    await secrets.close();
    const { result: response, logs } = await withLogs(() => exchange(token));
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'Unhandled error',
        error: expect.objectContaining({ code: 'ECONNREFUSED' }),
      }),
    );
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side',
        request_id: expect.any(String),
      },
    });
    await secrets.start(port);
    // The jti was never claimed: the same token works now.
    expect((await exchange(token)).status).toBe(201);
  });
});
