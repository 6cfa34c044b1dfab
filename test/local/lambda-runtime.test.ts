import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT } from '../../lib/constructs/functions.js';
import { LambdaRuntime } from '../../local/lambda-runtime.js';

describe('LambdaRuntime', () => {
  it('gives every invocation the timeout the stack gives its functions', () => {
    expect(new LambdaRuntime().timeoutMs).toBe(FUNCTION_TIMEOUT.toMilliseconds());
  });
});
