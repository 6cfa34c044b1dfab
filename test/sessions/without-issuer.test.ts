import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/runtime/config.js';
import { useLocalStack } from '../support/stack.js';
import { guestSession, post } from './support.js';

// A stack deployed without a session issuer (SESSION_ISSUER and SESSION_KEY_ID unset): no sessions at all.
const stack = useLocalStack({ environment: { [ENV.sessionIssuer]: '', [ENV.sessionKeyId]: '' } });

describe('a stack without a session issuer', () => {
  it('answers both session routes 404 not_found, writing and signing nothing', async () => {
    stack.current.dynamo.resetStats();
    const answers = [
      await guestSession(stack.current),
      await post(stack.current, '/guest-sessions/revoke/', { refresh_token: 'x' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        error: { code: 'not_found', message: 'This stack has no session issuer' },
      });
    }
    expect(stack.current.dynamo.stats()).toEqual({});
    expect(stack.current.kms.calls.Sign).toBe(0);
  });
});
