import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidIdentityToken } from '../../lambdas/domain/sessions.js';
import { IdentitySecrets } from '../../lambdas/runtime/identity-secret.js';
import { LOCAL_IDENTITY_SECRET_ID, signIdentityToken } from '../../local/identity-secret.js';
import { LocalSecretsManager } from '../../local/secrets.js';

let secrets: LocalSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  secrets = new LocalSecretsManager({ keyDir: await mkdtemp(path.join(tmpdir(), 'live-chat-secret-')) });
  await secrets.start();
  client = new SecretsManagerClient({
    endpoint: secrets.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await secrets.close();
});

describe('the local Secrets Manager', () => {
  const get = (input: { SecretId: string; VersionStage?: string; VersionId?: string }) =>
    client.send(new GetSecretValueCommand(input));

  it('answers AWSCURRENT by default, and AWSPREVIOUS after a rotation, as AWS shapes them', async () => {
    const before = await secrets.versions();
    const current = await get({ SecretId: LOCAL_IDENTITY_SECRET_ID });
    expect(current).toMatchObject({
      ARN: secrets.arn,
      Name: LOCAL_IDENTITY_SECRET_ID,
      SecretString: before.current,
      VersionStages: ['AWSCURRENT'],
      VersionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    const rotated = await secrets.rotate();
    const previous = await get({ SecretId: secrets.arn, VersionStage: 'AWSPREVIOUS' });
    expect(previous).toMatchObject({ SecretString: before.current, VersionStages: ['AWSPREVIOUS'] });
    // A version keeps its id when it moves from one label to the other.
    expect(previous.VersionId).toBe(current.VersionId);
    expect(
      (await get({ SecretId: LOCAL_IDENTITY_SECRET_ID, VersionId: current.VersionId ?? '' })).SecretString,
    ).toBe(before.current);
    expect((await get({ SecretId: LOCAL_IDENTITY_SECRET_ID, VersionStage: 'AWSCURRENT' })).SecretString).toBe(
      rotated.current,
    );
  });

  it.each([
    ['an unknown secret', { SecretId: 'someone-else' }],
    ['an unknown stage', { SecretId: LOCAL_IDENTITY_SECRET_ID, VersionStage: 'AWSPENDING' }],
    [
      'an unknown version',
      { SecretId: LOCAL_IDENTITY_SECRET_ID, VersionId: '00000000-0000-0000-0000-000000000000' },
    ],
  ])('answers %s with ResourceNotFoundException', async (_case, input) => {
    await expect(get(input)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('IdentitySecrets', () => {
  let clock: number;
  let identity: IdentitySecrets;
  const calls = () => secrets.calls.GetSecretValue;
  // Valid for the whole test's clock, which moves up to five minutes ahead of the real one.
  const sign = async (sub: string) =>
    signIdentityToken((await secrets.versions()).current, { sub, ttlSeconds: 590 });

  beforeEach(() => {
    clock = Date.now();
    identity = new IdentitySecrets({ secretId: LOCAL_IDENTITY_SECRET_ID, client, now: () => clock });
  });

  it('reads both versions once and answers from them for five minutes', async () => {
    const before = calls();
    expect((await identity.verify(await sign('a'))).sub).toBe('a');
    expect(calls() - before).toBe(2);
    clock += 4 * 60_000;
    await identity.verify(await sign('b'));
    expect(calls() - before).toBe(2);
    clock += 60_000;
    await identity.verify(await sign('c'));
    expect(calls() - before).toBe(4);
  });

  it('shares one read between concurrent first tokens', async () => {
    const before = calls();
    const token = await sign('together');
    await Promise.all([identity.verify(token), identity.verify(token), identity.verify(token)]);
    expect(calls() - before).toBe(2);
  });

  it('picks up a rotation with the first token that needs it once its versions are 30 s old, not before', async () => {
    await identity.verify(await sign('before'));
    await secrets.rotate();
    const fresh = await sign('after');
    const before = calls();
    clock += 29_000;
    await expect(identity.verify(fresh)).rejects.toBeInstanceOf(InvalidIdentityToken);
    expect(calls() - before).toBe(0);
    clock += 1_000;
    expect((await identity.verify(fresh)).sub).toBe('after');
    expect(calls() - before).toBe(2);
  });

  it('reads again at most once per 30 s however many forged tokens come', async () => {
    await identity.verify(await sign('warm'));
    clock += 30_000;
    const before = calls();
    const forged = await signIdentityToken('a-secret-nobody-has', { sub: 'mallory' });
    for (let i = 0; i < 5; i++)
      await expect(identity.verify(forged)).rejects.toBeInstanceOf(InvalidIdentityToken);
    expect(calls() - before).toBe(2);
  });

  it('fails with the SDK’s error, not a refused token, when Secrets Manager is out of reach', async () => {
    const port = Number(new URL(secrets.url).port);
    await secrets.close();
    try {
      const error = await identity.verify(await sign('outage')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(InvalidIdentityToken);
    } finally {
      await secrets.start(port);
    }
  });
});
