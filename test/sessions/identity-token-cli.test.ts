import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadLocalIdentitySecret } from '../../local/identity-secret.js';
import { defaultKeyDir } from '../../local/issuer.js';
import { repoRoot } from '../../local/lambda-runtime.js';

const run = promisify(execFile);
/** `npm run identity-token -- …` runs this; calling tsx directly keeps npm's banner out of the comparison. */
const cli = (args: string[]) =>
  run(
    path.join(repoRoot, 'node_modules', '.bin', 'tsx'),
    [path.join(repoRoot, 'local', 'identity-token.ts'), ...args],
    {
      cwd: repoRoot,
    },
  );

describe('npm run identity-token', () => {
  it('prints one identity token and nothing else, signed with the local identity secret', async () => {
    const { stdout, stderr } = await cli([
      'u42',
      '--name',
      'Ada Lovelace',
      '--email',
      'ada@example.com',
      '--ttl',
      '120',
    ]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { current } = await loadLocalIdentitySecret(defaultKeyDir);
    const { payload, protectedHeader } = await jwtVerify(stdout.trim(), new TextEncoder().encode(current), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({
      sub: 'u42',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 120,
    });
  });

  it.each([
    ['no user id', []],
    ['a ttl beyond what the stack accepts', ['u42', '--ttl', '601']],
    ['two user ids', ['u1', 'u2']],
  ])('refuses %s with exit code 2 and usage on stderr', async (_case, args) => {
    const failed = await cli(args).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).not.toBe('');
  });
});
