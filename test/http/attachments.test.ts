import { describe, expect, it } from 'vitest';
import { api, useCast, useLocalStack } from '../support/stack.js';

/**
 * Attachments end to end over real HTTP: the routes, the presigned POST straight to the local S3 (which
 * checks the policy and the signature as S3 does: local/s3.ts), the send citing the upload, history,
 * frames, and downloads with the right type and disposition.
 */
// The queue's stream consumer never runs here (manual window), so the counts below are the routes' alone.
const stack = useLocalStack({
  environment: { ATTACHMENT_MAX_BYTES: '1000' },
  stream: { batchWindowMs: 'manual' },
});
const cast = useCast(stack);

interface Created {
  attachment: { id: string; name: string; size: number; content_type: string; has_thumbnail: boolean };
  upload: { url: string; fields: Record<string, string> };
  thumbnail_upload?: { url: string; fields: Record<string, string> };
}

async function post(
  form: { url: string; fields: Record<string, string> },
  bytes: Uint8Array<ArrayBuffer>,
  type?: string,
) {
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  if (type !== undefined) body.set('Content-Type', type);
  body.append('file', new Blob([bytes]));
  const response = await fetch(form.url, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

const png = (n: number) => new Uint8Array(n).fill(0x89);

describe('POST /api/chat/rooms/{id}/attachments/', () => {
  it('answers 201 with the attachment and a presigned POST bound to that size and type', async () => {
    const roomId = await cast.openRoom();
    const created = await cast.as('alice').post(`/rooms/${roomId}/attachments/`, {
      name: 'screenshot.png',
      size: 100,
      content_type: 'image/png',
      thumbnail: true,
    });
    expect(created.status).toBe(201);
    const body = created.body as Created;
    expect(body.attachment).toMatchObject({
      name: 'screenshot.png',
      size: 100,
      content_type: 'image/png',
      has_thumbnail: true,
    });
    expect(body.upload.url).toBe(`${stack.current.s3.url}/${stack.current.s3.bucket}`);
    expect(body.upload.fields.key).toBe(`rooms/${roomId}/${body.attachment.id}`);
    expect(body.thumbnail_upload?.fields.key).toBe(`rooms/${roomId}/${body.attachment.id}.thumb`);
    const policy = JSON.parse(Buffer.from(String(body.upload.fields.Policy), 'base64').toString());
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 100, 100],
        ['eq', '$Content-Type', 'image/png'],
      ]),
    );
  });

  it.each([
    [{ name: 'page.html', size: 10, content_type: 'text/html' }, 415, 'unsupported_type'],
    [{ name: 'logo.svg', size: 10, content_type: 'image/svg+xml' }, 415, 'unsupported_type'],
    [{ name: 'big.png', size: 1001, content_type: 'image/png' }, 413, 'file_too_large'],
    [{ name: 'a/b.png', size: 10, content_type: 'image/png' }, 400, 'invalid_request'],
    [{ name: 'x\u202Egnp.exe', size: 10, content_type: 'image/png' }, 400, 'invalid_request'],
    [{ name: 'empty.png', size: 0, content_type: 'image/png' }, 400, 'invalid_request'],
    [{ name: 'doc.pdf', size: 10, content_type: 'application/pdf', thumbnail: true }, 400, 'invalid_request'],
  ])('refuses %j with %i %s', async (input, status, code) => {
    const roomId = await cast.openRoom();
    const response = await cast.as('alice').post(`/rooms/${roomId}/attachments/`, input);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it("answers another customer's room with 404, and a closed room with 409", async () => {
    const roomId = await cast.openRoom();
    const input = { name: 'a.png', size: 10, content_type: 'image/png' };
    expect((await cast.as('carol').post(`/rooms/${roomId}/attachments/`, input)).status).toBe(404);
    expect((await api(stack.current).post(`/rooms/${roomId}/attachments/`, input)).status).toBe(401);
    await cast.as('alice').post(`/rooms/${roomId}/close/`);
    const closed = await cast.as('alice').post(`/rooms/${roomId}/attachments/`, input);
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('room_closed');
  });
});

describe('the upload itself, refused by the local S3 as S3 would', () => {
  async function ask(size: number) {
    const roomId = await cast.openRoom();
    const created = await cast.as('alice').post(`/rooms/${roomId}/attachments/`, {
      name: 'shot.png',
      size,
      content_type: 'image/png',
    });
    return created.body as Created;
  }

  it('takes the announced bytes (204) and refuses more, another type and a forged signature', async () => {
    const ok = await ask(50);
    expect(await post(ok.upload, png(50))).toMatchObject({ status: 204 });
    const tooMuch = await ask(50);
    expect((await post(tooMuch.upload, png(51))).text).toContain('<Code>EntityTooLarge</Code>');
    const html = await ask(50);
    const wrongType = await post(html.upload, png(50), 'text/html');
    expect(wrongType.status).toBe(403);
    expect(wrongType.text).toContain('Policy Condition failed');
    const forged = await ask(50);
    forged.upload.fields['X-Amz-Signature'] = 'f'.repeat(64);
    expect(await post(forged.upload, png(50))).toMatchObject({ status: 403 });
  });
});

describe('a message citing attachments', () => {
  async function uploaded(roomId: string, who: 'alice' | 'sam' = 'alice', size = 20) {
    const created = (
      await cast.as(who).post(`/rooms/${roomId}/attachments/`, {
        name: 'shot.png',
        size,
        content_type: 'image/png',
      })
    ).body as Created;
    expect((await post(created.upload, png(size))).status).toBe(204);
    return created.attachment;
  }

  it('is stored with the attachments, reaches the room live, and is in history; empty text is fine', async () => {
    const roomId = await cast.openRoom();
    await cast.as('sam').post(`/rooms/${roomId}/join/`);
    const staff = await cast.open('sam', { room_id: roomId });
    const attachment = await uploaded(roomId);
    const sent = await cast.as('alice').post(`/rooms/${roomId}/send_message/`, {
      content: '',
      attachments: [attachment.id],
    });
    expect(sent.status).toBe(201);
    const cited = [
      { id: attachment.id, name: 'shot.png', size: 20, content_type: 'image/png', has_thumbnail: false },
    ];
    expect(sent.body).toMatchObject({ content: '', attachments: cited });
    const frame = await staff.next('message', (data) => data.id === sent.body.id);
    expect(frame.data.attachments).toEqual(cited);
    const history = await cast.as('sam').get(`/rooms/${roomId}/messages/`);
    expect(history.body.results.at(-1).attachments).toEqual(cited);
    const room = await cast.as('sam').get(`/rooms/${roomId}/`);
    expect(room.body.last_message.preview).toBe('📎 shot.png');
    staff.close();
  });

  it('also goes over the socket: a message frame with attachments gets its ack', async () => {
    const roomId = await cast.openRoom();
    const socket = await cast.open('alice', { room_id: roomId });
    const attachment = await uploaded(roomId);
    socket.send({
      type: 'message',
      content: 'see this',
      attachments: [attachment.id],
      client_message_id: 'c1',
    });
    const ack = await socket.next('ack');
    expect(ack.data.message.attachments).toEqual([expect.objectContaining({ id: attachment.id })]);
    // A refusal is an error frame, and the socket stays open for the next frame.
    socket.send({
      type: 'message',
      content: '',
      attachments: [crypto.randomUUID()],
      client_message_id: 'c2',
    });
    const refused = await socket.next('error');
    expect(refused.data.code).toBe('unknown_attachment');
    socket.send({ type: 'message', content: 'still here', client_message_id: 'c3' });
    expect((await socket.next('ack')).data.message.content).toBe('still here');
    socket.close();
  });

  it('refuses an attachment not yet uploaded (409), one of someone else (403), one of another room (400)', async () => {
    const roomId = await cast.openRoom();
    const pending = (
      await cast
        .as('alice')
        .post(`/rooms/${roomId}/attachments/`, { name: 'a.png', size: 5, content_type: 'image/png' })
    ).body as Created;
    const notUploaded = await cast.as('alice').post(`/rooms/${roomId}/send_message/`, {
      content: 'x',
      attachments: [pending.attachment.id],
    });
    expect(notUploaded.status).toBe(409);
    expect(notUploaded.body.error.code).toBe('attachment_not_uploaded');

    const staffs = await uploaded(roomId, 'sam');
    const notYours = await cast.as('alice').post(`/rooms/${roomId}/send_message/`, {
      content: 'x',
      attachments: [staffs.id],
    });
    expect(notYours.status).toBe(403);
    expect(notYours.body.error.code).toBe('attachment_not_yours');

    const otherRoom = await cast.openRoom();
    const elsewhere = await uploaded(otherRoom);
    const wrongRoom = await cast.as('alice').post(`/rooms/${roomId}/send_message/`, {
      content: 'x',
      attachments: [elsewhere.id],
    });
    expect(wrongRoom.status).toBe(400);
    expect(wrongRoom.body.error.code).toBe('unknown_attachment');
    const history = await cast.as('alice').get(`/rooms/${roomId}/messages/`);
    expect(history.body.results).toEqual([]);
  });

  it('refuses an empty message without attachments, and more than ten', async () => {
    const roomId = await cast.openRoom();
    expect((await cast.as('alice').post(`/rooms/${roomId}/send_message/`, { content: '' })).status).toBe(400);
    const eleven = Array.from({ length: 11 }, () => crypto.randomUUID());
    const many = await cast
      .as('alice')
      .post(`/rooms/${roomId}/send_message/`, { content: 'x', attachments: eleven });
    expect(many.status).toBe(400);
  });
});

describe('GET /api/chat/rooms/{id}/attachments/{attachment_id}/', () => {
  async function sentFile(name: string, type: string, bytes: Uint8Array<ArrayBuffer>) {
    const roomId = await cast.openRoom();
    const created = (
      await cast
        .as('alice')
        .post(`/rooms/${roomId}/attachments/`, { name, size: bytes.length, content_type: type })
    ).body as Created;
    expect((await post(created.upload, bytes)).status).toBe(204);
    return { roomId, id: created.attachment.id };
  }

  it('gives staff and the customer a URL: images inline, other files as a download', async () => {
    const image = await sentFile('shot.png', 'image/png', png(8));
    const forStaff = await cast.as('sam').get(`/rooms/${image.roomId}/attachments/${image.id}/`);
    expect(forStaff.status).toBe(200);
    expect(forStaff.body.expires_in).toBe(300);
    const shown = await fetch(forStaff.body.url);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(shown.headers.get('content-disposition')).toMatch(/^inline; filename="shot.png"/);
    expect((await shown.arrayBuffer()).byteLength).toBe(8);

    const pdf = await sentFile('Rechnung März.pdf', 'application/pdf', png(6));
    const forAlice = await cast.as('alice').get(`/rooms/${pdf.roomId}/attachments/${pdf.id}/`);
    const downloaded = await fetch(forAlice.body.url);
    expect(downloaded.headers.get('content-type')).toBe('application/octet-stream');
    expect(downloaded.headers.get('content-disposition')).toBe(
      `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`,
    );
  });

  it('answers another customer, an unknown id and a missing thumbnail with 404', async () => {
    const image = await sentFile('shot.png', 'image/png', png(8));
    const carol = await cast.as('carol').get(`/rooms/${image.roomId}/attachments/${image.id}/`);
    expect(carol.status).toBe(404);
    expect(carol.body.error.code).toBe('room_not_found');
    const unknown = await cast.as('sam').get(`/rooms/${image.roomId}/attachments/${crypto.randomUUID()}/`);
    expect(unknown.body.error.code).toBe('attachment_not_found');
    expect((await cast.as('sam').get(`/rooms/${image.roomId}/attachments/not-an-id/`)).status).toBe(404);
    const thumb = await cast
      .as('sam')
      .get(`/rooms/${image.roomId}/attachments/${image.id}/?variant=thumbnail`);
    expect(thumb.status).toBe(404);
  });
});

describe('what attachments cost in DynamoDB', () => {
  it('asks for an upload with 1 read and 2 writes, sends 2 files with 1 batch read more, serves one with 2 reads', async () => {
    const roomId = await cast.openRoom();
    const db = stack.current.dynamo;
    db.resetStats();
    const first = (
      await cast
        .as('alice')
        .post(`/rooms/${roomId}/attachments/`, { name: 'a.png', size: 5, content_type: 'image/png' })
    ).body as Created;
    // The room (may the caller write there?), the sender's message limit, the attachment item.
    expect(db.stats()).toEqual({ GetItem: 1, UpdateItem: 1, PutItem: 1 });
    const second = (
      await cast
        .as('alice')
        .post(`/rooms/${roomId}/attachments/`, { name: 'b.pdf', size: 5, content_type: 'application/pdf' })
    ).body as Created;
    for (const created of [first, second]) expect((await post(created.upload, png(5))).status).toBe(204);

    db.resetStats();
    const sent = await cast.as('alice').post(`/rooms/${roomId}/send_message/`, {
      content: 'two files',
      attachments: [first.attachment.id, second.attachment.id],
    });
    expect(sent.status).toBe(201);
    // A plain HTTP send (the limit, the room's sequence, the message, the room's sockets) plus one
    // BatchGetItem of the cited attachment items; nothing per file in the table, and the room item unchanged
    // in size (test/lambdas/storage/room-size.test.ts).
    expect(db.stats()).toEqual({ UpdateItem: 2, PutItem: 1, Query: 1, BatchGetItem: 1 });

    db.resetStats();
    expect((await cast.as('sam').get(`/rooms/${roomId}/attachments/${second.attachment.id}/`)).status).toBe(
      200,
    );
    // The room and the attachment item, side by side; signing the URL costs no request at all.
    expect(db.stats()).toEqual({ GetItem: 2 });
  });
});
