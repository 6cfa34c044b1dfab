import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lambdas/runtime/config.js';
import {
  actorFromClaims,
  actorFromHttpAuthorizer,
  claimNamesGroup,
  isUsableUserId,
} from '../../../lambdas/runtime/identity.js';

const config = loadConfig({ TABLE_NAME: 't' });

describe('claimNamesGroup', () => {
  it.each([
    [['staff'], true],
    [['admins', 'staff'], true],
    ['staff', true],
    [['Kitchen staff'], false],
    [['Not staff'], false],
    [['x,staff'], false],
    [['staff '], false],
    [['STAFF'], false],
    ['[staff]', false],
    ['admins staff', false],
    ['staff,admins', false],
    [[['staff']], false],
    [undefined, false],
    [42, false],
  ])('reads %j as naming "staff": %s', (value, named) => {
    expect(claimNamesGroup(value, 'staff')).toBe(named);
  });
});

describe('isUsableUserId', () => {
  it.each([
    ['alice', true],
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
    ['é'.repeat(127), true],
    ['é'.repeat(128), false],
    ['__proto__', true],
    ['a\ud800', false],
    ['\udc00a', false],
    ['a\u0000', false],
    ['a\u007f', false],
    ['', false],
    [42, false],
  ])('%j: %s', (value, usable) => {
    expect(isUsableUserId(value)).toBe(usable);
  });
});

describe('actorFromClaims', () => {
  it('makes staff of a member of the staff group', () => {
    expect(actorFromClaims({ sub: 'sam', 'cognito:groups': ['admins', 'staff'] }, config)).toEqual({
      userId: 'sam',
      role: 'staff',
    });
  });

  it('makes a customer of anyone else', () => {
    expect(actorFromClaims({ sub: 'alice', 'cognito:groups': ['staffers'] }, config)).toEqual({
      userId: 'alice',
      role: 'customer',
    });
  });

  it('reads configured claim names', () => {
    const custom = loadConfig({
      TABLE_NAME: 't',
      USER_ID_CLAIM: 'email',
      STAFF_CLAIM: 'roles',
      STAFF_GROUP: 'agent',
    });
    expect(actorFromClaims({ email: 'a@b.c', roles: ['agent'] }, custom)).toEqual({
      userId: 'a@b.c',
      role: 'staff',
    });
  });

  it('refuses a token without a usable user id', () => {
    expect(actorFromClaims({ 'cognito:groups': ['staff'] }, config)).toBeNull();
    expect(actorFromClaims({ sub: 'a\ud800' }, config)).toBeNull();
    expect(actorFromClaims(undefined, config)).toBeNull();
  });

  it.each(['guest_x', 'site_x', 'guest_', 'site_sam'])(
    'refuses %s: only the session issuer signs ids in the session namespaces',
    (sub) => {
      expect(actorFromClaims({ sub, 'cognito:groups': ['staff'] }, config)).toBeNull();
    },
  );

  it.each(['guestx', 'Guest_x', 'xsite_'])('takes %s as an account id', (sub) => {
    expect(actorFromClaims({ sub }, config)).toEqual({ userId: sub, role: 'customer' });
  });
});

describe('actorFromHttpAuthorizer', () => {
  const jwt = (payload: Record<string, unknown>) =>
    ['{"alg":"RS256"}', JSON.stringify(payload), 'sig']
      .map((part) => Buffer.from(part).toString('base64url'))
      .join('.');
  const payload = {
    iss: 'https://issuer',
    sub: 'sam',
    exp: 1_900_000_000,
    'cognito:groups': ['Former staff'],
  };
  // What API Gateway hands the integration for that token: strings, the array flattened.
  const flattened = {
    iss: 'https://issuer',
    sub: 'sam',
    exp: '1900000000',
    'cognito:groups': '[Former staff]',
  };

  it('reads the groups from the verified token, not from the flattened claims', () => {
    expect(actorFromHttpAuthorizer(`Bearer ${jwt(payload)}`, flattened, config)).toEqual({
      userId: 'sam',
      role: 'customer',
    });
    const staff = { ...payload, 'cognito:groups': ['Former', 'staff'] };
    expect(actorFromHttpAuthorizer(`Bearer ${jwt(staff)}`, flattened, config)).toEqual({
      userId: 'sam',
      role: 'staff',
    });
  });

  it('accepts the token with or without the Bearer prefix, as API Gateway does', () => {
    expect(actorFromHttpAuthorizer(jwt(payload), flattened, config)?.userId).toBe('sam');
  });

  it.each([
    ['another subject', { sub: 'alice' }],
    ['another issuer', { iss: 'https://evil' }],
    ['another expiry', { exp: 1_900_000_001 }],
    ['no expiry', { exp: undefined }],
  ])('refuses a header whose token has %s than the verified claims', (_case, change) => {
    expect(actorFromHttpAuthorizer(`Bearer ${jwt({ ...payload, ...change })}`, flattened, config)).toBeNull();
  });

  it.each([
    ['no header', undefined],
    ['not a JWT', 'Bearer nonsense'],
    ['two tokens', `Bearer ${jwt(payload)}, Bearer ${jwt(payload)}`],
  ])('refuses %s', (_case, header) => {
    expect(actorFromHttpAuthorizer(header, flattened, config)).toBeNull();
  });
});
