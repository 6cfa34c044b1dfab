import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { main } from '../../smoke/cli.js';
import type { CognitoAdmin } from '../../smoke/cognito-users.js';
import { SMOKE_STEPS } from '../../smoke/conversation.js';
import { readStackEndpoints, type StackReader } from '../../smoke/stack-outputs.js';
import { useLocalStack } from '../support/stack.js';

const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-keys-'));
const stack = useLocalStack({ keyDir });
/** The socket on the public origin (the local edge), where deployed clients find it. */
const publicWs = () => `${stack.current.httpUrl.replace(/^http/, 'ws')}/ws`;

const run = async (
  argv: string[],
  env: Record<string, string> = {},
  stackReader?: StackReader,
  cognito?: CognitoAdmin,
) => {
  const lines: string[] = [];
  const code = await main(argv, {
    out: (line) => lines.push(line),
    env,
    keyDir,
    ...(stackReader ? { stackReader } : {}),
    ...(cognito ? { cognito } : {}),
  });
  return { code, lines };
};

/**
 * A stand-in for Cognito's admin API (it cannot run here): it keeps users and groups, checks the password
 * AdminInitiateAuth is given against the permanent one, and signs users in with tokens of the local issuer,
 * staff when they were added to the group `staff`. `fail` names a command (and user role) to refuse.
 */
const fakeCognito = (fail?: { command: string; role?: 'customer' | 'staff' }) => {
  const users = new Map<string, { password?: string; groups: string[] }>();
  const calls: string[] = [];
  const admin: CognitoAdmin = {
    send: async (command) => {
      const name = command.constructor.name.replace(/Command$/, '');
      const input = command.input as Record<string, any>;
      const username: string = input.Username ?? input.AuthParameters?.USERNAME;
      calls.push(`${name} ${username}`);
      if (fail && fail.command === name && (!fail.role || username.includes(`-${fail.role}@`))) {
        throw Object.assign(new Error(`${name} refused`), { name: 'NotAuthorizedException' });
      }
      switch (name) {
        case 'AdminCreateUser':
          expect(input.MessageAction).toBe('SUPPRESS');
          users.set(username, { groups: [] });
          return {};
        case 'AdminSetUserPassword':
          expect(input.Permanent).toBe(true);
          users.get(username)!.password = input.Password;
          return {};
        case 'AdminAddUserToGroup':
          users.get(username)!.groups.push(input.GroupName);
          return {};
        case 'AdminInitiateAuth': {
          expect(input).toMatchObject({
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            ClientId: 'smoke-client',
            UserPoolId: 'pool-1',
          });
          const user = users.get(username)!;
          expect(input.AuthParameters.PASSWORD).toBe(user.password);
          const token = await stack.current.issuer.mint({
            userId: username,
            staff: user.groups.includes('staff'),
          });
          return { AuthenticationResult: { AccessToken: token } };
        }
        case 'AdminDeleteUser':
          users.delete(username);
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return { admin, users, calls };
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

const cognitoStack = () =>
  fakeCloudFormation({
    // The raw APIs' outputs are unreachable here: the public ones must be the ones used.
    HttpApiUrl: 'http://127.0.0.1:1/',
    WebSocketUrl: 'ws://127.0.0.1:1/prod',
    PublicApiUrl: `${stack.current.httpUrl}/api/chat/`,
    PublicWebSocketUrl: publicWs(),
    UserPoolId: 'pool-1',
    SmokeTestClientId: 'smoke-client',
  }).reader;

describe('npm run smoke', () => {
  it('runs against the endpoints and tokens it is given, one line per step, and exits 0', async () => {
    const [customer, staff] = await Promise.all([
      stack.current.issuer.mint({ userId: 'cli-customer' }),
      stack.current.issuer.mint({ userId: 'cli-staff', staff: true }),
    ]);
    const { code, lines } = await run(['--http-url', stack.current.httpUrl, '--ws-url', publicWs()], {
      SMOKE_CUSTOMER_TOKEN: customer,
      SMOKE_STAFF_TOKEN: staff,
    });
    expect(lines[0]).toBe(`Smoke test against ${stack.current.httpUrl} and ${publicWs()}`);
    expect(lines.slice(1, -1).map((line) => line.replace(/ {2}\(\d+ ms\)$/, ''))).toEqual(
      SMOKE_STEPS.map((name) => `PASS  ${name}`),
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^PASSED: ${SMOKE_STEPS.length} of ${SMOKE_STEPS.length} steps in \\d+\\.\\d s$`),
    );
    expect(code).toBe(0);
  });

  it('reads the APIs’ own endpoints from a stack without public ones, and mints local tokens with --local', async () => {
    const cloudFormation = fakeCloudFormation({
      // A stack without a public origin: the APIs themselves.
      HttpApiUrl: `${stack.current.httpUrl}/`,
      WebSocketUrl: stack.current.wsUrl,
      TableName: 'x',
    });
    const { code, lines } = await run(['--stack', 'LiveChatTest', '--local'], {}, cloudFormation.reader);
    expect(cloudFormation.asked).toEqual([{ StackName: 'LiveChatTest' }]);
    expect(lines.at(-1)).toMatch(/^PASSED: /);
    expect(code).toBe(0);
  });

  it("creates a temporary customer and staff member through Cognito's admin API, and deletes them", async () => {
    const cognito = fakeCognito();
    const { code, lines } = await run(['--stack', 'LiveChat'], {}, cognitoStack(), cognito.admin);
    expect(code).toBe(0);
    const [customer, staff] = [...new Set(cognito.calls.map((c) => c.split(' ')[1]))];
    expect(customer).toMatch(/^live-chat-smoke-[0-9a-f]{8}-customer@example\.invalid$/);
    expect(cognito.calls).toEqual([
      `AdminCreateUser ${customer}`,
      `AdminSetUserPassword ${customer}`,
      `AdminInitiateAuth ${customer}`,
      `AdminCreateUser ${staff}`,
      `AdminSetUserPassword ${staff}`,
      `AdminAddUserToGroup ${staff}`,
      `AdminInitiateAuth ${staff}`,
      `AdminDeleteUser ${customer}`,
      `AdminDeleteUser ${staff}`,
    ]);
    expect(cognito.users.size).toBe(0);
    expect(lines).toContain(`Deleted temporary users ${customer} and ${staff}`);
    expect(lines.at(-1)).toMatch(/^PASSED: 9 of 9 steps/);
  });

  it('deletes the temporary users when the conversation fails', async () => {
    const cognito = fakeCognito();
    // A group that does not make them staff: the staff member cannot see the queue.
    const { code, lines } = await run(
      ['--stack', 'LiveChat', '--staff-group', 'helpers'],
      {},
      cognitoStack(),
      cognito.admin,
    );
    expect(code).toBe(1);
    expect(lines.find((l) => l.startsWith('FAIL'))).toMatch(/^FAIL {2}staff sees the room in the queue/);
    expect(cognito.users.size).toBe(0);
    expect(cognito.calls.filter((c) => c.startsWith('AdminDeleteUser'))).toHaveLength(2);
  });

  it('deletes the user it created when creating the other fails, and runs no conversation', async () => {
    const cognito = fakeCognito({ command: 'AdminInitiateAuth', role: 'staff' });
    const { code, lines } = await run(['--stack', 'LiveChat'], {}, cognitoStack(), cognito.admin);
    expect(code).toBe(1);
    expect(lines).toContain('FAIL  create temporary users: AdminInitiateAuth refused');
    expect(cognito.users.size).toBe(0);
    expect(lines.some((l) => l.startsWith('PASS'))).toBe(false);
  });

  it('fails when a temporary user cannot be deleted, even after a passing conversation', async () => {
    const cognito = fakeCognito({ command: 'AdminDeleteUser', role: 'staff' });
    const { code, lines } = await run(['--stack', 'LiveChat'], {}, cognitoStack(), cognito.admin);
    expect(lines.find((l) => l.startsWith('FAIL'))).toMatch(
      /^FAIL {2}delete temporary users: could not delete/,
    );
    expect(lines.at(-1)).toMatch(/^FAILED: 9 of 9 steps/);
    expect(code).toBe(1);
  });

  it('exits 1 when a step fails', async () => {
    const customer = await stack.current.issuer.mint({ userId: 'cli-customer-2' });
    const { code, lines } = await run(
      ['--http-url', stack.current.httpUrl, '--ws-url', publicWs(), '--customer-token', customer],
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
