// Structured JSON logs (pino), one line per event. Secrets are redacted by key wherever they appear,
// and Bolt's own logs go through the same logger so nothing prints a token in plain text.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { pino, type Logger as PinoLogger } from 'pino';

const SECRET_KEYS = ['token', 'botToken', 'appToken', 'signingSecret', 'authorization', 'Authorization', 'password', 'redisUrl', 'secret'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): PinoLogger {
  return pino(
    {
      level,
      base: { app: 'mcp-canary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`), 'req.headers.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? process.stdout,
  );
}

/** Bolt's Logger interface on top of pino. */
export function boltLoggerFrom(logger: PinoLogger): BoltLogger {
  let level = LogLevel.INFO;
  const format = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : safeString(m))).join(' ');
  return {
    debug: (...msg) => logger.debug({ source: 'bolt' }, scrub(format(msg))),
    info: (...msg) => logger.info({ source: 'bolt' }, scrub(format(msg))),
    warn: (...msg) => logger.warn({ source: 'bolt' }, scrub(format(msg))),
    error: (...msg) => logger.error({ source: 'bolt' }, scrub(format(msg))),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Free text from libraries can carry tokens (xoxb-/xapp-/xoxp-...): mask them. */
export function scrub(text: string): string {
  return text.replace(/\bx(ox[abprs]|app)-[A-Za-z0-9-]+/g, 'x$1-[redacted]');
}

function safeString(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
