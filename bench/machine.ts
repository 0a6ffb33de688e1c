// The machine the figures came from.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  kernel: string;
  redis: string;
  kubectl?: string;
}

function firstLine(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

export function kubectlPath(): string | undefined {
  return firstLine('/bin/sh', ['-c', 'command -v kubectl']) || undefined;
}

export function describeMachine(): Machine {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const kubectl = kubectlPath();
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    redis: firstLine('/usr/bin/redis-server', ['--version'])?.replace(/^Redis server /, '') ?? 'not installed',
    kubectl: kubectl ? `${kubectl} (${firstLine(kubectl, ['version', '--client']) ?? 'version unknown'})` : undefined,
  };
}
