import { ATTACHMENT_LIMITS, type AttachmentDeps } from '../domain/attachments.js';
import { NotFound } from '../domain/errors.js';
import { DynamoAttachmentStore } from '../storage/attachment-store.js';
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
 * What the attachment use cases need, created on first use; 404 `attachments_off` where the stack has no
 * bucket. The S3 code is imported here, lazily: the send functions carry it in their bundle but evaluate it
 * only for a message that cites files, so a plain message's cold start does not pay for it. Locally the
 * client reaches local/s3.ts through `AWS_ENDPOINT_URL_S3`, which the SDK reads itself.
 */
export async function attachmentDeps(): Promise<AttachmentDeps> {
  const { bucket, maxBytes } = attachmentConfig;
  if (!bucket) throw new NotFound('Attachments are not enabled here', 'attachments_off');
  deps ??= import('../storage/s3-files.js').then(({ S3FileStore, createS3Client }) => ({
    ...queryDeps,
    attachments: new DynamoAttachmentStore(new Table(documentClient, config.tableName, Date.now)),
    files: new S3FileStore(createS3Client(), bucket),
    maxBytes,
  }));
  return deps;
}
let deps: Promise<AttachmentDeps> | undefined;
