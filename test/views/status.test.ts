import { describe, expect, it } from 'vitest';
import { ACTION } from '../../views/action-ids.js';
import { renderStatus } from '../../views/status.js';
import {
  alert,
  allText,
  approvalRequest,
  assessment,
  buttonFor,
  buttons,
  route,
  checks,
  expectOnlySafeTokens,
  expectWithinLimits,
  goNoGo,
  HUGE,
  NOW,
  readyStatusReport,
  REQUESTER,
  rust,
  statusReport,
} from './fixtures.js';

describe('renderStatus', () => {
  it('shows weight, step, verdict, criteria and the ramp facts', () => {
    const m = renderStatus(statusReport());
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'MCP canary status' } });
    expect(text).toContain('*5%* of traffic to Rust — ▰▰▱▱▱▱ step 2 of 6');
    expect(text).toContain(':large_green_circle: *GO*');
    expect(text).toContain('✅ Rust error rate (5m): *0.02%* (&lt; 0.1%)');
    expect(text).toContain('✅ p99 latency vs Python: *180ms vs 150ms (1.20x)* (&lt; 1.5x Python p99)');
    expect(text).toContain('✅ Alerts firing (severity="critical"): *none* (must be none)');
    expect(text).toContain('*Time at this step*\n26h (since <!date^1740989700^{date_short_pretty} {time}|2025-03-03 08:15 UTC>)');
    expect(text).toContain('*22h left* (until <!date^1741162500^{date_short_pretty} {time}|2025-03-05 08:15 UTC>)');
    expect(text).toContain('Next step');
    expect(text).toContain('*10%*');
    expect(text).toContain('open · Mon-Fri 09:00-18:00 UTC');
    expect(text).toContain('mcp-gateway-rust: *3/3* ready · rollout complete');
    expect(text).toContain('none pending');
    expect(text).toMatch(/Checked <!date\^\d+\^[^|]+\|2025-03-04 10:15 UTC> · Ingress `mcp-gateway-canary` in `stoa-system` \(ingress-nginx\)/);
    expect(m.text).toBe('GO: canary 5% (step 2 of 6)');
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('shows every rule check of the next step and explains why the request button is missing', () => {
    const m = renderStatus(statusReport());
    const text = allText(m);
    expect(text).toContain('*Next step 5% → 10%*: ❌ not yet');
    expect(text).toContain('❌ Hold 48h at step: held 26h, 22h left');
    expect(text).toContain('✅ Business window: open (Mon-Fri 09:00-18:00 UTC)');
    expect(text).toContain('Request next step not offered until every check passes (failing: Hold 48h at step)');
    expect(buttonFor(m.blocks, ACTION.requestNext)).toBeUndefined();
    expect(buttonFor(m.blocks, ACTION.refreshStatus)).toBeDefined();
    const rollback = buttonFor(m.blocks, ACTION.rollback)!;
    expect(rollback.value).toBe('status');
    expect(rollback.style).toBe('danger');
    expect(rollback.confirm?.title?.text).toBe('Roll back the canary?');
  });

  it('offers "Request next step (→ 10%)" when every check passes and nothing is pending', () => {
    const m = renderStatus(readyStatusReport());
    const request = buttonFor(m.blocks, ACTION.requestNext);
    expect(request).toMatchObject({ text: 'Request next step (→ 10%)', value: '10', style: 'primary' });
    expect(buttons(m.blocks).map((b) => b.action_id)).toEqual([ACTION.requestNext, ACTION.refreshStatus, ACTION.rollback]);
    expect(allText(m)).toContain('✅ can be requested now');
    expect(allText(m)).toContain('✅ done');
    expect(m.text).toBe('GO: canary 5% (step 2 of 6) · next step 10% can be requested');
  });

  it('does not offer a second request while one is pending, and shows the pending one', () => {
    const pending = approvalRequest();
    const m = renderStatus(readyStatusReport({ pending }));
    expect(buttonFor(m.blocks, ACTION.requestNext)).toBeUndefined();
    const text = allText(m);
    expect(text).toContain(`<@${REQUESTER}> asked for 5% → 10%, expires <!date^`);
    expect(text).toContain('Request next step not offered');
    expect(text).toContain('one request at a time');
    expect(m.text).toContain('request 5% → 10% pending approval');
  });

  it('makes NO-GO very visible with every reason and lists firing alerts with severity', () => {
    const firing = [alert(), alert({ name: 'MCPRustGatewayDown', severity: 'critical', summary: undefined, fingerprint: 'f2' })];
    const m = renderStatus(
      statusReport({
        goNoGo: goNoGo('NO-GO', firing),
        next: { targetPercent: 10, assessment: assessment(checks({ 'Go/no-go': { pass: false, detail: 'NO-GO: error rate 0.35% is not below 0.1%' } })) },
      }),
    );
    const text = allText(m);
    expect(text).toContain(':red_circle: *NO-GO* — 3 reasons:');
    expect(text).toContain('• error rate 0.35% is not below 0.1%');
    expect(text).toContain('• p99 unknown: Rust p99 no data');
    expect(text).toContain('• critical alert firing: MCPRustGatewayErrorRateHigh');
    expect(text).toContain('❌ Rust error rate (5m): *0.35%* (&lt; 0.1%)');
    expect(text).toContain('*Firing alerts (2)*');
    expect(text).toContain(':rotating_light: *MCPRustGatewayErrorRateHigh* (critical) since <!date^');
    expect(text).toContain('— Rust gateway error rate above 0.1% for 5m');
    expect(text).toContain(':rotating_light: *MCPRustGatewayDown* (critical)');
    expect(m.text).toBe('NO-GO: canary 5% (step 2 of 6)');
    // The verdict comes right after the header, in the first section.
    expect(JSON.stringify(m.blocks[1])).toContain('NO-GO');
    expectWithinLimits(m);
  });

  it('says DRY RUN in the header, footer and fallback', () => {
    const m = renderStatus(statusReport({ dryRun: true }));
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'MCP canary status · DRY RUN' } });
    expect(m.text.startsWith('DRY RUN · ')).toBe(true);
    expect(allText(m)).toContain('*DRY RUN*: the bot reads the real cluster and writes nothing');
  });

  it('explains a missing canary route', () => {
    const m = renderStatus(
      statusReport({
        route: route({ exists: false, percent: 0, lastApplied: undefined, routingRules: [] }),
        percent: 0,
        position: { percent: 0, stepNumber: 0, stepCount: 6, onStep: false, nextStep: 1, isFinal: false },
        hold: { satisfied: true },
        next: {
          targetPercent: 1,
          assessment: assessment(
            checks({ 'Canary route': { pass: false, detail: 'the canary route is absent (removed by a rollback?): put it in place first (/mcp-canary route apply)' } }),
          ),
        },
      }),
    );
    const text = allText(m);
    expect(text).toContain('*0%* of traffic to Rust (no canary route) — ▱▱▱▱▱▱ not started (6 steps)');
    expect(text).toContain('The canary route Ingress `mcp-gateway-canary` in `stoa-system` (ingress-nginx) is absent: all traffic goes to Python');
    expect(text).toContain('not needed from 0%');
    expect(m.text).toBe('GO: the canary route is absent, all traffic goes to Python');
  });

  it('warns about header/cookie routing rules', () => {
    const m = renderStatus(
      statusReport({
        route: route({
          routingRules: [
            { kind: 'header', name: 'X-Canary', value: 'always' },
            { kind: 'cookie', name: 'rust<&>' },
          ],
        }),
      }),
    );
    const text = allText(m);
    expect(text).toContain('*Header/cookie routing rules are set*: matching requests go to Rust whatever the weight');
    expect(text).toContain('`header X-Canary: always`');
    expect(text).toContain('`cookie rust&lt;&amp;&gt;`');
    expectOnlySafeTokens(m);
  });

  it('shows a route its traffic layer has not accepted, with the reasons, and split rules that disagree', () => {
    const m = renderStatus(
      statusReport({
        routeRef: { router: 'gateway-api', kind: 'HTTPRoute', name: 'mcp-gateway', namespace: 'stoa-system' },
        route: route({
          splitPercents: [5, 20],
          conditions: [
            { type: 'Accepted', ok: false, reason: 'NoMatchingParent', message: 'no listener matches', reporter: 'public-gw' },
            { type: 'ResolvedRefs', ok: true, reason: 'ResolvedRefs' },
          ],
        }),
      }),
    );
    const text = allText(m);
    expect(text).toContain(':no_entry: *Accepted is False* (public-gw): NoMatchingParent: no listener matches. Increases are NO-GO');
    expect(text).toContain('The split rules disagree: 5%, 20% (the first one counts).');
    expect(text).toContain('HTTPRoute `mcp-gateway` in `stoa-system` (gateway-api)');
  });

  it('warns when the route is not set up to split and when the weight is off the ramp', () => {
    const m = renderStatus(
      statusReport({
        route: route({ splitProblem: 'the Ingress is not marked as a canary', percent: 7 }),
        percent: 7,
        position: { percent: 7, stepNumber: 2, stepCount: 6, onStep: false, nextStep: 10, isFinal: false },
        hold: { satisfied: false, unknownReason: 'the live weight (7) differs from the one mcp-canary applied (5): it was changed outside the bot' },
      }),
    );
    const text = allText(m);
    expect(text).toContain(':warning: Ingress `mcp-gateway-canary` in `stoa-system` (ingress-nginx): the Ingress is not marked as a canary.');
    expect(text).toContain('(7% is between ramp steps)');
    expect(text).toContain(':warning: unknown: the live weight (7) differs from the one mcp-canary applied (5): it was changed outside the bot');
    expect(text).toContain('❌ cannot be confirmed');
  });

  it('shows each part that could not be read, and still the rest', () => {
    const m = renderStatus(
      statusReport({
        route: { error: 'connect ECONNREFUSED 10.0.0.1:443' },
        percent: undefined,
        position: undefined,
        hold: undefined,
        next: undefined,
        rust: { error: 'deployments.apps "mcp-gateway-rust" is forbidden' },
        pendingError: 'Redis connection refused',
        window: { open: false, description: 'Mon-Fri 09:00-18:00 UTC', nextOpening: new Date('2025-03-05T09:00:00Z') },
      }),
    );
    const text = allText(m);
    expect(text).toContain('*Weight unknown.* Kubernetes: could not read Ingress `mcp-gateway-canary`: connect ECONNREFUSED 10.0.0.1:443');
    expect(text).toContain('Kubernetes: could not read mcp-gateway-rust: deployments.apps "mcp-gateway-rust" is forbidden');
    expect(text).toContain('unknown: state store unreachable (Redis connection refused)');
    expect(text).toContain('❌ closed · Mon-Fri 09:00-18:00 UTC\nopens <!date^1741165200^');
    expect(text).toContain('Request next step not offered: the canary route could not be read.');
    expect(text).toContain('*GO*'); // the go/no-go still stands on its own
    expect(buttonFor(m.blocks, ACTION.rollback)).toBeDefined();
    expect(m.text).toBe('GO: canary weight unknown (Kubernetes: could not read the canary route)');
    expectWithinLimits(m);
  });

  it('says when the ramp is complete', () => {
    const m = renderStatus(
      statusReport({
        route: route({ percent: 100, lastApplied: { percent: 100, at: NOW.toISOString(), by: 'U1' } }),
        percent: 100,
        position: { percent: 100, stepNumber: 6, stepCount: 6, onStep: true, isFinal: true },
        next: undefined,
      }),
    );
    expect(allText(m)).toContain('▰▰▰▰▰▰ step 6 of 6');
    expect(allText(m)).toContain('At the last step of the ramp (100%): nothing to promote.');
    expect(allText(m)).toContain('none: last step reached');
    expect(buttonFor(m.blocks, ACTION.requestNext)).toBeUndefined();
  });

  it('shows a rollout in progress', () => {
    const m = renderStatus(statusReport({ rust: rust({ ready: 2, rolloutComplete: false }) }));
    expect(allText(m)).toContain('❌ mcp-gateway-rust: *2/3* ready · rollout not complete');
  });

  it('stays within every Block Kit limit and escapes everything for a hostile report', () => {
    const hostile = `<!channel> <script>alert(1)</script> & ${HUGE}`;
    const manyAlerts = Array.from({ length: 60 }, (_, i) => alert({ name: `${hostile}${i}`, summary: hostile, severity: hostile, fingerprint: String(i) }));
    const g = goNoGo('NO-GO', manyAlerts);
    g.reasons = Array.from({ length: 40 }, () => hostile);
    g.criteria = Array.from({ length: 30 }, () => ({ id: 'error-rate' as const, label: hostile, value: hostile, threshold: hostile, pass: false }));
    const m = renderStatus(
      statusReport({
        dryRun: true,
        goNoGo: g,
        route: route({ routingRules: Array.from({ length: 30 }, (_, i) => ({ kind: 'header' as const, name: `k${i}${hostile}`, value: hostile })), conditions: [{ type: hostile, ok: false, reason: hostile, message: hostile }] }),
        hold: { satisfied: false, unknownReason: hostile },
        rust: { error: hostile },
        pendingError: hostile,
        window: { open: false, description: hostile },
        next: { targetPercent: 10, assessment: assessment(Array.from({ length: 40 }, () => ({ label: hostile, pass: false, detail: hostile }))) },
        targets: { namespace: hostile, rustDeployment: hostile, pythonDeployment: hostile },
        routeRef: { router: hostile, kind: hostile, name: hostile, namespace: hostile },
      }),
    );
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
    expect(allText(m)).not.toContain('<!channel>');
    expect(allText(m)).not.toContain('<script>');
    expect(buttonFor(m.blocks, ACTION.rollback)).toBeDefined();
  });

  it('matches the snapshot', () => {
    const m = renderStatus(
      statusReport({
        goNoGo: goNoGo('NO-GO'),
        next: { targetPercent: 10, assessment: assessment(checks({ 'Go/no-go': { pass: false, detail: 'NO-GO: error rate 0.35% is not below 0.1%' } })) },
      }),
    );
    expect(m).toMatchSnapshot();
  });
});
