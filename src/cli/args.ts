// The break-glass command line's grammar (`mcp-canary <status|rollback [reason]|history> [--json]`), and who
// is running it. Pure apart from cliActor (the OS account and host name).
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';

export type CliCommand =
  | { kind: 'status'; json: boolean }
  | { kind: 'rollback'; reason?: string; json: boolean }
  | { kind: 'history'; json: boolean }
  | { kind: 'help' }
  /** Malformed or unknown: usage, exit 2. */
  | { kind: 'usage'; problem: string }
  /** Well-formed but not allowed here (it would raise the weight, or needs an approver): exit 2, nothing done. */
  | { kind: 'refused'; problem: string };

/** As in Slack (handlers/parse-command.ts): a longer reason is cut. */
const MAX_REASON_LENGTH = 500;

export const USAGE = `Usage: mcp-canary <command> [--json]

The break-glass command line, for when Slack (or the bot's Ingress) is down. It reads the bot's
environment (KUBECONFIG, K8S_NAMESPACE, TRAFFIC_ROUTER and the route names, REDIS_URL, PROMETHEUS_URL,
ALERTMANAGER_URL, SLACK_*), validated as the bot validates it, and runs the bot's core.

Commands:
  status              what /mcp-canary status shows: weight and step, the go/no-go criteria with their
                      values and thresholds, the guard, the pending request (exit 0 whatever the verdict)
  rollback [reason]   roll the canary back now, no approval: weight 0 and the routing rules removed; if
                      writing keeps failing, the runbook's fallback (the canary route is removed).
                      Audited as cli:<user>@<host> (in Redis, else in a local file whose path it prints)
                      and announced in SLACK_CHANNEL when Slack answers
  history             the last 20 audited actions
  help                this text

Options:
  --json              print the data as JSON on stdout (status, rollback, history)
  -h, --help          this text

Increases (promote, weight N) are refused here: they need a second approver, in Slack (two-person rule).
Progress and logs go to stderr (LOG_LEVEL; warn unless it says debug, trace, error, fatal or silent).

Exit codes: 0 done (also "already rolled back", and when only the audit or the Slack announcement fell
back), 1 failed (what failed and the commands to run by hand are printed), 2 usage error or refused.`;

const SLACK_ONLY: Record<string, string> = {
  shadow: 'shadow on/off changes the Python deployment and is for approvers',
  finalize: 'the post-migration cleanup needs a second approver',
  route: '`route apply` is for approvers',
  digest: 'the digest is a Slack message',
  diagnose: 'the diagnostics answer in Slack',
};

export function parseCli(argv: readonly string[]): CliCommand {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return { kind: 'usage', problem: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  const json = values.json ?? false;
  const [word, ...args] = positionals;
  const noArgs = (command: CliCommand): CliCommand => (args.length ? { kind: 'usage', problem: `\`${word}\` takes no arguments (got "${clip(args.join(' '))}").` } : command);
  const sub = word?.toLowerCase();
  switch (sub) {
    case undefined:
      return { kind: 'usage', problem: 'No command given.' };
    case 'help':
      return { kind: 'help' };
    case 'status':
      return noArgs({ kind: 'status', json });
    case 'history':
      return noArgs({ kind: 'history', json });
    case 'rollback': {
      const reason = args.join(' ').trim();
      return { kind: 'rollback', reason: reason ? reason.slice(0, MAX_REASON_LENGTH) : undefined, json };
    }
    case 'promote':
      return noArgs({ kind: 'refused', problem: refusal('promote') });
    case 'weight': {
      const raw = args.length === 1 ? args[0]!.replace(/%$/, '') : '';
      if (!/^\d{1,3}$/.test(raw) || Number(raw) > 100) return { kind: 'usage', problem: '`weight` needs one whole number from 0 to 100 (and only 0 is done here: it is a rollback).' };
      // As in Slack, weight 0 is a rollback.
      if (Number(raw) === 0) return { kind: 'rollback', json };
      return { kind: 'refused', problem: refusal(`weight ${Number(raw)}`) };
    }
    default:
      if (sub in SLACK_ONLY) return { kind: 'refused', problem: `\`${sub}\` is not available on the command line: ${SLACK_ONLY[sub]}. Use /mcp-canary ${sub} in Slack.` };
      return { kind: 'usage', problem: `Unknown command "${clip(word!)}".` };
  }
}

function refusal(what: string): string {
  return (
    `Refused: \`${what}\` could raise the canary weight, and increases need a second approver (two-person rule), in Slack: /mcp-canary ${what}. ` +
    'The command line only takes traffic off the canary: `mcp-canary rollback [reason]`. Nothing was changed.'
  );
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** `cli:<user>@<host>`: the OS account and the host name, as the audit records the actor. */
export function cliActor(env: Record<string, string | undefined> = process.env): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers).
  }
  user ||= env.USER || env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  return `cli:${user}@${hostname()}`;
}
