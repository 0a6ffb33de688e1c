// How the pod runs the bot: node's flags from the Dockerfile's CMD, the allocator from the runtime
// stage's ENV, NODE_OPTIONS and MALLOC_* from deploy/deployment.yaml. `npm run bench` and the
// production-build test run the bundle with these, so their figures and behaviour are the pod's.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';

const ROOT = join(import.meta.dirname, '..', '..');

export interface PodRuntime {
  /** Arguments before the bundle on node's command line, e.g. --no-turbofan. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** What differs from the image on this machine (e.g. no jemalloc installed). */
  notes: string[];
}

export function podRuntime(root = ROOT): PodRuntime & { cliNodeArgs: string[] } {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const image = imageRuntime(dockerfile);
  const env = { ...image.env, ...deploymentEnv(readFileSync(join(root, 'deploy', 'deployment.yaml'), 'utf8')) };
  const notes: string[] = [];
  // The image preloads jemalloc from its own path; here, find Debian's (package libjemalloc2).
  if (env.LD_PRELOAD && /jemalloc/.test(env.LD_PRELOAD) && !existsSync(env.LD_PRELOAD)) {
    const local = localLibrary('libjemalloc.so.2');
    if (local) {
      env.LD_PRELOAD = local;
    } else {
      delete env.LD_PRELOAD;
      delete env.MALLOC_CONF;
      notes.push('jemalloc is not installed here (apt-get install libjemalloc2): running with glibc malloc, unlike the image');
    }
  }
  return { ...image, env, notes, cliNodeArgs: cliNodeArgs(dockerfile) };
}

/** The runtime (last) stage's ENV values and the node flags of its exec-form CMD. */
export function imageRuntime(dockerfile: string): { nodeArgs: string[]; env: Record<string, string> } {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const stage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
  const env: Record<string, string> = {};
  for (const line of stage.filter((l) => /^ENV\s/i.test(l))) {
    for (const [, key, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) env[key!] = value!;
  }
  const cmdLine = stage.findLast((l) => /^CMD\s/i.test(l));
  const cmd = cmdLine ? (JSON.parse(cmdLine.slice(4)) as string[]) : [];
  if (cmd[0] !== 'node') throw new Error(`Dockerfile: expected CMD ["node", ...flags, entry], got ${cmdLine}`);
  return { nodeArgs: cmd.slice(1).filter((a) => a.startsWith('--')), env };
}

/** The node flags of the command line's wrapper, /usr/local/bin/mcp-canary (`exec node <flags> /app/dist/cli.js "$@"`). */
export function cliNodeArgs(dockerfile: string): string[] {
  const exec = /exec node((?: --?[\w-]+(?:=\S+)?)*) \/app\/dist\/cli\.js "\$@"/.exec(dockerfile);
  if (!exec) throw new Error('Dockerfile: expected the wrapper /usr/local/bin/mcp-canary to `exec node [flags] /app/dist/cli.js "$@"`');
  return exec[1]!.split(' ').filter(Boolean);
}

/** NODE_OPTIONS and MALLOC_* of the bot's container in deploy/deployment.yaml. */
export function deploymentEnv(manifestYaml: string): Record<string, string> {
  const manifest = loadYaml(manifestYaml) as {
    spec: { template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } } };
  };
  const containers = manifest.spec.template.spec.containers;
  const container = containers.find((c) => c.name === 'mcp-canary') ?? containers[0]!;
  return Object.fromEntries(
    (container.env ?? []).filter((e) => (e.name === 'NODE_OPTIONS' || e.name.startsWith('MALLOC_')) && e.value !== undefined).map((e) => [e.name, e.value!]),
  );
}

function localLibrary(name: string): string | undefined {
  try {
    const cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
    // Lines like "\tlibjemalloc.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjemalloc.so.2".
    return cache
      .split('\n')
      .map((l) => /^\s*(\S+) \([^)]*\) => (\S+)$/.exec(l))
      .find((m) => m?.[1] === name)?.[2];
  } catch {
    return undefined;
  }
}
