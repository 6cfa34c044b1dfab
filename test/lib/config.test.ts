import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readConfig, stackDomainPrefix } from '../../lib/config.js';

const emptyRoot = mkdtempSync(join(tmpdir(), 'chat-root-'));
const read = (context: Record<string, unknown>, root = emptyRoot) =>
  readConfig(new App({ context }).node, root);

describe('readConfig', () => {
  it('reads the queue batching window: whole seconds 0-300, 1 by default', () => {
    expect(read({}).queueBatchWindowSeconds).toBe(1);
    expect(read({ queueBatchWindowSeconds: '0' }).queueBatchWindowSeconds).toBe(0);
    expect(read({ queueBatchWindowSeconds: 300 }).queueBatchWindowSeconds).toBe(300);
    for (const bad of ['301', '-1', '1.5', 'soon']) {
      expect(() => read({ queueBatchWindowSeconds: bad })).toThrow(/context queueBatchWindowSeconds/);
    }
  });

  it('defaults to a Cognito deployment on stage prod that keeps its data', () => {
    expect(read({})).toMatchObject({
      stageName: 'prod',
      retainData: true,
      oidc: undefined,
      staffClaim: 'cognito:groups',
      staffGroup: 'staff',
      webDir: undefined,
      openRoomShards: 1,
      legacyOpenRoomsIndex: 'none',
      logRetentionDays: 30,
      apiGatewayAccountRole: true,
    });
  });

  it('parses command-line strings: booleans, numbers and comma-separated lists', () => {
    expect(
      read({ retainData: 'false', openRoomShards: '8', corsOrigins: 'https://a.example, https://b.example' }),
    ).toMatchObject({
      retainData: false,
      openRoomShards: 8,
      corsOrigins: ['https://a.example', 'https://b.example'],
    });
  });

  it.each(['list', 'keep', 'none'] as const)('takes legacyOpenRoomsIndex=%s', (value) => {
    expect(read({ legacyOpenRoomsIndex: value }).legacyOpenRoomsIndex).toBe(value);
  });

  it('accepts origins with a port, and log levels in any case', () => {
    expect(read({ corsOrigins: 'http://localhost:3000,https://console.example.com' }).corsOrigins).toEqual([
      'http://localhost:3000',
      'https://console.example.com',
    ]);
    expect(read({ logLevel: 'debug' }).logLevel).toBe('DEBUG');
    expect(read({}).logLevel).toBe('INFO');
  });

  it('reads the embed origins as a comma-separated string or a JSON list, none by default', () => {
    expect(read({}).embedOrigins).toEqual([]);
    expect(read({ embedOrigins: 'https://shop.example.com, http://localhost:8080' }).embedOrigins).toEqual([
      'https://shop.example.com',
      'http://localhost:8080',
    ]);
    expect(read({ embedOrigins: ['https://shop.example.com'] }).embedOrigins).toEqual([
      'https://shop.example.com',
    ]);
  });

  it.each([
    'https://shop.example.com/',
    'https://shop.example.com/page',
    'shop.example.com',
    'https://Shop.example.com',
    "https://shop.example.com; script-src 'unsafe-inline'",
    'ftp://shop.example.com',
  ])('refuses the embed origin %s, naming the option', (bad) => {
    expect(() => read({ embedOrigins: bad })).toThrow(/^context embedOrigins must be origins, .*got "/);
  });

  it('takes preChat off, optional or required, optional by default', () => {
    expect(read({}).preChat).toBe('optional');
    for (const value of ['off', 'optional', 'required'] as const)
      expect(read({ preChat: value }).preChat).toBe(value);
    expect(() => read({ preChat: 'always' })).toThrow(
      'context preChat must be off, optional or required, got "always"',
    );
  });

  it('takes a CloudFront web ACL by its ARN, none by default', () => {
    const arn =
      'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/0123abcd-4567-89ef-0123-456789abcdef';
    expect(read({}).webAclArn).toBeUndefined();
    expect(read({ webAclArn: arn }).webAclArn).toBe(arn);
    for (const bad of [arn.replace('us-east-1', 'eu-west-1'), arn.replace('global', 'regional'), 'chat']) {
      expect(() => read({ webAclArn: bad })).toThrow(/^context webAclArn must be the ARN of a WAF web ACL/);
    }
  });

  it('takes rateLimits as JSON text or as an object from cdk.json, and refuses a bad one at synth', () => {
    expect(read({}).rateLimits).toBeUndefined();
    expect(read({ rateLimits: '{"sockets": 5}' }).rateLimits).toBe('{"sockets": 5}');
    expect(read({ rateLimits: { messages: [[10, 10]] } }).rateLimits).toBe('{"messages":[[10,10]]}');
    expect(() => read({ rateLimits: '{"messages": [[10, 7], [30, 60]]}' })).toThrow(
      /context rateLimits.*divide the longest/,
    );
    expect(() => read({ rateLimits: '{"mesages": []}' })).toThrow(/context rateLimits/);
    expect(() => read({ rateLimits: 'not json' })).toThrow('context rateLimits: must be JSON');
  });

  it('accepts lists as JSON arrays from cdk.json', () => {
    expect(read({ callbackUrls: ['https://a.example/'] }).callbackUrls).toEqual(['https://a.example/']);
  });

  it('derives the JWKS URI of a bring-your-own issuer', () => {
    expect(read({ oidcIssuer: 'https://id.example.com/', oidcAudience: 'api' }).oidc).toEqual({
      issuer: 'https://id.example.com/',
      audience: 'api',
      jwksUri: 'https://id.example.com/.well-known/jwks.json',
    });
  });

  it('accepts a Cognito domain prefix Cognito accepts', () => {
    expect(read({ cognitoDomainPrefix: 'example-support-chat' }).cognitoDomainPrefix).toBe(
      'example-support-chat',
    );
    expect(read({ cognitoDomainPrefix: 'a'.repeat(63) }).cognitoDomainPrefix).toHaveLength(63);
  });

  it.each([
    ['LiveChat', 'livechat'],
    ['LiveChatTest', 'livechattest'],
    ['Support-Chat_EU', 'support-chat-eu'],
    ['AwsCognitoChat', 'chat'],
    ['amazawson-chat', 'chat'],
    ['--Chat--', 'chat'],
    ['AWS', 'livechat'],
  ])('derives the default Cognito domain prefix of stack %s from its name: %s-<account id>', (name, base) => {
    expect(stackDomainPrefix(name)).toBe(base);
  });

  it('keeps the derived prefix short enough for the account id', () => {
    const base = stackDomainPrefix(`A${'-b'.repeat(60)}`);
    expect(base.length).toBeLessThanOrEqual(50);
    expect(base).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  it('reads the web client of a bring-your-own issuer, which the hosted pages need', () => {
    const root = mkdtempSync(join(tmpdir(), 'chat-root-'));
    const web = join(root, 'dist', 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '');
    const oidc = { oidcIssuer: 'https://id.example.com/', oidcAudience: 'api' };
    expect(read({ ...oidc, oidcClientId: 'web', oidcScope: 'openid groups' }, root).oidc).toMatchObject({
      clientId: 'web',
      scope: 'openid groups',
    });
    expect(() => read(oidc, root)).toThrow(/oidcClientId is required/);
    expect(() => read({ ...oidc, hosting: 'true' }, root)).toThrow(/oidcClientId is required/);
    // Without hosted pages the stack does not need it.
    expect(read({ ...oidc, hosting: 'false' }, root).oidc?.clientId).toBeUndefined();
    expect(read(oidc).oidc?.clientId).toBeUndefined();
  });

  it('hosts the pages by default only once they are built', () => {
    const root = mkdtempSync(join(tmpdir(), 'chat-root-'));
    expect(read({}, root).webDir).toBeUndefined();
    const web = join(root, 'dist', 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '');
    expect(read({}, root).webDir).toBe(web);
    expect(read({ hosting: 'false' }, root).webDir).toBeUndefined();
  });

  it.each([
    [{ retainData: 'yes' }, /retainData must be true or false/],
    [{ openRoomShards: '0' }, /openRoomShards must be a positive integer/],
    [{ legacyOpenRoomsIndex: 'true' }, /legacyOpenRoomsIndex must be list, keep or none/],
    [{ maxMessageLength: 'many' }, /maxMessageLength must be a positive integer/],
    [{ oidcIssuer: 'https://id.example.com/' }, /go together/],
    [{ oidcIssuer: 'http://id.example.com/', oidcAudience: 'api' }, /must be an https URL/],
    [{ logRetentionDays: '31' }, /logRetentionDays must be one of/],
    [{ stageName: 'a/b' }, /stageName must be/],
    [{ hosting: 'true' }, /build the web pages first/],
    [{ hosting: 'maybe' }, /hosting must be auto, true or false/],
    [{ oidcClientId: 'web' }, /oidcClientId and oidcScope go with oidcIssuer/],
    [{ oidcScope: 'openid' }, /oidcClientId and oidcScope go with oidcIssuer/],
    [
      { oidcIssuer: 'https://id.example.com/', oidcAudience: 'api', oidcClientId: 'web', oidcScope: 'email' },
      /oidcScope must include openid/,
    ],
    [{ corsOrigins: 'https://console.example.com/' }, /corsOrigins .*"https:\/\/console.example.com\/"/],
    [{ corsOrigins: 'https://console.example.com/app' }, /corsOrigins must be origins/],
    [{ corsOrigins: 'console.example.com' }, /corsOrigins must be origins/],
    [{ corsOrigins: 'ftp://console.example.com' }, /corsOrigins must be origins/],
    [{ corsOrigins: 'https://a.example,https://b.example?x=1' }, /corsOrigins must be origins/],
    [{ logLevel: 'VERBOSE' }, /logLevel must be DEBUG, INFO, WARN or ERROR/],
    [{ cognitoDomainPrefix: 'Support-Chat' }, /cognitoDomainPrefix must be 1-63 lowercase letters/],
    [{ cognitoDomainPrefix: '-support-chat' }, /cognitoDomainPrefix must be 1-63 lowercase letters/],
    [{ cognitoDomainPrefix: 'support.chat' }, /cognitoDomainPrefix must be 1-63 lowercase letters/],
    [{ cognitoDomainPrefix: 'a'.repeat(64) }, /cognitoDomainPrefix must be 1-63 lowercase letters/],
    [{ cognitoDomainPrefix: 'aws-chat' }, /cognitoDomainPrefix must not contain 'aws'/],
    [{ cognitoDomainPrefix: 'chat-on-amazon' }, /cognitoDomainPrefix must not contain 'aws'/],
    [{ cognitoDomainPrefix: 'mycognito' }, /cognitoDomainPrefix must not contain 'aws'/],
  ])('refuses %o', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
