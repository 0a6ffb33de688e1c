// vitest hooks around a redis-server (kept apart from redis-server.ts, which the benchmark imports too).
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { flushRedis, startRedisServer, type RedisServerHandle } from './redis-server.js';

/** One redis-server for a test file, emptied before each test; call the returned getter inside tests. */
export function useRedisPerFile(): () => RedisServerHandle {
  let server: RedisServerHandle | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    if (server) await flushRedis(server.url);
  });
  return () => {
    if (!server) throw new Error('useRedisPerFile: redis-server is not started (call the getter inside a test)');
    return server;
  };
}
