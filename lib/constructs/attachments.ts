import { Aws, Duration, Fn, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { OBJECT_PREFIX, STATE_TAG } from '../../lambdas/storage/s3-files.js';

export interface AttachmentsProps {
  /** Keep the bucket (and every file) when the stack is deleted. @default true */
  readonly retain?: boolean;
  /**
   * The pages' origins, which upload from the browser (the bucket's CORS rule); resolved at synth's end,
   * since the distribution that serves the pages is built after the functions that are told the bucket.
   */
  readonly corsOrigins: () => string[];
  /** Days an upload that no message cites is kept. @default 1 */
  readonly unsentExpiryDays?: number;
}

/**
 * The private bucket of attachments. Browsers post to it with presigned POSTs and read from it with presigned
 * GETs (lambdas/storage/s3-files.ts); nothing is public:
 *
 * - public access blocked on all four counts, object ownership enforced (no ACLs), TLS required;
 * - encrypted at rest with S3-managed keys (SSE-S3): a KMS key would add a grant to every presigning role and
 *   a KMS request to every upload and download, and protect against nothing the bucket policy does not;
 * - uploads no message cites (`state=unsent`, the tag their own policy puts on them) expire after a day, and
 *   incomplete multipart uploads too (a POST never makes one, but nothing else should linger);
 * - CORS for the pages' origins: POST (the upload, whose progress events make a preflight) and GET.
 *
 * The name is the stack's own id (a pseudo parameter, no reference to a resource), so the pages' CSP can name
 * the bucket's origin although the bucket's CORS names the pages' distribution: no cycle.
 */
export class Attachments extends Construct {
  public readonly bucket: Bucket;
  /** The bucket's origins as presigned URLs name them (regional, and the legacy global one), for the CSP. */
  public readonly origins: readonly string[];

  constructor(scope: Construct, id: string, props: AttachmentsProps) {
    super(scope, id);
    const retain = props.retain ?? true;
    // `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`: the uuid, lowercase hex and dashes.
    const bucketName = `chat-files-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`;
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      lifecycleRules: [
        {
          id: 'expire-unsent-uploads',
          tagFilters: { [STATE_TAG.key]: STATE_TAG.unsent },
          expiration: Duration.days(props.unsentExpiryDays ?? 1),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: Lazy.list({ produce: props.corsOrigins }),
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });
    this.origins = [
      `https://${bucketName}.s3.${Aws.REGION}.amazonaws.com`,
      `https://${bucketName}.s3.amazonaws.com`,
    ];
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Attachment reads and writes go through presigned URLs that the functions sign, and each signing ' +
        'is in the function logs with its user; S3 server access logs would need another bucket.',
    });
  }

  /** Signs presigned POSTs: the upload runs with these rights (the `unsent` tag needs PutObjectTagging). */
  grantUpload(grantee: IGrantable): void {
    this.grant(grantee, ['s3:PutObject', 's3:PutObjectTagging']);
  }

  /** Signs presigned GETs. */
  grantDownload(grantee: IGrantable): void {
    this.grant(grantee, ['s3:GetObject']);
  }

  /** Marks an upload as sent: PutObjectTagging alone (it cannot read, write or delete a file). */
  grantTag(grantee: IGrantable): void {
    this.grant(grantee, ['s3:PutObjectTagging']);
  }

  private grant(grantee: IGrantable, actions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${OBJECT_PREFIX}*`)] }),
    );
  }
}
