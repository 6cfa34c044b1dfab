import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lambdas/runtime/config.js';
import { actorFromClaims, parseGroups } from '../../../lambdas/runtime/identity.js';

const config = loadConfig({ TABLE_NAME: 't' });

describe('parseGroups', () => {
  it.each([
    ['[staff admin]', ['staff', 'admin']],
    ['[staff]', ['staff']],
    ['[]', []],
    ['["staff","admin"]', ['staff', 'admin']],
    ['staff,admin', ['staff', 'admin']],
    ['staff admin', ['staff', 'admin']],
    [['staff'], ['staff']],
    [undefined, []],
    [42, []],
  ])('reads %j as %j', (value, groups) => {
    expect(parseGroups(value)).toEqual(groups);
  });
});

describe('actorFromClaims', () => {
  it('makes staff of a member of the staff group, as API Gateway flattens it', () => {
    expect(actorFromClaims({ sub: 'sam', 'cognito:groups': '[admins staff]' }, config)).toEqual({
      userId: 'sam',
      role: 'staff',
    });
  });

  it('makes a customer of anyone else', () => {
    expect(actorFromClaims({ sub: 'alice', 'cognito:groups': '[staffers]' }, config)).toEqual({
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
    expect(actorFromClaims({ email: 'a@b.c', roles: '[agent]' }, custom)).toEqual({
      userId: 'a@b.c',
      role: 'staff',
    });
  });

  it('refuses a token without a user id', () => {
    expect(actorFromClaims({ 'cognito:groups': '[staff]' }, config)).toBeNull();
    expect(actorFromClaims(undefined, config)).toBeNull();
  });
});
