import { S3Client } from '@aws-sdk/client-s3';
import { ATTACHMENT_LIMITS, type AttachmentDeps } from '../domain/attachments.js';
import { NotFound } from '../domain/errors.js';
import { DynamoAttachmentStore } from '../storage/attachment-store.js';
import { S3FileStore } from '../storage/s3-files.js';
import { Table } from '../storage/table.js';
import { ENV } from './config.js';
import { config, documentClient, queryDeps } from './deps.js';

/** The attachment settings, from the environment (`ATTACHMENT_BUCKET`, `ATTACHMENT_MAX_BYTES`). */
export function loadAttachmentConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = env[ENV.attachmentMaxBytes];
  const maxBytes = raw === undefined || raw === '' ? ATTACHMENT_LIMITS.maxBytes : Number(raw);
  // S3 takes at most 5 GB in one POST; more than that is a typo.
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 5 * 1024 ** 3) {
    throw new Error(`${ENV.attachmentMaxBytes} must be a whole number of bytes up to 5 GB, got "${raw}"`);
  }
  return { bucket: env[ENV.attachmentBucket] || undefined, maxBytes };
}

export const attachmentConfig = loadAttachmentConfig();

/**
 * The S3 client, created on first use: a send without attachments never pays for it. Locally it reaches
 * local/s3.ts through `AWS_ENDPOINT_URL_S3`, which the SDK reads itself; `forcePathStyle` there since the
 * local endpoint is an address, not a bucket's host name.
 */
let s3: S3Client | undefined;
const s3Client = () => {
  s3 ??= new S3Client({
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    // A checksum on the tagging request is enough; presigned GETs need none.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3;
};

/** What the attachment use cases need; throws 404 `attachments_off` where the stack has no bucket. */
export function attachmentDeps(): AttachmentDeps {
  const { bucket, maxBytes } = attachmentConfig;
  if (!bucket) throw new NotFound('Attachments are not enabled here', 'attachments_off');
  deps ??= {
    ...queryDeps,
    attachments: new DynamoAttachmentStore(new Table(documentClient, config.tableName, Date.now)),
    files: new S3FileStore(s3Client(), bucket),
    maxBytes,
  };
  return deps;
}
let deps: AttachmentDeps | undefined;
