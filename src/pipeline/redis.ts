// The one place a Redis client is made. REDIS_URL names one Redis, or — with `?cluster=true` —
// one node of a Redis Cluster, from which the client discovers the others. On a cluster every
// key of a BullMQ queue must hash to one slot, so the queue prefix must hold a hash tag
// (`{lethe}`); src/config.ts refuses a cluster URL with a prefix that has none.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface ClientOptions {
  /** BullMQ workers need null: blocking commands must not time out. */
  maxRetriesPerRequest: number | null;
  connectTimeout?: number;
  lazyConnect?: boolean;
  /** Give up at once instead of reconnecting (probes). */
  noReconnect?: boolean;
}

/** True when REDIS_URL asks for a cluster client (`?cluster=true` or `?cluster=1`). */
export function isClusterUrl(url: string): boolean {
  try {
    return ['true', '1'].includes(new URL(url).searchParams.get('cluster') ?? '');
  } catch {
    return false;
  }
}

/** Redis's rule: the text between the first `{` and the next `}`, when not empty, decides the slot. */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

export function redisClient(url: string, o: ClientOptions): RedisClient {
  const base: RedisOptions = {
    maxRetriesPerRequest: o.maxRetriesPerRequest, enableReadyCheck: true,
    ...(o.connectTimeout !== undefined ? { connectTimeout: o.connectTimeout } : {}),
    ...(o.noReconnect ? { retryStrategy: () => null } : {}),
  };
  if (!isClusterUrl(url)) return new Redis(url, { ...base, lazyConnect: o.lazyConnect ?? false });
  const u = new URL(url);
  return new Cluster([{ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) }], {
    lazyConnect: o.lazyConnect ?? false,
    enableReadyCheck: true,
    ...(o.noReconnect ? { clusterRetryStrategy: () => null } : {}),
    redisOptions: {
      ...base,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}
