import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { main } from '../../smoke/cli.js';
import { SMOKE_STEPS } from '../../smoke/conversation.js';
import { readStackEndpoints, type StackReader } from '../../smoke/stack-outputs.js';
import { useLocalStack } from '../support/stack.js';

const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-keys-'));
const stack = useLocalStack({ keyDir });

const run = async (argv: string[], env: Record<string, string> = {}, stackReader?: StackReader) => {
  const lines: string[] = [];
  const code = await main(argv, {
    out: (line) => lines.push(line),
    env,
    keyDir,
    ...(stackReader ? { stackReader } : {}),
  });
  return { code, lines };
};

/**
 * A stand-in for CloudFormation's DescribeStacks, the one AWS service this test cannot reach: it answers with
 * the local stack's endpoints as a deployed stack's outputs.
 */
const fakeCloudFormation = (outputs: Record<string, string>) => {
  const asked: unknown[] = [];
  const reader: StackReader = {
    send: async (command: DescribeStacksCommand) => {
      asked.push(command.input);
      return {
        Stacks: [
          {
            Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      };
    },
  };
  return { reader, asked };
};

describe('npm run smoke', () => {
  it('runs against the endpoints and tokens it is given, one line per step, and exits 0', async () => {
    const [customer, staff] = await Promise.all([
      stack.current.issuer.mint({ userId: 'cli-customer' }),
      stack.current.issuer.mint({ userId: 'cli-staff', staff: true }),
    ]);
    const { code, lines } = await run(
      ['--http-url', stack.current.httpUrl, '--ws-url', stack.current.wsUrl],
      {
        SMOKE_CUSTOMER_TOKEN: customer,
        SMOKE_STAFF_TOKEN: staff,
      },
    );
    expect(lines[0]).toBe(`Smoke test against ${stack.current.httpUrl} and ${stack.current.wsUrl}`);
    expect(lines.slice(1, -1).map((line) => line.replace(/ {2}\(\d+ ms\)$/, ''))).toEqual(
      SMOKE_STEPS.map((name) => `PASS  ${name}`),
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^PASSED: ${SMOKE_STEPS.length} of ${SMOKE_STEPS.length} steps in \\d+\\.\\d s$`),
    );
    expect(code).toBe(0);
  });

  it('reads the endpoints from the stack’s outputs with --stack, and mints local tokens with --local', async () => {
    const cloudFormation = fakeCloudFormation({
      HttpApiUrl: `${stack.current.httpUrl}/`,
      WebSocketUrl: stack.current.wsUrl,
      TableName: 'x',
    });
    const { code, lines } = await run(['--stack', 'LiveChatTest', '--local'], {}, cloudFormation.reader);
    expect(cloudFormation.asked).toEqual([{ StackName: 'LiveChatTest' }]);
    expect(lines.at(-1)).toMatch(/^PASSED: /);
    expect(code).toBe(0);
  });

  it('exits 1 when a step fails', async () => {
    const customer = await stack.current.issuer.mint({ userId: 'cli-customer-2' });
    const { code, lines } = await run(
      ['--http-url', stack.current.httpUrl, '--ws-url', stack.current.wsUrl, '--customer-token', customer],
      { SMOKE_STAFF_TOKEN: customer },
    );
    expect(lines.find((line) => line.startsWith('FAIL'))).toMatch(
      /^FAIL {2}staff sees the room in the queue/,
    );
    expect(lines.at(-1)).toMatch(/^FAILED: 2 of 9 steps/);
    expect(code).toBe(1);
  });

  it.each([
    { argv: [], why: 'no target' },
    { argv: ['--http-url', 'http://x'], why: 'half a target' },
    { argv: ['--stack', 'S', '--http-url', 'http://x', '--ws-url', 'ws://x'], why: 'two targets' },
    { argv: ['--http-url', 'http://x', '--ws-url', 'ws://x'], why: 'no tokens' },
    { argv: ['--local', '--step-timeout', 'soon'], why: 'a bad step timeout' },
    { argv: ['--frobnicate'], why: 'an unknown option' },
  ])('exits 2 with the usage for $why', async ({ argv }) => {
    const { code, lines } = await run(argv);
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('usage: npm run smoke');
  });
});

describe('readStackEndpoints', () => {
  it('refuses a stack without the live chat outputs', async () => {
    await expect(readStackEndpoints('Other', fakeCloudFormation({ BucketName: 'b' }).reader)).rejects.toThrow(
      'stack Other has no HttpApiUrl and WebSocketUrl outputs',
    );
  });
});
