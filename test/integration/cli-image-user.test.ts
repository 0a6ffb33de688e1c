// README "When Slack is down": the image's `docker run` runs the command line as the engineer (--user
// "$(id -u):$(id -g)", -e USER), so a fallback audit file lands in the mounted working directory, owned by
// them. Without Docker here, the command line runs as each account the container would run it as, against
// the local Kubernetes API server, without REDIS_URL (so the audit goes to a file), in a working directory
// owned by the engineer (mode 755), as `-v "$PWD:/work" -w /work` mounts it.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** The engineer on the host (`id -u`), and the image's `node` account. */
const ENGINEER = 4242;
const NODE = 1000;
const asRoot = process.getuid?.() === 0;

let kube: FakeKubeApi;
let scratch: string;
let work: string;
let kubeconfig: string;

/** `mcp-canary rollback` as `uid`:`uid` with the container's environment (no REDIS_URL, no Slack). */
function rollbackAs(uid: number, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mcp-canary.js'), 'rollback', 'Slack down'], {
      cwd: work,
      uid,
      gid: uid,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit:\n${stdout}\n${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const auditFileIn = (stdout: string) => /written to the local file (\S+\.jsonl) instead/.exec(stdout)?.[1];

describe('the image run as documented (README, "When Slack is down")', () => {
  it('the documented docker run passes --user "$(id -u):$(id -g)" and -e USER, and mounts $PWD as the working directory', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## When Slack is down'), readme.indexOf('\n## ', readme.indexOf('## When Slack is down') + 1));
    const dockerRun = /^docker run (?:[^\n]*\\\n)*[^\n]*/m.exec(section)?.[0].replace(/\\\n\s*/g, ' ');
    expect(dockerRun).toBeDefined();
    expect(dockerRun).toContain('--user "$(id -u):$(id -g)"');
    expect(dockerRun).toContain('-e USER="$(id -un)"');
    expect(dockerRun).toContain('-v "$PWD:/work" -w /work');
  });
});

// Running a process as another uid needs root (as the test containers run).
describe.runIf(asRoot)('the command line as the accounts of that docker run', () => {
  beforeAll(async () => {
    kube = await startFakeKubeApi();
    scratch = mkdtempSync(join(tmpdir(), 'mcp-canary-cli-user-'));
    chmodSync(scratch, 0o755);
    // The engineer's $PWD and kubeconfig (mode 600, theirs), as mounted.
    work = join(scratch, 'work');
    mkdirSync(work, { mode: 0o755 });
    chownSync(work, ENGINEER, ENGINEER);
    kubeconfig = join(scratch, 'kubeconfig');
    copyFileSync(kube.kubeconfigPath, kubeconfig);
    chmodSync(kubeconfig, 0o600);
    chownSync(kubeconfig, ENGINEER, ENGINEER);
  }, 30_000);

  afterAll(async () => {
    await kube?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('as the engineer (--user), with USER: the audit file is in the mounted working directory, theirs, and names them', async () => {
    // Docker gives a uid without an account HOME=/.
    const run = await rollbackAs(ENGINEER, { HOME: '/', USER: 'alice' });
    expect(run.code, run.stderr).toBe(0);
    const path = auditFileIn(run.stdout);
    expect(path, run.stdout).toBeDefined();
    expect(path!.startsWith(`${work}/`)).toBe(true);
    expect(statSync(path!).uid).toBe(ENGINEER);
    const [entry] = readFileSync(path!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { actor: string });
    expect(entry!.actor).toBe(`cli:alice@${hostname()}`);
  });

  it("without --user (the image's node account): it cannot read the kubeconfig, and its audit file would not land in the working directory", async () => {
    const home = join(scratch, 'home-node');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, NODE, NODE);
    const before = readdirSync(work).length;
    const run = await rollbackAs(NODE, { HOME: home });
    // The engineer's kubeconfig (mode 600) is not readable by uid 1000: nothing is done.
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the cluster/);
    expect(readdirSync(work)).toHaveLength(before);

    // With a kubeconfig it can read, the file goes to its home, inside the container (gone with --rm).
    chmodSync(kubeconfig, 0o644);
    try {
      const readable = await rollbackAs(NODE, { HOME: home });
      expect(readable.code, readable.stderr).toBe(0);
      expect(auditFileIn(readable.stdout)?.startsWith(join(home, '.local', 'state', 'mcp-canary'))).toBe(true);
      expect(readdirSync(work)).toHaveLength(before);
    } finally {
      chmodSync(kubeconfig, 0o600);
    }
  });
});
