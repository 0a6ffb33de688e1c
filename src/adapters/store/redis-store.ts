// The state store on Redis, shared by every replica. Requests are hashes with a version so that a status
// change is a compare-and-set (a Lua script): two approvers on two replicas, one winner. Commands fail fast
// when Redis is down (no offline queue) so nothing waits on it; the audit trail queues and retries.
import { Redis, type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { JobClaim, StateStore } from '../../core/ports.js';
import type { AlertGroupRecord, ApprovalRequest, AuditEntry, CreateRequestResult, RequestStatus } from '../../core/entities.js';
import { storeLimits, type StoreLimits } from './limits.js';

const CREATE_REQUEST = `
local current = redis.call('GET', KEYS[1])
if current then
  if redis.call('HGET', ARGV[5] .. current, 'status') == 'pending' then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('HSET', KEYS[2], 'status', 'pending', 'doc', ARGV[2], 'version', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return false`;

const TRANSITION_REQUEST = `
local s = redis.call('HMGET', KEYS[1], 'status', 'version')
if not s[1] or s[1] ~= ARGV[1] then return 0 end
if s[2] ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'doc', ARGV[4], 'version', tostring(tonumber(ARGV[2]) + 1))
if ARGV[3] ~= 'pending' and redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
return 1`;

// KEYS: the jobs' sorted set, their payloads' hash. ARGV: now, limit, lease (-1: take off), prefixes….
// One script, so each due job goes to exactly one caller, payload and all.
const CLAIM_DUE_JOBS = `
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local due
if #ARGV == 3 then
  due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
else
  due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
end
local claimed = {}
for _, id in ipairs(due) do
  if #claimed >= 2 * limit then break end
  local wanted = #ARGV == 3
  for i = 4, #ARGV do
    if string.sub(id, 1, #ARGV[i]) == ARGV[i] then wanted = true break end
  end
  if wanted then
    local payload = redis.call('HGET', KEYS[2], id)
    if lease >= 0 then
      redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + lease, id)
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('HDEL', KEYS[2], id)
    end
    table.insert(claimed, id)
    table.insert(claimed, payload)
  end
end
return claimed`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisStoreOptions {
  url: string;
  keyPrefix?: string;
  commandTimeoutMs?: number;
  /** Connection errors (ioredis reconnects by itself); without a listener ioredis prints them raw. */
  onError?: (error: Error) => void;
  /** How long things are kept (limits.ts; the defaults in production). */
  limits?: Partial<StoreLimits>;
}

export class RedisStateStore implements StateStore {
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly limits: StoreLimits;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.keyPrefix ?? 'mcp-canary:';
    this.limits = storeLimits(options.limits);
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
      // Keep reconnecting, never faster than every 2 s, so a Redis outage heals by itself.
      retryStrategy: (times) => Math.min(200 * times, 2000),
    };
    const sentinel = parseSentinelUrl(options.url);
    this.redis = sentinel ? new Redis({ ...redisOptions, ...sentinel }) : new Redis(options.url, redisOptions);
    let lastReported = 0;
    this.redis.on('error', (error: Error) => {
      // One report per 10 s is enough while Redis is down; reconnection goes on regardless.
      if (Date.now() - lastReported < 10_000) return;
      lastReported = Date.now();
      options.onError?.(error);
    });
    this.redis.defineCommand('createRequest', { numberOfKeys: 2, lua: CREATE_REQUEST });
    this.redis.defineCommand('transitionRequest', { numberOfKeys: 2, lua: TRANSITION_REQUEST });
    this.redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
    this.redis.defineCommand('claimDueJobs', { numberOfKeys: 2, lua: CLAIM_DUE_JOBS });
  }

  /** Connects once; a failure is reported but ioredis keeps retrying in the background. */
  async connect(): Promise<void> {
    await this.redis.connect();
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async createRequest(request: ApprovalRequest, ttlMs: number): Promise<CreateRequestResult> {
    const existingId = (await (this.redis as RedisWithScripts).createRequest(
      this.key('pending'),
      this.requestKey(request.id),
      request.id,
      JSON.stringify(request),
      // The pointer outlives the expiry a little so the expiry sweep can still find and close it.
      String(ttlMs + this.limits.pendingGraceMs),
      String(this.limits.requestRetentionMs),
      this.requestKey(''),
    )) as string | null;
    if (existingId === null) return { created: true, request };
    const pending = await this.getRequest(existingId);
    if (!pending) return this.createRequest(request, ttlMs);
    return { created: false, pending };
  }

  async getRequest(id: string): Promise<ApprovalRequest | undefined> {
    const [status, doc] = await this.redis.hmget(this.requestKey(id), 'status', 'doc');
    if (!doc || !status) return undefined;
    return { ...(JSON.parse(doc) as ApprovalRequest), status: status as RequestStatus };
  }

  async getPendingRequest(): Promise<ApprovalRequest | undefined> {
    const id = await this.redis.get(this.key('pending'));
    if (!id) return undefined;
    const request = await this.getRequest(id);
    return request?.status === 'pending' ? request : undefined;
  }

  async transitionRequest(
    id: string,
    from: RequestStatus,
    changes: Partial<ApprovalRequest> & { status?: RequestStatus },
  ): Promise<ApprovalRequest | undefined> {
    // Optimistic loop: re-read when another writer bumped the version between our read and our write.
    for (let attempt = 0; attempt < 8; attempt++) {
      const [status, doc, version] = await this.redis.hmget(this.requestKey(id), 'status', 'doc', 'version');
      if (!doc || status !== from || !version) return undefined;
      const next: ApprovalRequest = { ...(JSON.parse(doc) as ApprovalRequest), ...changes, status: changes.status ?? from };
      const result = (await (this.redis as RedisWithScripts).transitionRequest(
        this.requestKey(id),
        this.key('pending'),
        from,
        version,
        next.status,
        JSON.stringify(next),
        id,
      )) as number;
      if (result === 1) return next;
      if (result === 0) return undefined;
    }
    throw new Error(`request ${id} kept changing under us; gave up`);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    // An exact cap (no '~'): a few entries a day, and the stream then holds what the memory store holds.
    await this.redis.xadd(this.key('audit'), 'MAXLEN', String(this.limits.auditMaxLength), '*', 'entry', JSON.stringify(entry));
  }

  async recentAudit(limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return []; // XREVRANGE ... COUNT 0 answers nil, not an empty list
    const rows = await this.redis.xrevrange(this.key('audit'), '+', '-', 'COUNT', limit);
    return rows.flatMap(([, fields]) => {
      const i = fields.indexOf('entry');
      try {
        return i >= 0 ? [JSON.parse(fields[i + 1]!) as AuditEntry] : [];
      } catch {
        return [];
      }
    });
  }

  async getAlertGroup(id: string): Promise<AlertGroupRecord | undefined> {
    const raw = await this.redis.get(this.key(`alert-group:${id}`));
    return raw ? (JSON.parse(raw) as AlertGroupRecord) : undefined;
  }

  async saveAlertGroup(record: AlertGroupRecord): Promise<void> {
    await this.redis.set(this.key(`alert-group:${record.id}`), JSON.stringify(record), 'PX', this.limits.alertGroupRetentionMs);
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key(`lock:${name}`), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    await (this.redis as RedisWithScripts).releaseLock(this.key(`lock:${name}`), token);
  }

  async scheduleJob(id: string, dueAt: Date, payload?: string): Promise<void> {
    const multi = this.redis.multi().zadd(this.key('jobs'), dueAt.getTime(), id);
    if (payload === undefined) multi.hdel(this.key('job-payloads'), id);
    else multi.hset(this.key('job-payloads'), id, payload);
    await execOrThrow(multi);
  }

  async cancelJobs(ids: string[]): Promise<void> {
    if (ids.length) await execOrThrow(this.redis.multi().zrem(this.key('jobs'), ...ids).hdel(this.key('job-payloads'), ...ids));
  }

  async claimDueJobs(now: Date, limit: number, options: { prefixes?: string[]; leaseMs?: number } = {}): Promise<JobClaim[]> {
    if (limit <= 0) return [];
    const { prefixes = [], leaseMs } = options;
    // An empty list of prefixes matches nothing (the script reads "no prefixes" as "any id").
    if (options.prefixes && prefixes.length === 0) return [];
    const reply = (await (this.redis as RedisWithScripts).claimDueJobs(
      this.key('jobs'),
      this.key('job-payloads'),
      String(now.getTime()),
      String(limit),
      String(leaseMs ?? -1),
      ...prefixes,
    )) as Array<string | null>;
    const claimed: JobClaim[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const payload = reply[i + 1];
      claimed.push(payload === null || payload === undefined ? { id: reply[i]! } : { id: reply[i]!, payload });
    }
    return claimed;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(`once:${key}`), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.key(`value:${key}`));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async setValue(key: string, value: unknown): Promise<void> {
    await this.redis.set(this.key(`value:${key}`), JSON.stringify(value));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private requestKey(id: string): string {
    return `${this.prefix}request:${id}`;
  }
}

/**
 * ioredis takes Sentinel as options, not as a URL; REDIS_URL may still name it:
 * `redis+sentinel://[:password@]host1:26379,host2:26379/mymaster[/db]`.
 */
export function parseSentinelUrl(url: string): Pick<RedisOptions, 'sentinels' | 'name' | 'password' | 'db' | 'sentinelPassword'> | undefined {
  const match = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/([^/]+)(?:\/(\d+))?$/.exec(url);
  if (!match) return undefined;
  const [, , password, hosts, name, db] = match;
  const sentinels = hosts!.split(',').map((hostPort) => {
    const [host, port] = hostPort.split(':');
    return { host: host!, port: Number(port ?? 26379) };
  });
  return {
    sentinels,
    name: decodeURIComponent(name!),
    ...(password ? { password: decodeURIComponent(password), sentinelPassword: decodeURIComponent(password) } : {}),
    ...(db ? { db: Number(db) } : {}),
  };
}

type RedisWithScripts = Redis & {
  createRequest(...args: string[]): Promise<unknown>;
  transitionRequest(...args: string[]): Promise<unknown>;
  releaseLock(...args: string[]): Promise<unknown>;
  claimDueJobs(...args: string[]): Promise<unknown>;
};

/** MULTI answers each command's error in its reply instead of rejecting: a failed write must throw. */
async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
  if (!results) throw new Error('the transaction was aborted');
}
