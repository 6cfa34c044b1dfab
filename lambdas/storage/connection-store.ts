import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatStore, LiveConnection } from '../domain/ports.js';
import type { Actor, Connection, OnlineUser, Role, Subscription } from '../domain/types.js';
import { subscriptionItem, toConnection, toSubscription } from './items.js';
import { keys } from './keys.js';
import type { Item, Table, UpdateParts } from './table.js';

type ConnectionPorts =
  | 'putConnection'
  | 'deleteConnection'
  | 'addSubscription'
  | 'removeSubscription'
  | 'getSubscription'
  | 'listSubscriptions'
  | 'userConnections'
  | 'onlineStaff'
  | 'staffConnections'
  | 'addQueueFollower'
  | 'removeQueueFollower'
  | 'removePresence'
  | 'queueFollowers'
  | 'nextPresenceVersion';

/**
 * How long a presence version counter outlives its user's last change. When it expires the next one starts
 * from the clock (epoch ms), above every value the old one reached unless it counted more than one change per
 * millisecond of its life, so a client holding an old version still takes the new ones.
 */
const PRESENCE_VERSION_SECONDS = 24 * 60 * 60;

/**
 * Sockets and what they follow: the connection item, its presence item, a subscription item per room and a
 * queue item for a staff console that follows every open room. Every item carries the socket's `ttl`, and
 * every read ignores items past it, because `$disconnect` is best effort and TTL deletes late.
 */
export class ConnectionStore implements Pick<ChatStore, ConnectionPorts> {
  constructor(private readonly table: Table) {}

  /** The connection, its presence and a subscription per room it starts out following, in one batch. */
  async putConnection(connection: Connection, expiresAt: number): Promise<void> {
    const { connectionId, userId, role, connectedAt, rooms } = connection;
    const puts: Item[] = [
      {
        ...keys.connection(connectionId),
        type: 'connection',
        connection_id: connectionId,
        user_id: userId,
        role,
        connected_at: connectedAt,
        ...(rooms.length > 0 ? { rooms: new Set(rooms) } : {}),
        ttl: expiresAt,
      },
      {
        ...keys.presence(role, userId, connectionId),
        type: 'presence',
        connection_id: connectionId,
        user_id: userId,
        role,
        connected_at: connectedAt,
        ttl: expiresAt,
      },
      ...rooms.map((roomId) =>
        subscriptionItem({ roomId, connectionId, userId, role, connectedAt }, expiresAt),
      ),
    ];
    await this.table.batchWrite(puts.map((Item) => ({ PutRequest: { Item } })));
  }

  /**
   * Deletes the connection's dependents (presence, subscriptions, queue item) first and the connection item
   * last, so a failure in between leaves the item that lists them, and the next attempt (a retried
   * `$disconnect`, a 410 at the next fan-out) finds them all. A follow that lands between the read and the
   * delete is on the deleted item, and is deleted after it.
   */
  async deleteConnection(connectionId: string): Promise<Connection | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({
        TableName: this.table.name,
        Key: keys.connection(connectionId),
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    const read = toConnection(Item);
    await this.table.batchWrite(dependentsOf(read, 'presence'));
    const { Attributes } = await this.table.db.send(
      new DeleteCommand({
        TableName: this.table.name,
        Key: keys.connection(connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) return read;
    const deleted = toConnection(Attributes);
    const late = dependentsOf(
      {
        ...deleted,
        rooms: deleted.rooms.filter((roomId) => !read.rooms.includes(roomId)),
        followsQueue: deleted.followsQueue && !read.followsQueue,
      },
      'no presence',
    );
    if (late.length > 0) await this.table.batchWrite(late);
    return deleted;
  }

  async addSubscription(subscription: Subscription, expiresAt: number): Promise<void> {
    await this.attachToConnection(subscriptionItem(subscription, expiresAt), subscription.connectionId, {
      UpdateExpression: 'ADD rooms :room',
      ExpressionAttributeValues: { ':room': new Set([subscription.roomId]) },
    });
  }

  async removeSubscription(roomId: string, connectionId: string): Promise<void> {
    await this.detachFromConnection(keys.subscription(roomId, connectionId), connectionId, {
      UpdateExpression: 'DELETE rooms :room',
      ExpressionAttributeValues: { ':room': new Set([roomId]) },
    });
  }

  async addQueueFollower(subscription: Subscription, expiresAt: number): Promise<void> {
    const item = {
      ...subscriptionItem(subscription, expiresAt),
      ...keys.queueFollower(subscription.connectionId),
      type: 'queue',
    };
    await this.attachToConnection(item, subscription.connectionId, {
      UpdateExpression: 'SET follows_queue = :yes',
      ExpressionAttributeValues: { ':yes': true },
    });
  }

  async removeQueueFollower(connectionId: string): Promise<void> {
    await this.detachFromConnection(keys.queueFollower(connectionId), connectionId, {
      UpdateExpression: 'REMOVE follows_queue',
    });
  }

  async removePresence(userId: string, role: Role, connectionId: string): Promise<void> {
    await this.table.db.send(
      new DeleteCommand({ TableName: this.table.name, Key: keys.presence(role, userId, connectionId) }),
    );
  }

  async queueFollowers(): Promise<Subscription[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':pk': keys.queueFollowers, ':now': this.table.nowSeconds() },
      // Eventually consistent (half the price, on every message): a console that has just followed the
      // queue reloads it over HTTP anyway.
    });
    return items.map((item) => toSubscription({ ...item, room_id: '' }));
  }

  async nextPresenceVersion(actor: Actor, nowMs: number): Promise<number> {
    const { Attributes } = await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keys.presenceVersion(actor.role, actor.userId),
        UpdateExpression: 'SET #version = if_not_exists(#version, :start) + :one, #ttl = :ttl',
        ExpressionAttributeNames: { '#version': 'version', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':start': nowMs,
          ':one': 1,
          ':ttl': Math.floor(nowMs / 1000) + PRESENCE_VERSION_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.version);
  }

  /**
   * Writes what a socket follows (a subscription, the queue), then records it on the connection item, which
   * must still exist: whoever deletes the connection then finds it, and a connection that went away in
   * between gets nothing (the item is taken back).
   */
  private async attachToConnection(item: Item, connectionId: string, update: UpdateParts): Promise<void> {
    await this.table.db.send(new PutCommand({ TableName: this.table.name, Item: item }));
    try {
      await this.table.db.send(
        new UpdateCommand({
          ...update,
          TableName: this.table.name,
          Key: keys.connection(connectionId),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      await this.table.db.send(
        new DeleteCommand({ TableName: this.table.name, Key: { pk: item.pk, sk: item.sk } }),
      );
      throw error;
    }
  }

  /** Deletes what a socket followed, and its record on the connection item if that still exists. */
  private async detachFromConnection(key: Item, connectionId: string, update: UpdateParts): Promise<void> {
    await this.table.db.send(new DeleteCommand({ TableName: this.table.name, Key: key }));
    await this.table.updateIfExists(keys.connection(connectionId), update);
  }

  async getSubscription(roomId: string, connectionId: string): Promise<Subscription | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({
        TableName: this.table.name,
        Key: keys.subscription(roomId, connectionId),
        ConsistentRead: true,
      }),
    );
    return Item && Number(Item.ttl) > this.table.nowSeconds() ? toSubscription(Item) : null;
  }

  async listSubscriptions(roomId: string): Promise<Subscription[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':pk': keys.subscriptionsOf(roomId), ':now': this.table.nowSeconds() },
      ConsistentRead: true,
    });
    return items.map(toSubscription);
  }

  async userConnections(userId: string, role: Role): Promise<LiveConnection[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pk': keys.presencePartition(role, userId),
        ':user': keys.presenceOfUser(userId),
        ':now': this.table.nowSeconds(),
      },
      ConsistentRead: true,
    });
    return items
      .map((item) => ({ connectionId: String(item.connection_id), connectedAt: Number(item.connected_at) }))
      .sort((a, b) => a.connectedAt - b.connectedAt || a.connectionId.localeCompare(b.connectionId));
  }

  async onlineStaff(): Promise<OnlineUser[]> {
    const byUser = new Map<string, { connections: number; since: number }>();
    for (const item of await this.staffPresence()) {
      const userId = String(item.user_id);
      const entry = byUser.get(userId) ?? { connections: 0, since: Number.POSITIVE_INFINITY };
      entry.connections += 1;
      entry.since = Math.min(entry.since, Number(item.connected_at));
      byUser.set(userId, entry);
    }
    return [...byUser.entries()]
      .map(([userId, { connections, since }]) => ({
        userId,
        role: 'staff' as const,
        connections,
        onlineSince: new Date(since).toISOString(),
      }))
      .sort((a, b) => a.userId.localeCompare(b.userId));
  }

  async staffConnections(): Promise<Subscription[]> {
    return (await this.staffPresence()).map((item) => toSubscription({ ...item, room_id: '' }));
  }

  /**
   * Strongly consistent: clients order a presence reading against presence frames by time (`checked_at`),
   * which holds only if the reading sees every change decided before it.
   */
  private staffPresence(): Promise<Item[]> {
    return this.table.queryAll({
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pk': keys.presencePartition('staff', ''),
        ':now': this.table.nowSeconds(),
      },
    });
  }
}

/** Delete requests for the items a connection item lists. */
function dependentsOf(connection: Connection, presence: 'presence' | 'no presence'): Item[] {
  const { connectionId } = connection;
  return [
    ...(presence === 'presence'
      ? [{ DeleteRequest: { Key: keys.presence(connection.role, connection.userId, connectionId) } }]
      : []),
    ...connection.rooms.map((roomId) => ({
      DeleteRequest: { Key: keys.subscription(roomId, connectionId) },
    })),
    ...(connection.followsQueue ? [{ DeleteRequest: { Key: keys.queueFollower(connectionId) } }] : []),
  ];
}
