// The `/mcp-canary` grammar (SPEC.md section 2). Pure: text in, a command or a usage problem out.

export type CanaryCommand =
  | { kind: 'status' }
  | { kind: 'promote' }
  | { kind: 'weight'; percent: number }
  | { kind: 'rollback'; reason?: string }
  | { kind: 'shadow'; action: 'on' | 'off' | 'status' }
  | { kind: 'history' }
  | { kind: 'digest' }
  | { kind: 'finalize' }
  | { kind: 'route'; action: 'show' | 'apply' }
  | { kind: 'diagnose'; scope?: 'traffic' | 'shadow' | 'mismatches' }
  | { kind: 'help' }
  | { kind: 'invalid'; problem: string };

/** Every subcommand word the parser knows: help and the manifest's usage hint must name each one. */
export const SUBCOMMANDS = ['status', 'promote', 'weight', 'rollback', 'shadow', 'route', 'diagnose', 'history', 'digest', 'finalize', 'help'] as const;

const MAX_REASON_LENGTH = 500;

export function parseCommand(text: string | undefined): CanaryCommand {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return { kind: 'help' };
  const [word = '', ...rest] = trimmed.split(/\s+/);
  const args = rest;
  const sub = word.toLowerCase();
  const noArgs = (command: CanaryCommand): CanaryCommand =>
    args.length ? { kind: 'invalid', problem: `\`${sub}\` takes no arguments (got "${clip(args.join(' '))}").` } : command;

  switch (sub) {
    case 'status':
      return noArgs({ kind: 'status' });
    case 'promote':
      return noArgs({ kind: 'promote' });
    case 'history':
      return noArgs({ kind: 'history' });
    case 'digest':
      return noArgs({ kind: 'digest' });
    case 'finalize':
      return noArgs({ kind: 'finalize' });
    case 'help':
      return { kind: 'help' };
    case 'weight': {
      if (args.length !== 1) return { kind: 'invalid', problem: '`weight` needs one whole number from 0 to 100, e.g. `/mcp-canary weight 5`.' };
      const raw = args[0]!.replace(/%$/, '');
      if (!/^\d{1,3}$/.test(raw) || Number(raw) > 100) {
        return { kind: 'invalid', problem: `"${clip(args[0]!)}" is not a weight: use a whole number from 0 to 100.` };
      }
      return { kind: 'weight', percent: Number(raw) };
    }
    case 'rollback': {
      const reason = trimmed.slice(word.length).trim();
      return { kind: 'rollback', reason: reason ? reason.slice(0, MAX_REASON_LENGTH) : undefined };
    }
    case 'shadow': {
      const action = (args[0] ?? '').toLowerCase();
      if (args.length !== 1 || !['on', 'off', 'status'].includes(action)) {
        return { kind: 'invalid', problem: '`shadow` takes one of `on`, `off` or `status`.' };
      }
      return { kind: 'shadow', action: action as 'on' | 'off' | 'status' };
    }
    case 'route': {
      const action = (args[0] ?? '').toLowerCase();
      if (args.length === 0) return { kind: 'route', action: 'show' };
      if (args.length !== 1 || action !== 'apply') return { kind: 'invalid', problem: '`route` takes nothing (show the live route) or `apply` (put the canary route back at 0%).' };
      return { kind: 'route', action: 'apply' };
    }
    case 'diagnose': {
      const scope = (args[0] ?? '').toLowerCase();
      if (args.length === 0 || (args.length === 1 && scope === 'all')) return { kind: 'diagnose' };
      if (args.length !== 1 || !['traffic', 'shadow', 'mismatches'].includes(scope)) {
        return { kind: 'invalid', problem: '`diagnose` takes nothing (every check) or one of `traffic`, `shadow`, `mismatches`.' };
      }
      return { kind: 'diagnose', scope: scope as 'traffic' | 'shadow' | 'mismatches' };
    }
    default:
      return { kind: 'invalid', problem: `Unknown subcommand "${clip(word)}".` };
  }
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
