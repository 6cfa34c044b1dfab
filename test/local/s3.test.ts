import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalS3 } from '../../local/s3.js';

const BUCKET = 'chat-attachments-test';
const credentials = { accessKeyId: 'local-test', secretAccessKey: 'local-test-secret' };
const PAGE_ORIGIN = 'http://127.0.0.1:3000';
const TAGGING = '<Tagging><TagSet><Tag><Key>state</Key><Value>unsent</Value></Tag></TagSet></Tagging>';

let s3: LocalS3;
let client: S3Client;
/** The local S3's clock, moved by the expiry tests. */
let skewMs = 0;

beforeAll(async () => {
  s3 = new LocalS3({
    bucket: BUCKET,
    credentials: { [credentials.accessKeyId]: credentials.secretAccessKey },
    corsOrigins: () => [PAGE_ORIGIN],
    now: () => Date.now() + skewMs,
  });
  await s3.start();
  client = new S3Client({
    endpoint: s3.url,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});
beforeEach(() => {
  skewMs = 0;
});

let counter = 0;
/** A presigned POST as the create-attachment route makes it (lambdas/storage/s3-files.ts), for `size` bytes. */
async function presign(size: number, contentType = 'image/png', expires = 300) {
  const key = `rooms/r/${++counter}`;
  const post = await createPresignedPost(client, {
    Bucket: BUCKET,
    Key: key,
    Conditions: [
      ['content-length-range', size, size],
      ['eq', '$Content-Type', contentType],
      ['eq', '$tagging', TAGGING],
    ],
    Fields: { 'Content-Type': contentType, tagging: TAGGING },
    Expires: expires,
  });
  return { key, ...post };
}

/** Posts the form as a browser does: the fields, then the file. */
async function upload(
  post: { url: string; fields: Record<string, string> },
  bytes: Uint8Array<ArrayBuffer>,
  change: (form: FormData) => void = () => undefined,
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  change(form);
  form.append('file', new Blob([bytes]), 'shot.png');
  const response = await fetch(post.url, { method: 'POST', body: form });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? null, text };
}

const bytes = (n: number) => new Uint8Array(n).fill(7);

describe('the local S3 (local/s3.ts): POST uploads', () => {
  it('stores an upload that keeps to its policy (204), with the type and tags the form gave', async () => {
    const post = await presign(10);
    expect(await upload(post, bytes(10))).toMatchObject({ status: 204 });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: post.key }));
    expect(head).toMatchObject({ ContentLength: 10, ContentType: 'image/png' });
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: post.key }));
    expect(tags.TagSet).toEqual([{ Key: 'state', Value: 'unsent' }]);
  });

  it('refuses too much (400 EntityTooLarge) and too little (400 EntityTooSmall), storing nothing', async () => {
    const big = await presign(10);
    expect(await upload(big, bytes(11))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    const small = await presign(10);
    expect(await upload(small, bytes(9))).toMatchObject({ status: 400, code: 'EntityTooSmall' });
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: big.key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses another content type than the policy binds (403, condition failed)', async () => {
    const post = await presign(10, 'image/png');
    const result = await upload(post, bytes(10), (form) => form.set('Content-Type', 'text/html'));
    expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(result.text).toContain('Policy Condition failed');
  });

  it('refuses an upload after the policy expired (403 Policy expired)', async () => {
    const post = await presign(10, 'image/png', 60);
    skewMs = 61_000;
    const result = await upload(post, bytes(10));
    expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(result.text).toContain('Policy expired');
  });

  it.each([
    ['a forged signature', (form: FormData) => form.set('X-Amz-Signature', '0'.repeat(64))],
    [
      'a policy rewritten to allow more',
      (form: FormData) => {
        const policy = JSON.parse(Buffer.from(String(form.get('Policy')), 'base64').toString());
        policy.conditions[0] = ['content-length-range', 1, 10 ** 9];
        form.set('Policy', Buffer.from(JSON.stringify(policy)).toString('base64'));
      },
    ],
  ])('refuses %s (403 SignatureDoesNotMatch)', async (_, change) => {
    const post = await presign(10);
    expect(await upload(post, bytes(10), change)).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses a key the policy does not name, and a field no condition covers (403)', async () => {
    const post = await presign(10);
    expect(await upload(post, bytes(10), (form) => form.set('key', 'rooms/other/x'))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    const extra = await upload(await presign(10), bytes(10), (form) => form.set('x-amz-meta-evil', '1'));
    expect(extra).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(extra.text).toContain('Extra input fields');
  });

  it('refuses an unknown access key (403 InvalidAccessKeyId) and an anonymous form (403)', async () => {
    const post = await presign(10);
    const credential = String(post.fields['X-Amz-Credential']).replace(credentials.accessKeyId, 'nobody');
    expect(await upload(post, bytes(10), (form) => form.set('X-Amz-Credential', credential))).toMatchObject({
      status: 403,
      code: 'InvalidAccessKeyId',
    });
    const form = new FormData();
    form.append('key', 'rooms/r/anon');
    form.append('file', new Blob([bytes(3)]));
    const anonymous = await fetch(post.url, { method: 'POST', body: form });
    expect(anonymous.status).toBe(403);
  });
});

describe('the local S3: signed reads and the SDK calls', () => {
  async function stored() {
    const post = await presign(4, 'application/pdf');
    expect((await upload(post, new Uint8Array([1, 2, 3, 4]))).status).toBe(204);
    return post.key;
  }

  it('serves a presigned GET with its response overrides (type, disposition)', async () => {
    const key = await stored();
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: key,
        ResponseContentType: 'application/octet-stream',
        ResponseContentDisposition: 'attachment; filename="a.pdf"',
      }),
      { expiresIn: 60 },
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="a.pdf"');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([1, 2, 3, 4]);
  });

  it('refuses a presigned GET that is forged, expired, changed or anonymous (403)', async () => {
    const key = await stored();
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 60,
    });
    const forged = url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`);
    expect((await fetch(forged)).status).toBe(403);
    const otherKey = url.replace(encodeURI(key).replace(/\//g, '/'), `${key}x`);
    expect((await fetch(otherKey)).status).toBe(403);
    expect((await fetch(`${s3.url}/${BUCKET}/${key}`)).status).toBe(403);
    skewMs = 61_000;
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    expect(s3.refusals.get('SignatureDoesNotMatch')).toBeGreaterThan(0);
  });

  it("checks the SDK's own header signatures: a wrong secret is refused", async () => {
    const key = await stored();
    const wrong = new S3Client({
      endpoint: s3.url,
      region: 'us-east-1',
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'guessed' },
      forcePathStyle: true,
    });
    await expect(wrong.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    wrong.destroy();
  });

  it('re-tags an upload (how a send marks it sent), and says NoSuchKey for one never uploaded', async () => {
    const key = await stored();
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: BUCKET,
        Key: key,
        Tagging: { TagSet: [{ Key: 'state', Value: 'sent' }] },
      }),
    );
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
    expect(tags.TagSet).toEqual([{ Key: 'state', Value: 'sent' }]);
    await expect(
      client.send(
        new PutObjectTaggingCommand({
          Bucket: BUCKET,
          Key: 'rooms/r/never',
          Tagging: { TagSet: [{ Key: 'state', Value: 'sent' }] },
        }),
      ),
    ).rejects.toBeInstanceOf(NoSuchKey);
  });

  it("answers CORS preflights for the pages' origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${s3.url}/${BUCKET}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const ok = await preflight(PAGE_ORIGIN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    expect((await preflight('https://evil.example')).status).toBe(403);
  });
});
