import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/config.js';

describe('readConfig', () => {
  it('applies the runbook defaults', () => {
    const config = readConfig({});
    expect(config.port).toBe(3000);
    expect(config.kube).toMatchObject({ namespace: 'stoa-system', canaryIngress: 'mcp-gateway-canary', rustDeployment: 'mcp-gateway-rust', pythonDeployment: 'mcp-gateway-python' });
    expect(config.ramp.steps).toEqual([1, 5, 10, 25, 50, 100]);
    expect(config.ramp.stepMinHoldMs).toBe(48 * 3600_000);
    expect(config.ramp.businessHours).toMatchObject({ kind: 'window', days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1080 });
    expect(config.approvalTtlMs).toBe(30 * 60_000);
    expect(config.digestCron).toBe('0 9 * * 1-5');
    expect(config.escalation).toMatchObject({ l2AfterMs: 15 * 60_000, l3AfterMs: 30 * 60_000 });
    expect(config.goNoGo).toMatchObject({ errorRateQuery: 'mcp:rust_gateway_error_rate:5m', errorRateMax: 0.001, p99RatioMax: 1.5 });
    expect(config.autoRollbackOnCritical).toBe(false);
    expect(config.dryRun).toBe(false);
    expect(config.driftCheckIntervalMs).toBe(60_000);
  });

  it('parses every duration unit and lists', () => {
    const config = readConfig({
      STEP_MIN_HOLD: '7d',
      APPROVAL_TTL: '500ms',
      ESCALATE_L2_AFTER: '30s',
      ESCALATE_L3_AFTER: '15m',
      CANARY_APPROVERS: 'U123ABC, S0APPROVERS',
      RAMP_STEPS: '2,20,100',
      BUSINESS_HOURS: 'always',
      SLACK_CHANNEL: 'C0ONCALL',
    });
    expect(config.ramp.stepMinHoldMs).toBe(7 * 86_400_000);
    expect(config.approvalTtlMs).toBe(500);
    expect(config.slack.approvers).toEqual(['U123ABC', 'S0APPROVERS']);
    expect(config.ramp.steps).toEqual([2, 20, 100]);
    expect(config.ramp.businessHours).toEqual({ kind: 'always' });
    expect(config.slack.commandChannels).toEqual(['C0ONCALL']);
  });

  it.each([
    ['STEP_MIN_HOLD', '2 days', /STEP_MIN_HOLD: expected a duration/],
    ['RAMP_STEPS', '5,1,100', /RAMP_STEPS: expected increasing integers/],
    ['RAMP_STEPS', '1,5,150', /RAMP_STEPS/],
    ['BUSINESS_HOURS', 'weekdays', /BUSINESS_HOURS: expected "Mon-Fri 09:00-18:00"/],
    ['TZ', 'Mars/Olympus', /TZ: expected an IANA time zone/],
    ['CANARY_APPROVERS', 'alice,bob', /CANARY_APPROVERS: expected comma-separated Slack IDs/],
    ['PORT', 'eighty', /PORT: expected a TCP port/],
    ['AUTO_ROLLBACK_ON_CRITICAL', 'maybe', /AUTO_ROLLBACK_ON_CRITICAL: expected true or false/],
    ['PROMETHEUS_URL', 'prometheus:9090', /PROMETHEUS_URL: expected an http\(s\) URL/],
    ['SLACK_CHANNEL', '#oncall-platform', /SLACK_CHANNEL: expected a channel ID/],
    ['DIGEST_CRON', 'every morning', /DIGEST_CRON: expected a node-cron expression/],
    ['K8S_NAMESPACE', 'Stoa_System', /K8S_NAMESPACE: expected a Kubernetes object name/],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(message);
  });

  it('never echoes a secret in its error', () => {
    try {
      readConfig({ SLACK_BOT_TOKEN: 'not-a-token-secret-value' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('SLACK_BOT_TOKEN');
      expect((error as Error).message).not.toContain('secret-value');
    }
  });

  it('derives the blocking alert matcher from ALERT_CRITICAL_SEVERITY unless GONOGO_ALERT_MATCHERS is set', () => {
    expect(readConfig({}).goNoGo).toMatchObject({ criticalAlertMatchers: ['severity="critical"'], criticalSeverity: 'critical' });
    expect(readConfig({ ALERT_CRITICAL_SEVERITY: 'page' }).goNoGo).toMatchObject({ criticalAlertMatchers: ['severity="page"'], criticalSeverity: 'page' });
    expect(readConfig({ ALERT_CRITICAL_SEVERITY: 'page', GONOGO_ALERT_MATCHERS: 'team="gw"' }).goNoGo.criticalAlertMatchers).toEqual(['team="gw"']);
    expect(() => readConfig({ ALERT_CRITICAL_SEVERITY: 'a"b' })).toThrow(/ALERT_CRITICAL_SEVERITY: expected a severity label value/);
  });

  it('reads which diagnosis each alert offers, the runbook\'s by default', () => {
    expect(readConfig({}).alertDiagnoses).toEqual({ MCPShadowMismatchRateHigh: 'mismatches', MCPShadowErrorRateHigh: 'shadow' });
    expect(readConfig({ ALERT_DIAGNOSES: '{"RustDown":"traffic"}' }).alertDiagnoses).toEqual({ RustDown: 'traffic' });
    expect(() => readConfig({ ALERT_DIAGNOSES: '{"RustDown":"everything"}' })).toThrow(/ALERT_DIAGNOSES: expected a JSON object of alert name to traffic, shadow or mismatches/);
  });

  it('requires a signing secret in HTTP mode and L3 after L2', () => {
    expect(() => readConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET: required in HTTP mode/);
    expect(() => readConfig({ ESCALATE_L2_AFTER: '30m', ESCALATE_L3_AFTER: '15m' })).toThrow(/ESCALATE_L3_AFTER/);
  });
});

describe('REDIS_URL forms', () => {
  it('accepts Sentinel URLs and turns them into ioredis sentinel options', async () => {
    const { parseSentinelUrl } = await import('../../src/adapters/store/redis-store.js');
    expect(readConfig({ REDIS_URL: 'redis+sentinel://:s3cret@sentinel-0:26379,sentinel-1/mymaster/2' }).redisUrl).toMatch(/^redis\+sentinel/);
    expect(parseSentinelUrl('redis+sentinel://:s3cret@sentinel-0:26379,sentinel-1/mymaster/2')).toEqual({
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26379 },
      ],
      name: 'mymaster',
      password: 's3cret',
      sentinelPassword: 's3cret',
      db: 2,
    });
    expect(parseSentinelUrl('redis://redis:6379/0')).toBeUndefined();
    expect(() => readConfig({ REDIS_URL: 'http://redis:6379' })).toThrow(/REDIS_URL: expected a redis:\/\//);
  });
});
