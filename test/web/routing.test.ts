import { describe, expect, it } from 'vitest';
import { roomHref, roomOfHash } from '../../web/console/routing.js';

const ID = '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';

describe('the console’s room URLs', () => {
  it.each([
    [`#/rooms/${ID}`, ID],
    ['', null],
    ['#', null],
    ['#/rooms/', null],
    [`#/rooms/${ID}/`, null],
    [`#/rooms/${ID.toUpperCase()}`, null],
    ['#/rooms/not-a-room', null],
    [`#/rooms/${ID}?x=1`, null],
    [`#/ROOMS/${ID}`, null],
  ])('reads %j as the room %s', (hash, room) => {
    expect(roomOfHash(hash)).toBe(room);
  });

  it('writes the fragment it reads', () => {
    expect(roomOfHash(roomHref(ID))).toBe(ID);
  });
});
