import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoMeter } from '../../../lambdas/storage/client.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { useTable } from '../../support/table.js';

const TABLE = 'profile-store-test';
const meter = new DynamoMeter();
const table = useTable(TABLE, { store: { openRoomShards: 1 }, meter });
beforeEach(() => meter.take());

let people = 0;
/** A user id of its own for each test, in the namespace asked for. */
const newId = (prefix: 'guest_' | 'site_' | '') => `${prefix}person-${++people}#x`;
const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-01T11:00:00.000Z';

const raw = async (userId: string) =>
  (await table.db().send(new GetCommand({ TableName: TABLE, Key: keys.profile(userId) }))).Item;

describe('ProfileStore', () => {
  it('creates a self-asserted profile with the attributes the item is read by, in one write', async () => {
    const id = newId('guest_');
    const result = await table.store.putSelfAssertedProfile(
      id,
      { name: 'Ada', email: 'ada@example.com' },
      T1,
    );
    expect(meter.take().calls).toEqual({ UpdateItem: 1 });
    expect(result).toEqual({
      kind: 'updated',
      before: null,
      profile: {
        userId: id,
        kind: 'guest',
        name: 'Ada',
        email: 'ada@example.com',
        verified: false,
        verifiedFields: [],
        linkedTo: null,
        createdAt: T1,
        updatedAt: T1,
      },
    });
    expect(await raw(id)).toEqual({
      pk: `PROFILE#${encodeURIComponent(id)}`,
      sk: 'PROFILE',
      type: 'profile',
      user_id: id,
      kind: 'guest',
      name: 'Ada',
      email: 'ada@example.com',
      verified: false,
      created_at: T1,
      updated_at: T1,
    });
    expect(await table.store.getProfile(id)).toEqual(result.kind === 'updated' && result.profile);
  });

  it('changes only the fields given, and says what it replaced', async () => {
    const id = newId('');
    await table.store.putSelfAssertedProfile(id, { name: 'Sam' }, T1);
    const result = await table.store.putSelfAssertedProfile(id, { email: 'sam@example.com' }, T2);
    expect(result).toMatchObject({
      kind: 'updated',
      before: { name: 'Sam', email: null, updatedAt: T1 },
      profile: { kind: 'account', name: 'Sam', email: 'sam@example.com', createdAt: T1, updatedAt: T2 },
    });
    expect(await table.store.getProfile(id)).toEqual(result.kind === 'updated' && result.profile);
  });

  it('reads nothing for a user without a profile', async () => {
    expect(await table.store.getProfile(newId('guest_'))).toBeNull();
  });

  it('marks what an identity token says as verified, and refuses a self-asserted change of it', async () => {
    const id = newId('site_');
    await table.store.putSelfAssertedProfile(id, { email: 'old@example.com' }, T1);
    const verified = await table.store.putVerifiedProfile(id, { name: 'Grace Hopper' }, T2);
    expect(verified).toMatchObject({
      kind: 'updated',
      before: { verified: false, email: 'old@example.com' },
      profile: { kind: 'verified', name: 'Grace Hopper', verified: true, verifiedFields: ['name'] },
    });
    meter.take();
    const refused = await table.store.putSelfAssertedProfile(
      id,
      { name: 'Someone Else', email: 'x@y.z' },
      T2,
    );
    expect(refused.kind).toBe('verified');
    expect(refused.profile).toMatchObject({ name: 'Grace Hopper', email: 'old@example.com' });
    // The refused write, and DynamoDB returns the item it saw (dynalite does not: one read confirms it).
    expect(meter.take().calls.UpdateItem).toBe(1);
    expect(await table.store.getProfile(id)).toMatchObject({
      name: 'Grace Hopper',
      email: 'old@example.com',
    });
    // A field the token did not set stays the person's own.
    expect(await table.store.putSelfAssertedProfile(id, { email: 'new@example.com' }, T2)).toMatchObject({
      kind: 'updated',
      profile: { name: 'Grace Hopper', email: 'new@example.com', verified: true, verifiedFields: ['name'] },
    });
    expect((await raw(id))?.verified_fields).toEqual(new Set(['name']));
  });

  it('lets a later identity token change verified fields and add to them', async () => {
    const id = newId('site_');
    await table.store.putVerifiedProfile(id, { name: 'Grace' }, T1);
    const result = await table.store.putVerifiedProfile(id, { name: 'Grace H.', email: 'g@example.com' }, T2);
    expect(result).toMatchObject({
      before: { name: 'Grace', verifiedFields: ['name'] },
      profile: { name: 'Grace H.', email: 'g@example.com', verifiedFields: ['name', 'email'], createdAt: T1 },
    });
    expect(await table.store.getProfile(id)).toEqual(result.profile);
  });

  it('keeps verification to site_ users', async () => {
    await expect(table.store.putVerifiedProfile(newId('guest_'), { name: 'X' }, T1)).rejects.toThrow(
      /Only a site_ user/,
    );
  });

  it('links a guest to the verified user it became, once, even before the guest had a profile', async () => {
    const guest = newId('guest_');
    const other = newId('guest_');
    const site = newId('site_');
    await table.store.putSelfAssertedProfile(guest, { name: 'Visitor' }, T1);
    expect(await table.store.linkProfile(guest, site, T2)).toMatchObject({
      kind: 'linked',
      profile: { userId: guest, name: 'Visitor', linkedTo: site, createdAt: T1, updatedAt: T2 },
    });
    // Again with the same user: nothing changes; with another: refused.
    expect((await table.store.linkProfile(guest, site, T2)).kind).toBe('linked');
    expect(await table.store.linkProfile(guest, newId('site_'), T2)).toEqual({
      kind: 'linked_elsewhere',
      linkedTo: site,
    });
    expect(await table.store.linkProfile(other, site, T2)).toMatchObject({
      kind: 'linked',
      profile: { userId: other, kind: 'guest', name: null, verified: false, linkedTo: site, createdAt: T2 },
    });
    await expect(table.store.linkProfile(site, guest, T2)).rejects.toThrow(/Only a guest links/);
  });

  it('reads many profiles in one BatchGetItem, each id once, leaving out those without one', async () => {
    const ids = [newId('guest_'), newId('site_'), newId('')];
    await table.store.putSelfAssertedProfile(ids[0]!, { name: 'One' }, T1);
    await table.store.putVerifiedProfile(ids[1]!, { name: 'Two' }, T1);
    meter.take();
    const found = await table.store.getProfiles([...ids, ids[0]!]);
    expect(meter.take().calls).toEqual({ BatchGetItem: 1 });
    expect([...found.keys()].sort()).toEqual([ids[0], ids[1]].sort());
    expect(found.get(ids[1]!)).toMatchObject({ name: 'Two', verified: true, kind: 'verified' });
    expect(await table.store.getProfiles([])).toEqual(new Map());
    expect(meter.take().calls).toEqual({});
  });
});
