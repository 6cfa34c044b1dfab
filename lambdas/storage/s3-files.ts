import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Attachment, FileStore, FileVariant, PresignedUpload } from '../domain/attachments.js';

/**
 * The tag that says whether an upload is cited by a message. The bucket's lifecycle rule
 * (lib/constructs/attachments.ts) expires objects tagged `unsent` a day after upload.
 */
export const STATE_TAG = { key: 'state', unsent: 'unsent', sent: 'sent' } as const;

/** `state=unsent` as the POST form's `tagging` field spells it (an XML document, as S3 wants it). */
export const UNSENT_TAGGING = `<Tagging><TagSet><Tag><Key>${STATE_TAG.key}</Key><Value>${STATE_TAG.unsent}</Value></Tag></TagSet></Tagging>`;

/**
 * The client of the attachments bucket: path-style where an endpoint is set (the local S3 is an address, not
 * a bucket's host name); checksums only where the API requires them (tagging sends its Content-MD5).
 */
export function createS3Client(): S3Client {
  return new S3Client({
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Every upload lives under this prefix; the functions' grants are limited to it. */
export const OBJECT_PREFIX = 'rooms/';

/** `rooms/<room id>/<attachment id>` and its thumbnail beside it. */
export function objectKey(attachment: Pick<Attachment, 'roomId' | 'id'>, variant: FileVariant): string {
  return `${OBJECT_PREFIX}${attachment.roomId}/${attachment.id}${variant === 'thumbnail' ? '.thumb' : ''}`;
}

/**
 * The attachments bucket through the SDK: presigned POSTs whose policy binds key, exact content type,
 * size range and the `unsent` tag; presigned GETs that set the response's type and disposition; and the
 * re-tagging that marks an upload as sent. The same code runs against local/s3.ts (AWS_ENDPOINT_URL_S3).
 */
export class S3FileStore implements FileStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async presignUpload(
    attachment: Attachment,
    variant: FileVariant,
    rule: { readonly contentType: string; readonly maxBytes: number },
    expiresInSeconds: number,
  ): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: objectKey(attachment, variant),
      Conditions: [
        // Exactly the announced size for the file (S3 counts the bytes); at most the bound for a thumbnail.
        ['content-length-range', variant === 'file' ? rule.maxBytes : 1, rule.maxBytes],
        ['eq', '$Content-Type', rule.contentType],
        ['eq', '$tagging', UNSENT_TAGGING],
      ],
      Fields: { 'Content-Type': rule.contentType, tagging: UNSENT_TAGGING },
      Expires: expiresInSeconds,
    });
    return { url, fields };
  }

  presignDownload(
    attachment: Attachment,
    variant: FileVariant,
    response: { readonly contentType: string; readonly disposition: string },
    expiresInSeconds: number,
  ): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: objectKey(attachment, variant),
        ResponseContentType: response.contentType,
        ResponseContentDisposition: response.disposition,
        // The presigned URL is the access check: a browser may keep the image, not a proxy.
        ResponseCacheControl: 'private, max-age=300',
      }),
      { expiresIn: expiresInSeconds },
    );
  }

  async markSent(attachment: Attachment, variant: FileVariant): Promise<'sent' | 'missing'> {
    try {
      await this.s3.send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: objectKey(attachment, variant),
          Tagging: { TagSet: [{ Key: STATE_TAG.key, Value: STATE_TAG.sent }] },
        }),
      );
      return 'sent';
    } catch (error) {
      if (error instanceof NoSuchKey) return 'missing';
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return 'missing';
      throw error;
    }
  }
}
