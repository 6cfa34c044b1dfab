import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatDeps } from '../../lambdas/domain/chat.js';
import { getRoomDetail } from '../../lambdas/domain/chat.js';
import { AppError } from '../../lambdas/domain/errors.js';
import { recordVerifiedProfile, syncCustomerName, updateMyProfile } from '../../lambdas/domain/people.js';
import type { Actor } from '../../lambdas/domain/types.js';
import { DynamoMeter } from '../../lambdas/storage/client.js';
import { sampleRoom, useTable } from '../support/table.js';

// The profile use cases over the real store (dynalite): what a verified user may still say about
// themselves, and how a guest that became a verified user is shown. Session tokens for guest_ and site_ ids
// come with the auth helper's verifier, so these run below the HTTP layer.
const meter = new DynamoMeter();
const table = useTable('people-test', { store: { openRoomShards: 1 }, meter });
const deps = (): ChatDeps => ({ store: table.store });
beforeEach(() => meter.take());

let people = 0;
const siteUser = (): Actor => ({ userId: `site_user-${++people}`, role: 'customer' });
const guest = (): Actor => ({ userId: `guest_${++people}`, role: 'customer' });
const sam: Actor = { userId: 'sam', role: 'staff' };

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`Expected a typed error, got ${String(error)}`);
  return error;
}

describe('A verified user’s profile', () => {
  it('refuses a change of what the identity token said with 409 profile_verified', async () => {
    const user = siteUser();
    await recordVerifiedProfile(deps(), user.userId, { name: 'Grace Hopper', email: 'grace@navy.mil' });
    const error = await refusal(updateMyProfile(deps(), user, { name: 'Amazing Grace' }));
    expect([error.status, error.code]).toEqual([409, 'profile_verified']);
    expect(error.message).toBe('The name came from your sign-in on the website and cannot be changed here');
    const both = await refusal(updateMyProfile(deps(), user, { name: 'X', email: 'x@y.z' }));
    expect(both.message).toMatch(/^The name and email came/);
    expect(await table.store.getProfile(user.userId)).toMatchObject({
      name: 'Grace Hopper',
      email: 'grace@navy.mil',
    });
  });

  it('takes the same values again, and a field the token did not set', async () => {
    const user = siteUser();
    await recordVerifiedProfile(deps(), user.userId, { name: 'Grace Hopper' });
    expect(await updateMyProfile(deps(), user, { name: 'Grace Hopper' })).toMatchObject({
      name: 'Grace Hopper',
    });
    meter.take();
    const profile = await updateMyProfile(deps(), user, { name: 'Grace Hopper', email: 'grace@example.com' });
    expect(profile).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com', verified: true });
    // The refused write, the item it saw (dynalite returns none: one read), the write of the rest, and the
    // open rooms that follow the name (none).
    expect(meter.take().calls).toEqual({ UpdateItem: 2, GetItem: 1, Query: 1 });
  });

  it('renames the user’s open rooms when a token brings a new name', async () => {
    const user = siteUser();
    await recordVerifiedProfile(deps(), user.userId, { name: 'Grace' });
    const room = sampleRoom({ customerId: user.userId, customerName: 'Grace' });
    await table.store.createRoom(room);
    await recordVerifiedProfile(deps(), user.userId, { name: 'Grace Brewster Murray Hopper' });
    expect(await table.store.getRoom(room.id)).toMatchObject({
      customerName: 'Grace Brewster Murray Hopper',
      version: 2,
    });
  });
});

describe('A guest that became a verified user', () => {
  it('shows as that person in the room detail: name, email, kind and verification', async () => {
    const visitor = guest();
    const user = siteUser();
    await updateMyProfile(deps(), visitor, { name: 'Visitor' });
    await recordVerifiedProfile(deps(), user.userId, { name: 'Grace Hopper', email: 'grace@navy.mil' });
    await table.store.linkProfile(visitor.userId, user.userId, new Date().toISOString());
    const room = sampleRoom({ customerId: visitor.userId, customerName: 'Visitor' });
    await table.store.createRoom(room, { pageUrl: 'https://shop.example.com/' });
    meter.take();
    const detail = await getRoomDetail(deps(), sam, room.id);
    expect(detail.customer).toEqual({
      userId: visitor.userId,
      name: 'Grace Hopper',
      email: 'grace@navy.mil',
      kind: 'verified',
      verified: true,
      verifiedFields: ['name', 'email'],
      emailConfirmed: true,
      pageUrl: 'https://shop.example.com/',
    });
    expect(detail.members[0]).toMatchObject({ userId: visitor.userId, name: 'Grace Hopper' });
    // The room; the guest's profile and the context; the verified user's profile (a link, so one batch more);
    // the customer's presence.
    expect(meter.take().calls).toEqual({ GetItem: 1, BatchGetItem: 2, Query: 1 });
    // Its open rooms catch up with the name it shows as.
    expect(await syncCustomerName(deps(), visitor.userId)).toBe(1);
    expect(await table.store.getRoom(room.id)).toMatchObject({ customerName: 'Grace Hopper', version: 2 });
    expect(await syncCustomerName(deps(), visitor.userId)).toBe(0);
  });

  it('reads a room’s profiles and its context in one BatchGetItem, half a unit a key, found or not', async () => {
    const visitor = guest();
    await updateMyProfile(deps(), visitor, { name: 'Visitor' });
    const room = sampleRoom({ customerId: visitor.userId });
    await table.store.createRoom(room, { pageUrl: 'https://shop.example.com/' });
    meter.take();
    const found = await table.store.getRoomPeople(room.id, [visitor.userId, 'sam']);
    expect(found.context).toEqual({ pageUrl: 'https://shop.example.com/' });
    expect([...found.profiles.keys()]).toEqual([visitor.userId]);
    expect(meter.take()).toEqual({ calls: { BatchGetItem: 1 }, readUnits: 1.5, writeUnits: 0 });
  });
});
