import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SIGNATURE_AGE_S, SlackSignatureVerifier } from '../../handlers/http/slack-signature.js';

const SECRET = 'unit-signing-secret';
const NOW_S = 1_790_000_000;
const body = Buffer.from('token=x&command=%2Fmcp-canary&text=rollback');

function sign(raw: Buffer | string, timestamp: number | string, secret = SECRET) {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
}
function headers(timestamp: number | string, signature: string | undefined) {
  return { 'x-slack-request-timestamp': String(timestamp), ...(signature === undefined ? {} : { 'x-slack-signature': signature }) };
}
const verifier = new SlackSignatureVerifier(SECRET, () => NOW_S * 1000);

describe('SlackSignatureVerifier', () => {
  it('accepts a body signed with the secret within five minutes either way', () => {
    expect(verifier.verify(headers(NOW_S, sign(body, NOW_S)), body)).toEqual({ ok: true });
    const early = NOW_S - MAX_SIGNATURE_AGE_S;
    expect(verifier.verify(headers(early, sign(body, early)), body)).toEqual({ ok: true });
    const late = NOW_S + MAX_SIGNATURE_AGE_S;
    expect(verifier.verify(headers(late, sign(body, late)), body)).toEqual({ ok: true });
  });

  it('refuses a replayed (stale) or future timestamp even when the signature matches it', () => {
    const stale = NOW_S - MAX_SIGNATURE_AGE_S - 1;
    const future = NOW_S + MAX_SIGNATURE_AGE_S + 1;
    expect(verifier.verify(headers(stale, sign(body, stale)), body)).toMatchObject({ ok: false, reason: expect.stringMatching(/stale or replayed/) });
    expect(verifier.verify(headers(future, sign(body, future)), body)).toMatchObject({ ok: false, reason: expect.stringMatching(/stale or replayed/) });
  });

  it('refuses a wrong secret, a changed body and a signature for another timestamp', () => {
    expect(verifier.verify(headers(NOW_S, sign(body, NOW_S, 'other-secret')), body)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifier.verify(headers(NOW_S, sign(body, NOW_S)), Buffer.from(`${body}&user_id=UMALLORY`))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifier.verify(headers(NOW_S, sign(body, NOW_S - 1)), body)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it.each([
    ['no signature', headers(NOW_S, undefined)],
    ['another version', headers(NOW_S, sign(body, NOW_S).replace('v0=', 'v1='))],
    ['a short signature', headers(NOW_S, sign(body, NOW_S).slice(0, 40))],
    ['upper-case hex', headers(NOW_S, sign(body, NOW_S).toUpperCase().replace('V0=', 'v0='))],
    ['a repeated header', { 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': [sign(body, NOW_S), sign(body, NOW_S)] }],
  ])('refuses %s as a malformed signature without throwing', (_name, hdrs) => {
    expect(verifier.verify(hdrs as never, body)).toEqual({ ok: false, reason: 'missing or malformed x-slack-signature' });
  });

  it.each([
    ['no timestamp', {}],
    ['a non-numeric timestamp', { 'x-slack-request-timestamp': 'now' }],
    ['a negative timestamp', { 'x-slack-request-timestamp': `-${NOW_S}` }],
    ['a huge timestamp', { 'x-slack-request-timestamp': '9'.repeat(400) }],
    ['a fractional timestamp', { 'x-slack-request-timestamp': `${NOW_S}.5` }],
  ])('refuses %s as a malformed timestamp', (_name, hdrs) => {
    expect(verifier.verify({ ...hdrs, 'x-slack-signature': sign(body, NOW_S) }, body)).toEqual({ ok: false, reason: 'missing or malformed x-slack-request-timestamp' });
  });

  it('refuses everything when no signing secret is configured', () => {
    const unconfigured = new SlackSignatureVerifier('', () => NOW_S * 1000);
    expect(unconfigured.verify(headers(NOW_S, sign(body, NOW_S, '')), body)).toEqual({ ok: false, reason: 'no SLACK_SIGNING_SECRET configured' });
  });
});
