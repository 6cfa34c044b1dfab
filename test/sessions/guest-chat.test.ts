import { describe, expect, it } from 'vitest';
import { TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';
import { newGuest, verify } from './support.js';

const stack = useLocalStack();

describe('a guest session on the chat', () => {
  it('opens a room and sends a message over HTTP, and hears its own message on the WebSocket', async () => {
    const guest = await newGuest(stack.current);
    const http = api(stack.current, guest.token);
    const opened = await http.post('/rooms/', { subject: 'Where is my order?' });
    expect(opened.status).toBe(201);
    expect(opened.body.customer_id).toBe(guest.user_id);

    const socket = await TestSocket.open(stack.current, { token: guest.token, room_id: opened.body.id });
    try {
      const sent = await http.post(`/rooms/${opened.body.id}/send_message/`, { content: 'Hello?' });
      expect(sent.status).toBe(201);
      expect((await socket.next('message')).data).toMatchObject({
        room_id: opened.body.id,
        sender_id: guest.user_id,
        content: 'Hello?',
      });
    } finally {
      await socket.close();
    }
  });

  it('makes the upgraded guest’s room and history the verified user’s, and no longer the guest’s', async () => {
    const guest = await newGuest(stack.current);
    const asGuest = api(stack.current, guest.token);
    const room = (await asGuest.post('/rooms/', { subject: 'Refund' })).body.id as string;
    expect((await asGuest.post(`/rooms/${room}/send_message/`, { content: 'As a guest' })).status).toBe(201);

    const verified = await verify(stack.current, 'upgraded-on-the-wire', guest.token, { name: 'Ada' });
    expect(verified.upgraded_from).toBe(guest.user_id);
    const asVerified = api(stack.current, verified.token);

    const listed = await asVerified.get('/rooms/');
    expect(listed.body.results.map((r: { id: string }) => r.id)).toEqual([room]);
    expect(listed.body.results[0]).toMatchObject({
      customer_id: 'site_upgraded-on-the-wire',
      customer_name: 'Ada',
    });
    const history = await asVerified.get(`/rooms/${room}/messages/`);
    expect(
      history.body.results.map((m: { sender_id: string; content: string }) => [m.sender_id, m.content]),
    ).toEqual([[guest.user_id, 'As a guest']]);
    expect((await asVerified.post(`/rooms/${room}/send_message/`, { content: 'Now verified' })).status).toBe(
      201,
    );

    // The guest's token still verifies for its hour, but the room is no longer the guest's.
    expect((await asGuest.get(`/rooms/${room}/`)).status).toBe(404);
    expect((await asGuest.get('/rooms/')).body.results).toEqual([]);
  });
});
