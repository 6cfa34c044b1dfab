import { type CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IDistribution, IOrigin } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { WebConfig } from '../../web/config.js';

export type { WebConfig };

export interface HostingProps {
  /** Folder of the built web pages (`dist/web`); must hold `index.html`. */
  readonly webDir: string;
  readonly logRetention: RetentionDays;
}

/**
 * The web pages on a private S3 bucket, served by the stack's distribution (lib/constructs/edge.ts) through
 * origin access control, plus a generated `config.json` that points them at this stack's endpoints. Created
 * in two steps because the endpoints need the distribution: construct it, then {@link Hosting.deploy}.
 */
export class Hosting extends Construct {
  public readonly bucket: Bucket;
  /** The bucket as the distribution's origin, read through origin access control. */
  public readonly origin: IOrigin;
  private readonly props: HostingProps;

  constructor(scope: Construct, id: string, props: HostingProps) {
    super(scope, id);
    this.props = props;
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The bucket only holds a build output that every deploy writes again.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only the public build of the web pages, read through CloudFront; no data worth auditing.',
    });
    this.giveAutoDeleteLogsRetention(props.logRetention);
    this.origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
  }

  /**
   * `autoDeleteObjects` runs CDK's singleton provider function, which names no log group, so Lambda would
   * create one that never expires. CDK offers no option for it: point its LoggingConfig at a log group of
   * ours. The function then depends on the log group, so on stack deletion the custom resource (which empties
   * the bucket through the function) goes first, then the function, then the log group.
   */
  private giveAutoDeleteLogsRetention(retention: RetentionDays): void {
    const stack = Stack.of(this);
    const provider = stack.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler') as CfnResource | undefined;
    if (!handler)
      throw new Error('CDK no longer creates the auto-delete provider where hosting.ts expects it');
    const logGroup = new LogGroup(this, 'AutoDeleteObjectsLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    handler.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }

  /** Uploads the pages and their `config.json`, then invalidates the CDN so browsers see both at once. */
  public deploy(config: WebConfig, distribution: IDistribution): BucketDeployment {
    const deployment = new BucketDeployment(this, 'Deployment', {
      sources: [Source.asset(this.props.webDir), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 512,
      logGroup: new LogGroup(this, 'DeploymentLogs', {
        retention: this.props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.acknowledgeDeploymentFindings(deployment);
    return deployment;
  }

  /**
   * BucketDeployment runs CDK's own singleton function (Python, AWS-managed basic execution policy, S3
   * wildcards over the staging and target buckets); its permissions are CDK's, not ours to narrow.
   */
  private acknowledgeDeploymentFindings(deployment: BucketDeployment): void {
    const handler = deployment.handlerRole.node.scope;
    if (!handler) return;
    const stack = Stack.of(this);
    const bucketId = stack.resolve(
      stack.getLogicalId(this.bucket.node.defaultChild as CfnResource),
    ) as string;
    const qualifier = stack.synthesizer.bootstrapQualifier ?? 'hnb659fds';
    const reason =
      'CDK BucketDeployment provider: copies the web build from the CDK asset bucket into the hosting ' +
      'bucket; permissions and runtime are managed by aws-cdk-lib.';
    const findings = [
      'AwsSolutions-L1',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      ...['GetBucket*', 'GetObject*', 'List*', 'Abort*', 'DeleteObject*'].map(
        (action) => `AwsSolutions-IAM5[Action::s3:${action}]`,
      ),
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      'AwsSolutions-IAM5[Resource::*]',
    ];
    for (const id of findings) Validations.of(handler).acknowledge({ id, reason });
  }
}
