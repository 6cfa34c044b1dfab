import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { allHandlers } from '../../lambdas/contract/routes.js';
import { readConfig } from '../../lib/config.js';
import { resourcesOfType, synthesize } from './synth.js';

const read = (context: Record<string, unknown>) =>
  readConfig(new App({ context }).node, mkdtempSync(join(tmpdir(), 'chat-root-')));

describe('the autoAssign context', () => {
  it('is off unless given, and refuses a bad value at synth with the functions own parser', () => {
    expect(read({}).autoAssign).toBeUndefined();
    expect(read({ autoAssign: 'round-robin:4' }).autoAssign).toBe('round-robin:4');
    expect(() => read({ autoAssign: 'round-robin' })).toThrow(
      'context autoAssign: must be off or round-robin:<cap> with a cap of 1 to 100, got "round-robin"',
    );
  });

  it('reaches every function of the chat as AUTO_ASSIGN when given, and no function otherwise', () => {
    // The chat's functions, not CDK's own (the buckets' auto-delete and deployment handlers have no environment).
    const environments = (context: Record<string, unknown>) =>
      Object.values(resourcesOfType(synthesize({ bundle: false, context }).json, 'AWS::Lambda::Function'))
        .map(
          (fn) => (fn.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables,
        )
        .filter((variables) => variables?.TABLE_NAME !== undefined) as Record<string, string>[];
    expect(environments({}).length).toBe(allHandlers().length);
    for (const variables of environments({ autoAssign: 'round-robin:4' }))
      expect(variables.AUTO_ASSIGN).toBe('round-robin:4');
    for (const variables of environments({})) expect(variables).not.toHaveProperty('AUTO_ASSIGN');
  });
});
