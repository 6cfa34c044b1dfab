import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { SessionIssuer } from '../../lib/constructs/session-issuer.js';

// The grants on their own, on a bare stack: what a signing, a verifying and a secret-reading function get.

function build() {
  const stack = new Stack(new App(), 'Grants');
  const issuer = new SessionIssuer(stack, 'Issuer', { retain: true });
  const role = (id: string) =>
    new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const [signer, verifier, reader] = [role('Signer'), role('Verifier'), role('Reader')];
  issuer.grantSign(signer);
  issuer.grantVerify(verifier);
  issuer.grantReadIdentitySecret(reader);
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)) as string;
  const statementsOf = (r: Role) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: id(r) }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  return { template, issuer, signer, verifier, reader, id, statementsOf };
}

describe('session issuer grants', () => {
  const b = build();
  const keyArn = { 'Fn::GetAtt': [b.id(b.issuer.key), 'Arn'] };

  it('lets a signer sign and read the public key, on the key alone', () => {
    expect(b.statementsOf(b.signer)).toEqual([
      { Effect: 'Allow', Action: ['kms:Sign', 'kms:GetPublicKey'], Resource: keyArn },
    ]);
  });

  it('lets a verifier only read the public key', () => {
    expect(b.statementsOf(b.verifier)).toEqual([
      { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: keyArn },
    ]);
  });

  it('lets a reader get the identity secret value (any version stage), nothing else', () => {
    expect(b.statementsOf(b.reader)).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: b.id(b.issuer.identitySecret) },
      },
    ]);
  });

  it('leaves the key policy to the account: the grants change no key policy', () => {
    const [key] = Object.values(b.template.findResources('AWS::KMS::Key'));
    expect(key?.Properties.KeyPolicy.Statement).toHaveLength(1);
    expect(key?.Properties.KeyPolicy.Statement[0]).toMatchObject({ Action: 'kms:*', Resource: '*' });
  });
});
