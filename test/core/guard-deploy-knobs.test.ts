// The operator's manifest names every knob of the guard (SPEC section 4): set, or in the list of knobs to
// add when needed, so someone reading deploy/deployment.yaml learns they exist.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const GUARD_KNOBS = ['GUARD', 'GUARD_INTERVAL', 'GUARD_BREACHES', 'GUARD_ERROR_RATE_MAX', 'GUARD_P99_RATIO_MAX', 'PAUSE_ALERTS', 'RAMP_PREREQUISITES'];

describe('deploy/deployment.yaml', () => {
  it('names every guard knob, set or listed among the knobs to add', () => {
    const manifest = readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'deployment.yaml'), 'utf8');
    const set = [...manifest.matchAll(/- name: ([A-Z0-9_]+)/g)].map((m) => m[1]);
    // The comment from "Other knobs keep the SPEC defaults" to the next section marker (--- Secrets ---).
    const from = manifest.indexOf('Other knobs keep the SPEC defaults');
    const listed = manifest.slice(from, manifest.indexOf('# ---', from));
    expect(GUARD_KNOBS.filter((k) => !set.includes(k) && !new RegExp(`\\b${k}\\b`).test(listed))).toEqual([]);
  });
});
