import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What S3 checks before it lets a request touch an object, as AWS documents it, for the local S3
 * (local/s3.ts): Signature Version 4 on presigned URLs and `Authorization` headers, and the policy of a
 * browser's POST upload (its expiration, every condition, its signature). s3rver checks none of this
 * (../shared/TOOLCHAIN.md), so without it a test of the upload limits could not fail.
 *
 * Sources: "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", "Signature
 * Calculations for the Authorization Header", "Creating a POST Policy" and "Browser-Based Uploads Using
 * POST" in the Amazon S3 API Reference.
 */

/** A refusal, in S3's words: the status, the error code and the message S3 sends with them. */
export class S3Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type SecretOf = (accessKeyId: string) => string | undefined;

/** S3 refuses a signed request whose time is more than 15 minutes off its own. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL may live a week at most. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** `kDate → kRegion → kService → kSigning`. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20261201T171748Z` → epoch ms; NaN if malformed. */
export function amzDateMs(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

interface Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly scope: string;
}

function parseCredential(value: string | undefined): Credential {
  const parts = (value ?? '').split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    !accessKeyId ||
    !date ||
    !region ||
    service !== 's3' ||
    terminator !== 'aws4_request'
  ) {
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      'Error parsing the X-Amz-Credential parameter',
    );
  }
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

function secretFor(credential: Credential, secretOf: SecretOf): string {
  const secret = secretOf(credential.accessKeyId);
  if (secret === undefined) {
    throw new S3Refusal(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  }
  return secret;
}

/** RFC 3986 percent-encoding, as SigV4 wants it (everything but A-Z a-z 0-9 - _ . ~). */
const uriEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The query string as pairs, decoded; `+` stays a plus, as S3 reads SigV4 queries. */
export function queryPairs(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery.split('&').map((pair) => {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? '' : pair.slice(at + 1);
    return [decodeURIComponent(key), decodeURIComponent(value)];
  });
}

export interface SignedRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded): S3 signs it as it arrives, without normalizing it. */
  readonly rawPath: string;
  readonly query: readonly [string, string][];
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body, for a header-signed request whose payload hash is given. */
  readonly body?: Buffer;
}

function canonicalRequest(
  request: SignedRequest,
  signedHeaders: readonly string[],
  payloadHash: string,
  omitQuery: string,
): string {
  const query = request.query
    .filter(([key]) => key !== omitQuery)
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headers = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  return [request.method, request.rawPath, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

function checkSignature(
  canonical: string,
  amzDate: string,
  credential: Credential,
  secret: string,
  signature: string,
): void {
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credential.scope, sha256Hex(canonical)].join('\n');
  checkSigned(stringToSign, credential, secret, signature);
}

/**
 * SigV4's last step, the same for a request and for a POST policy (whose string to sign is the policy itself):
 * the HMAC of the string with the credential's signing key must be the signature given.
 */
function checkSigned(stringToSign: string, credential: Credential, secret: string, signature: string): void {
  const expected = hmac(
    signingKey(secret, credential.date, credential.region, credential.service),
    stringToSign,
  ).toString('hex');
  if (!sameHex(expected, signature.toLowerCase())) {
    throw new S3Refusal(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}

/**
 * Checks a presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256` in the query): its credential, its time window
 * (`X-Amz-Date` + `X-Amz-Expires`, at most a week) and its signature over the canonical request.
 */
export function verifyPresignedUrl(request: SignedRequest, secretOf: SecretOf, nowMs: number): string {
  const param = (name: string) => request.query.find(([key]) => key === name)?.[1];
  if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    );
  }
  const credential = parseCredential(param('X-Amz-Credential'));
  const amzDate = param('X-Amz-Date') ?? '';
  const signedAt = amzDateMs(amzDate);
  const expires = Number(param('X-Amz-Expires'));
  const signature = param('X-Amz-Signature') ?? '';
  const signedHeaders = (param('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  if (Number.isNaN(signedAt) || !amzDate.startsWith(credential.date) || !Number.isInteger(expires)) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'X-Amz-Date or X-Amz-Expires is malformed');
  }
  if (expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  if (!signedHeaders.includes('host')) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'Host must be a signed header');
  }
  const secret = secretFor(credential, secretOf);
  if (signedAt - nowMs > MAX_SKEW_MS) throw new S3Refusal(403, 'AccessDenied', 'Request is not valid yet');
  if (nowMs > signedAt + expires * 1000) throw new S3Refusal(403, 'AccessDenied', 'Request has expired');
  const payloadHash = param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  checkSignature(
    canonicalRequest(request, signedHeaders, payloadHash, 'X-Amz-Signature'),
    amzDate,
    credential,
    secret,
    signature,
  );
  return credential.accessKeyId;
}

/**
 * Checks an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` request (the SDK's
 * own calls): its credential, its time (within 15 minutes), its signature, and the body against the signed
 * payload hash when one is given.
 */
export function verifyAuthorizationHeader(request: SignedRequest, secretOf: SecretOf, nowMs: number): string {
  const header = String(request.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/i.exec(
      header,
    );
  if (!m) {
    throw new S3Refusal(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  }
  const credential = parseCredential(m[1]);
  const signedHeaders = String(m[2]).split(';');
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signedAt = amzDateMs(amzDate);
  if (Number.isNaN(signedAt) || !amzDate.startsWith(credential.date)) {
    throw new S3Refusal(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  const secret = secretFor(credential, secretOf);
  if (Math.abs(signedAt - nowMs) > MAX_SKEW_MS) {
    throw new S3Refusal(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
  if (/^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== sha256Hex(request.body ?? Buffer.alloc(0))) {
    throw new S3Refusal(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  checkSignature(
    canonicalRequest(request, signedHeaders, payloadHash, ''),
    amzDate,
    credential,
    secret,
    String(m[3]),
  );
  return credential.accessKeyId;
}

/** A browser's POST upload, parsed: the form fields (in order, names as sent) and the file. */
export interface PostForm {
  readonly fields: readonly [string, string][];
  readonly file: Buffer;
}

type Condition =
  | { readonly kind: 'eq' | 'starts-with'; readonly field: string; readonly value: string }
  | { readonly kind: 'length'; readonly min: number; readonly max: number };

const policyFailed = (detail: string) =>
  new S3Refusal(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ${detail}`);

function conditionsOf(policy: { conditions?: unknown }): Condition[] {
  if (!Array.isArray(policy.conditions)) {
    throw new S3Refusal(
      400,
      'InvalidPolicyDocument',
      'Invalid Policy: Invalid JSON: conditions must be a list.',
    );
  }
  return policy.conditions.map((raw: unknown): Condition => {
    if (Array.isArray(raw)) {
      const [op, a, b] = raw as unknown[];
      if (op === 'content-length-range' && Number.isInteger(a) && Number.isInteger(b)) {
        return { kind: 'length', min: Number(a), max: Number(b) };
      }
      if (
        (op === 'eq' || op === 'starts-with') &&
        typeof a === 'string' &&
        a.startsWith('$') &&
        typeof b === 'string'
      ) {
        return { kind: op, field: a.slice(1).toLowerCase(), value: b };
      }
    } else if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 1) {
      const [[field, value]] = Object.entries(raw) as [[string, unknown]];
      if (typeof value === 'string') return { kind: 'eq', field: field.toLowerCase(), value };
    }
    throw new S3Refusal(
      400,
      'InvalidPolicyDocument',
      `Invalid Policy: Invalid Condition: ${JSON.stringify(raw)}`,
    );
  });
}

/** Fields S3 does not hold against the policy (x-ignore-* too). */
const UNCOVERED = new Set(['policy', 'x-amz-signature', 'file']);

/**
 * Checks a POST upload against its policy as S3 does: the policy's signature (HMAC of the base64 policy with
 * the SigV4 signing key of its credential), its expiration, each condition (exact matches, `starts-with`,
 * `content-length-range` on the file's bytes), and that every form field is covered by some condition. The
 * bucket of the URL counts as the field `bucket`. Returns the form's fields by lower-cased name.
 */
export function verifyPostPolicy(
  form: PostForm,
  bucket: string,
  secretOf: SecretOf,
  nowMs: number,
): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of form.fields) {
    const key = name.toLowerCase();
    if (fields.has(key) && key !== 'file') {
      throw new S3Refusal(400, 'InvalidArgument', `Bucket POST can only contain one ${name} field.`);
    }
    fields.set(key, value);
  }
  const policyText = fields.get('policy');
  const signature = fields.get('x-amz-signature');
  if (policyText === undefined || signature === undefined) {
    throw new S3Refusal(
      403,
      'AccessDenied',
      'Bucket POST must contain a policy and a signature (anonymous uploads are refused: the bucket is private)',
    );
  }
  if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Refusal(400, 'InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
  }
  const credential = parseCredential(fields.get('x-amz-credential'));
  const secret = secretFor(credential, secretOf);
  checkSigned(policyText, credential, secret, signature);
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    throw new S3Refusal(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration)) {
    throw new S3Refusal(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'expiration' value.");
  }
  if (nowMs > expiration)
    throw new S3Refusal(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');

  const fieldValue = (field: string) => (field === 'bucket' ? bucket : fields.get(field));
  const covered = new Set<string>(['bucket']);
  for (const condition of conditionsOf(policy)) {
    if (condition.kind === 'length') {
      if (form.file.length > condition.max) {
        throw new S3Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      }
      if (form.file.length < condition.min) {
        throw new S3Refusal(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed size',
        );
      }
      continue;
    }
    covered.add(condition.field);
    const actual = fieldValue(condition.field);
    const holds =
      actual !== undefined &&
      (condition.kind === 'eq' ? actual === condition.value : actual.startsWith(condition.value));
    if (!holds) {
      throw policyFailed(`["${condition.kind}", "$${condition.field}", "${condition.value}"]`);
    }
  }
  for (const name of fields.keys()) {
    if (UNCOVERED.has(name) || name.startsWith('x-ignore-') || covered.has(name)) continue;
    throw new S3Refusal(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${name}`);
  }
  return fields;
}
