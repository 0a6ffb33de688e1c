// The StateStore contract against the Redis store on a real redis-server. Every store the suite opens gets
// its own key prefix, so each test starts empty without flushing (the tests run side by side); peers share
// the prefix, as replicas share a Redis.
import { afterAll, beforeAll } from 'vitest';
import type { StoreLimits } from '../../src/adapters/store/limits.js';
import { RedisStateStore } from '../../src/adapters/store/redis-store.js';
import type { StateStore } from '../../src/core/ports.js';
import { freePort } from '../support/child-process.js';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import { describeStateStoreContract } from './state-store.contract.js';

let redis: RedisServerHandle | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const settings = new WeakMap<StateStore, { keyPrefix: string; limits?: Partial<StoreLimits> }>();
let stores = 0;

async function connect(keyPrefix: string, limits?: Partial<StoreLimits>): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: redis!.url, keyPrefix, ...(limits ? { limits } : {}) });
  await store.connect();
  settings.set(store, { keyPrefix, ...(limits ? { limits } : {}) });
  return store;
}

describeStateStoreContract('redis', {
  open: (limits) => connect(`contract-${++stores}:`, limits),
  peer: (store) => {
    const { keyPrefix, limits } = settings.get(store)!;
    return connect(keyPrefix, limits);
  },
  // Nothing listens on that port: the store cannot connect, and must say so rather than wait.
  unreachable: async () => {
    const store = new RedisStateStore({ url: `redis://127.0.0.1:${await freePort()}`, onError: () => undefined });
    await store.connect().catch(() => undefined);
    return store;
  },
});
